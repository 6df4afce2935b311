package webui

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// The local door (docs/threat-model.md, rows "another local process" and "a
// web page"): these tests attack the UI port the way another program on the
// same machine would.

// TestCookieFromAnotherPortOpensNothing: a program on another port of 127.0.0.1 receives
// every cookie the browser holds for 127.0.0.1. It runs the whole login flow a browser
// runs, collects every cookie the UI sets, has a browser bring them to its own port
// (cookies are not port-bound), and replays what it got: nothing opens the API.
func TestCookieFromAnotherPortOpensNothing(t *testing.T) {
	ts := startServer(t, nil)
	jar := http.Header{}
	collect := func(resp *http.Response) {
		for _, c := range resp.Cookies() {
			jar.Add("Cookie", c.Name+"="+c.Value)
		}
	}
	// What a browser does to log in and use the app: the pages, the scripts, the API
	// with the token in its header, a ticket, a download.
	for _, path := range []string{"/", "/m/m1", "/static/main.js", "/static/auth.js"} {
		resp, _ := ts.do(t, "GET", path, nil)
		collect(resp)
	}
	for _, path := range []string{"/api/node", "/api/meetings", "/api/meetings/m1"} {
		resp, _ := ts.do(t, "GET", path, nil, withToken)
		collect(resp)
	}
	resp, body := ts.do(t, "POST", "/api/tickets", map[string]string{"url": "/api/meetings/m1/files/abc"}, withToken)
	collect(resp)
	var tk ticketResponse
	if err := json.Unmarshal(body, &tk); err != nil || resp.StatusCode != 200 {
		t.Fatalf("mint ticket = %d %s", resp.StatusCode, body)
	}
	resp, _ = ts.do(t, "GET", tk.URL, nil)
	collect(resp)
	before := len(ts.backend.callList())
	if len(jar) != 0 {
		t.Errorf("the UI set cookies %v; any port of 127.0.0.1 receives them", jar.Values("Cookie"))
	}

	// The thief's port: whatever the browser sends there, it keeps.
	var mu sync.Mutex
	var stolen []string
	thief := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		stolen = append(stolen, r.Header.Values("Cookie")...)
		mu.Unlock()
	}))
	defer thief.Close()
	if _, port, _ := net.SplitHostPort(strings.TrimPrefix(thief.URL, "http://")); port == portOf(ts.host) {
		t.Fatal("thief on the UI's port")
	}
	req, _ := http.NewRequest("GET", thief.URL, nil)
	req.Header["Cookie"] = jar.Values("Cookie")
	// The old login cookie, as a browser of an earlier version still holds it.
	req.AddCookie(&http.Cookie{Name: legacyCookie, Value: testToken})
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	mu.Lock()
	replay := append([]string(nil), stolen...)
	mu.Unlock()
	if len(replay) == 0 {
		t.Fatal("the thief received nothing to replay")
	}
	for _, path := range []string{"/api/meetings", "/api/meetings/m1", "/api/meetings/m1/files/abc",
		"/api/meetings/m1/export", "/api/meetings/m1/calendar.ics"} {
		for _, origin := range []string{"", "http://" + ts.host} {
			resp, body := ts.do(t, "GET", path, nil, func(r *http.Request) {
				r.Header["Cookie"] = replay
				if origin != "" {
					r.Header.Set("Origin", origin)
				}
			})
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("GET %s with the stolen cookies %v (Origin %q) = %d %s, want 401", path, replay, origin, resp.StatusCode, body)
			}
		}
	}
	if _, _, err := ts.dialEvents(t, "m1", ts.host, http.Header{"Cookie": replay}); err == nil {
		t.Error("the events WebSocket opened with the stolen cookies")
	}
	if calls := ts.backend.callList(); len(calls) != before {
		t.Errorf("the backend answered a replayed cookie: %v", calls[before:])
	}
}

// mint asks for a ticket for url with the token and returns the URL with it.
func (ts *testServer) mint(t *testing.T, url string) string {
	t.Helper()
	resp, body := ts.do(t, "POST", "/api/tickets", map[string]string{"url": url}, withToken)
	var tk ticketResponse
	if err := json.Unmarshal(body, &tk); err != nil || resp.StatusCode != 200 {
		t.Fatalf("mint ticket for %s = %d %s", url, resp.StatusCode, body)
	}
	if !strings.HasPrefix(tk.URL, url) || !strings.Contains(tk.URL, ticketParam+"=") {
		t.Fatalf("ticket URL %q for %q", tk.URL, url)
	}
	return tk.URL
}

// TestTickets: a ticket opens the one URL it was minted for, once, within its time; it
// is minted only with the token and only for downloads and the events WebSocket.
func TestTickets(t *testing.T) {
	ts := startServer(t, nil)
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	ts.srv.tickets.now = func() time.Time { return time.Unix(0, clock.Load()) }

	t.Run("single use", func(t *testing.T) {
		u := ts.mint(t, "/api/meetings/m1/files/abc")
		if resp, body := ts.do(t, "GET", u, nil); resp.StatusCode != 200 || string(body) != fakeFile {
			t.Fatalf("first use = %d %q", resp.StatusCode, body)
		}
		if resp, _ := ts.do(t, "GET", u, nil); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("second use = %d, want 401", resp.StatusCode)
		}
	})
	t.Run("expired", func(t *testing.T) {
		u := ts.mint(t, "/api/meetings/m1/calendar.ics")
		clock.Add(int64(ticketTTL))
		if resp, _ := ts.do(t, "GET", u, nil); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("use after %v = %d, want 401", ticketTTL, resp.StatusCode)
		}
		u = ts.mint(t, "/api/meetings/m1/calendar.ics")
		clock.Add(int64(ticketTTL - time.Second))
		if resp, _ := ts.do(t, "GET", u, nil); resp.StatusCode != 200 {
			t.Fatalf("use just before expiry = %d, want 200", resp.StatusCode)
		}
	})
	wrong := []struct {
		minted, used string
		burnt        bool // the wrong use spent the ticket (routes that take tickets)
	}{
		{"/api/meetings/m1/files/abc", "/api/meetings/m1/files/abd", true},
		{"/api/meetings/m1/files/abc", "/api/meetings/m2/files/abc", true},
		{"/api/meetings/m1/export?format=md", "/api/meetings/m1/export?format=json", true},
		{"/api/meetings/m1/export?format=md", "/api/meetings/m1/export", true},
		{"/api/meetings/m1/calendar.ics", "/api/meetings/m1/export", true},
		{"/api/meetings/m1/recordings/1/a.ivf", "/api/meetings/m1/recordings/1/b.ivf", true},
		{"/api/meetings/m1/calendar.ics", "/api/meetings", false},    // a route tickets never open
		{"/api/meetings/m1/calendar.ics", "/api/meetings/m1", false}, // nor this one
	}
	for _, w := range wrong {
		t.Run("minted for "+w.minted+" used on "+w.used, func(t *testing.T) {
			u := ts.mint(t, w.minted)
			tok := u[strings.Index(u, ticketParam+"=")+len(ticketParam)+1:]
			if resp, _ := ts.do(t, "GET", w.used, nil, withQuery(ticketParam, tok)); resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("GET %s with a ticket for %s = %d, want 401", w.used, w.minted, resp.StatusCode)
			}
			if resp, _ := ts.do(t, "GET", u, nil); w.burnt && resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("the ticket still opens %s after a wrong use: %d", w.minted, resp.StatusCode)
			}
		})
	}
	t.Run("a ticket keeps its query", func(t *testing.T) {
		u := ts.mint(t, "/api/meetings/m1/export?format=md")
		if resp, body := ts.do(t, "GET", u, nil); resp.StatusCode != 200 {
			t.Fatalf("GET %s = %d %s", u, resp.StatusCode, body)
		}
	})
	t.Run("refused to mint", func(t *testing.T) {
		for _, url := range []string{"/api/meetings", "/api/meetings/m1", "/api/tickets", "/api/meetings/m1/messages",
			"http://127.0.0.1/api/meetings/m1/calendar.ics", "//evil.example/api/meetings/m1/calendar.ics",
			"/api/meetings/m1/calendar.ics?ticket=x", "/", "/static/main.js", "",
			"/api/meetings/m1/files/../../../meetings", "/api/meetings/m1/files/abc/", "/api//meetings/m1/calendar.ics"} {
			if resp, body := ts.do(t, "POST", "/api/tickets", map[string]string{"url": url}, withToken); resp.StatusCode != 400 {
				t.Errorf("mint for %q = %d %s, want 400", url, resp.StatusCode, body)
			}
		}
		body := map[string]string{"url": "/api/meetings/m1/calendar.ics"}
		if resp, _ := ts.do(t, "POST", "/api/tickets", body); resp.StatusCode != 401 {
			t.Errorf("mint without the token = %d, want 401", resp.StatusCode)
		}
		if resp, _ := ts.do(t, "POST", "/api/tickets", body, withToken, withHeader("Origin", "http://127.0.0.1:1")); resp.StatusCode != 403 {
			t.Errorf("mint from another port's page = %d, want 403", resp.StatusCode)
		}
	})
	t.Run("a wrong header is not rescued by a ticket", func(t *testing.T) {
		u := ts.mint(t, "/api/meetings/m1/calendar.ics")
		if resp, _ := ts.do(t, "GET", u, nil, withHeader("Authorization", "Bearer nope")); resp.StatusCode != 401 {
			t.Fatalf("= %d, want 401", resp.StatusCode)
		}
	})
	t.Run("events WebSocket", func(t *testing.T) {
		u := ts.mint(t, "/api/meetings/m1/events")
		dial := func() (*websocket.Conn, *http.Response, error) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			return websocket.Dial(ctx, "ws://"+ts.host+u, &websocket.DialOptions{
				HTTPClient: ts.client, HTTPHeader: http.Header{"Origin": {"http://" + ts.host}}})
		}
		c, _, err := dial()
		if err != nil {
			t.Fatalf("dial with a ticket: %v", err)
		}
		c.CloseNow()
		if _, resp, err := dial(); err == nil || resp == nil || resp.StatusCode != 401 {
			t.Fatalf("second dial with the same ticket: %v", err)
		}
	})
	t.Run("bounded", func(t *testing.T) {
		for range maxTickets + 1 {
			resp, _ := ts.do(t, "POST", "/api/tickets", map[string]string{"url": "/api/meetings/m1/calendar.ics"}, withToken)
			if resp.StatusCode == http.StatusTooManyRequests {
				return
			}
		}
		t.Fatalf("%d tickets outstanding and still minting", maxTickets+1)
	})
}

// TestFloodWithoutTokenDoesNotLockOutTheUser: another local process floods the UI port
// without the token, on many routes and connections at once; the user's own requests,
// with the token, never get 429 while it does, and the flood itself is refused (401,
// then 429) without reaching the backend.
func TestFloodWithoutTokenDoesNotLockOutTheUser(t *testing.T) {
	ts := startServer(t, func(cfg *Config) {
		d := DefaultConfig()
		cfg.RateLimit, cfg.Burst = d.RateLimit, d.Burst
	})
	stop := make(chan struct{})
	var flooded, limited atomic.Int64
	var wg sync.WaitGroup
	paths := []string{"/api/meetings", "/api/meetings/m1/messages", "/api/node", "/api/meetings/m1/files/abc?ticket=guess"}
	for i := range 8 {
		wg.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest("GET", ts.base+paths[(i+n)%len(paths)], nil)
				req.Header.Set("Authorization", "Bearer guess")
				if n%2 == 0 {
					req.Header.Del("Authorization")
					req.AddCookie(&http.Cookie{Name: legacyCookie, Value: "guess"})
				}
				resp, err := ts.client.Do(req)
				if err != nil {
					continue
				}
				resp.Body.Close()
				flooded.Add(1)
				if resp.StatusCode == http.StatusTooManyRequests {
					limited.Add(1)
				}
			}
		})
	}
	defer func() { close(stop); wg.Wait() }()
	waitFor(t, "the flood to be rate-limited", func() bool { return limited.Load() > 0 })
	calls := 0
	before := len(ts.backend.callList())
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); calls++ {
		resp, body := ts.do(t, "GET", "/api/meetings", nil, withToken)
		if resp.StatusCode != 200 {
			t.Fatalf("the user's call %d during the flood = %d %s", calls, resp.StatusCode, body)
		}
		time.Sleep(10 * time.Millisecond) // the UI's pace, well under the token's 50/s
	}
	if resp, _ := ts.do(t, "GET", "/static/main.js", nil); resp.StatusCode != 200 {
		t.Errorf("the app's script during the flood = %d, want 200", resp.StatusCode)
	}
	if got := len(ts.backend.callList()) - before; got > calls+anonBurst+int(anonRateLimit)*2 {
		t.Errorf("the backend answered %d calls for the user's %d: the flood reached it", got, calls)
	}
	t.Logf("flood: %d requests, %d got 429; the user: %d calls, all 200", flooded.Load(), limited.Load(), calls)
}
