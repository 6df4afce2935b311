package node

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserLocalDoor attacks the local door with a real browser: the login address
// leaves the token in neither the address bar nor the history; the logged-in page works
// (API by header, events WebSocket and downloads by ticket); and a page on another port
// of 127.0.0.1, which receives every cookie the browser holds for 127.0.0.1, gets
// nothing that opens the API and cannot read the page's storage.
func TestBrowserLocalDoor(t *testing.T) {
	needChromium(t)
	a := startNode(t, "alice", "")
	m := a.create(t, map[string]any{"title": "Door"})
	b := startBrowser(t, "alice")
	tok := a.c.Token

	b.do(chromedp.Navigate(a.LoginURL()))
	eventually(t, 10*time.Second, "logged in on the home page", func() error {
		st, err := eval[map[string]string](b, `({href: location.href, stored: localStorage.getItem('meshmeet.token') || ''})`)
		if err != nil || st["stored"] != tok {
			return fmt.Errorf("page %v (%v)", st, err)
		}
		if st["href"] != a.UIURL()+"/" {
			return fmt.Errorf("the address is %q, want %s/ without the token", st["href"], a.UIURL())
		}
		return nil
	})
	hist, err := chromedp.Run(b.ctx, chromedp.NavigationEntries())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range hist.Entries {
		if strings.Contains(e.URL, tok) {
			t.Errorf("the browser's history holds the token: %s", e.URL)
		}
	}

	// The app works without any cookie: the meeting's events arrive by the WebSocket
	// (opened with a ticket), and a download link downloads (with another).
	b.do(chromedp.Navigate(uiLink(t, a, m.JoinURL)))
	b.enter(t)
	a.do(t, http.MethodPost, "/api/meetings/"+m.Meeting.ID+"/messages", map[string]string{"text": "through the door"}, nil)
	eventually(t, 20*time.Second, "the chat message arrives by the events WebSocket", func() error {
		if ok, err := eval[bool](b, `document.getElementById('chat-list')?.innerText.includes('through the door') || false`); err != nil || !ok {
			return fmt.Errorf("not shown yet (%v)", err)
		}
		return nil
	})
	eventually(t, 10*time.Second, "the calendar link downloads", func() error {
		ics, err := b.download("#calendar-link")
		if err != nil || !strings.Contains(string(ics), "SUMMARY:Door") {
			return fmt.Errorf("calendar link gave %q, %v", ics, err)
		}
		return nil
	})

	// A program on another port of 127.0.0.1 that the user visits.
	var mu sync.Mutex
	var stolen []string
	thief := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		stolen = append(stolen, r.Header.Values("Cookie")...)
		mu.Unlock()
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<!doctype html><title>elsewhere</title><p>another local web server</p>`)
	}))
	defer thief.Close()
	b.do(chromedp.Navigate(thief.URL + "/"))
	seen, err := eval[map[string]string](b, `({stored: localStorage.getItem('meshmeet.token') || '', cookie: document.cookie})`)
	if err != nil {
		t.Fatal(err)
	}
	if seen["stored"] != "" || seen["cookie"] != "" {
		t.Errorf("the page on another port reads %v", seen)
	}
	mu.Lock()
	replay := append([]string(nil), stolen...)
	mu.Unlock()
	if len(replay) != 0 {
		t.Errorf("the browser sent cookies to another port: %v", replay)
	}
	req, _ := http.NewRequest(http.MethodGet, a.UIURL()+"/api/meetings/"+m.Meeting.ID, nil)
	req.Header["Cookie"] = replay
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("replaying what the other port received = %d, want 401", resp.StatusCode)
	}
}
