package node

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserRecordMenu: the meeting page's "Download record" links give
// the record in each format, and "Delete from this computer" deletes this
// node's copy and goes back home.
func TestBrowserRecordMenu(t *testing.T) {
	a := startNode(t, "alice", "")
	m := a.create(t, map[string]any{"title": "Board <i>review</i>"})
	a.join(t, m.JoinURL)
	a.do(t, http.MethodPost, "/api/meetings/"+m.Meeting.ID+"/messages", map[string]string{"text": "<script>alert(1)</script>"}, nil)
	b := startBrowser(t, "alice")
	b.do(chromedp.Navigate(pageLink(t, a, m.JoinURL)))
	b.enter(t)
	eventually(t, 20*time.Second, "the record menu", b.click("#btn-record-download"))
	for format, want := range map[string]string{
		"md":   `Board \<i\>review\</i\>`,
		"html": "&lt;script&gt;alert(1)&lt;/script&gt;",
		"json": `"title": "Board \u003ci\u003ereview\u003c/i\u003e"`,
	} {
		eventually(t, 10*time.Second, "the record menu open", func() error {
			if open, err := eval[bool](b, `!!document.querySelector('details[open] #export-md')`); err != nil || !open {
				return b.click("#btn-record-download")()
			}
			return nil
		})
		body, err := b.download("#export-" + format)
		if got := string(body); err != nil || !strings.Contains(got, want) {
			t.Errorf("the %s record lacks %q (%v):\n%s", format, want, err, got)
		}
	}
	eventually(t, 10*time.Second, "delete", b.click("#btn-delete-meeting"))
	eventually(t, 10*time.Second, "back home", func() error {
		path, err := eval[string](b, `location.pathname`)
		if err != nil || path != "/" {
			return fmt.Errorf("at %q (%v)", path, err)
		}
		return nil
	})
	if _, err := a.Mesh().Meeting(m.Meeting.ID); err == nil {
		t.Fatal(errors.New("the meeting is still on the node"))
	}
}
