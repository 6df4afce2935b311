package node

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserShareFile: a person picks a file in the chat panel; the other
// page shows it as a download link, and the link, followed from that page,
// brings the same bytes through the other person's own node.
func TestBrowserShareFile(t *testing.T) {
	d := startDuo(t, map[string]any{"title": "Files"})
	host, hb, gb := d.host, d.hb, d.gb
	content := "minutes of the meeting\n"
	src := filepath.Join(t.TempDir(), "minutes <draft>.txt")
	if err := os.WriteFile(src, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	hb.enter(t)
	gb.enter(t)
	for _, b := range []*browser{hb, gb} {
		eventually(t, 20*time.Second, b.name+" in the meeting with a chat panel", func() error {
			ok, err := eval[bool](b, `!!document.querySelector('.chat-file-input') && !document.querySelector('.chat-attach').disabled`)
			if err != nil || !ok {
				return fmt.Errorf("no file picker yet (%v)", err)
			}
			return nil
		})
	}
	eventually(t, 20*time.Second, "both joined", func() error {
		v, err := host.Mesh().Meeting(d.m.Meeting.ID)
		if err != nil || len(v.Participants) != 2 {
			return fmt.Errorf("participants %+v %v", v.Participants, err)
		}
		return nil
	})
	hb.do(chromedp.SetUploadFiles(chromedp.CSS(`.chat-file-input`), []string{src}))
	for _, b := range []*browser{hb, gb} {
		eventually(t, 20*time.Second, b.name+" shows the file and downloads it", func() error {
			name, err := eval[string](b, `document.querySelector('a.chat-file')?.getAttribute('download') ?? 'no link yet'`)
			if err != nil || name != "minutes <draft>.txt" {
				return fmt.Errorf("download name %q (%v)", name, err)
			}
			body, err := b.download("a.chat-file")
			got := string(body)
			if err != nil || got != content {
				return fmt.Errorf("%q (%v)", got, err)
			}
			return nil
		})
	}
	if dir := os.Getenv("MESHMEET_SCREENSHOTS"); dir != "" {
		_, _ = eval[bool](gb, `(document.querySelector('.chat-send').scrollIntoView(), true)`)
		gb.screenshot(filepath.Join(dir, "shared-file.png"))
	}
}
