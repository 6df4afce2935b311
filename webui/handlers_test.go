package webui

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"meshmeet/webui/api"

	"github.com/prometheus/client_golang/prometheus"
)

func TestRoutes(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		path       string
		body       any
		wantStatus int
		wantCall   string // backend method that must have been called
		wantArgs   []any  // its arguments, when checked
	}{
		{"node", "GET", "/api/node", nil, 200, "Node", nil},
		{"list meetings", "GET", "/api/meetings", nil, 200, "Meetings", nil},
		{"create", "POST", "/api/meetings", `{"title":"standup","duration":15}`, 201, "CreateMeeting",
			[]any{json.RawMessage(`{"title":"standup","duration":15}`)}},
		{"get meeting", "GET", "/api/meetings/m1", nil, 200, "Meeting", []any{"m1"}},
		{"join", "POST", "/api/meetings/join", map[string]string{"joinUrl": "http://127.0.0.1:7700/m/m1#k=s"}, 200, "Join",
			[]any{"http://127.0.0.1:7700/m/m1#k=s"}},
		{"leave", "POST", "/api/meetings/m1/leave", nil, 204, "Leave", []any{"m1"}},
		{"leave with {}", "POST", "/api/meetings/m1/leave", `{}`, 204, "Leave", []any{"m1"}},
		{"end", "POST", "/api/meetings/m1/end", nil, 204, "End", []any{"m1"}},
		{"role", "POST", "/api/meetings/m1/role", map[string]string{"peerId": "p2", "role": "moderator"}, 200, "SetRole",
			[]any{"m1", "p2", "moderator"}},
		{"admit", "POST", "/api/meetings/m1/admit", map[string]string{"peerId": "p2"}, 204, "Admit", []any{"m1", "p2"}},
		{"admit without peer", "POST", "/api/meetings/m1/admit", `{}`, 400, "", nil},
		{"deny", "POST", "/api/meetings/m1/deny", map[string]string{"peerId": "p2"}, 204, "Deny", []any{"m1", "p2"}},
		{"deny without peer", "POST", "/api/meetings/m1/deny", `{}`, 400, "", nil},
		{"remove", "POST", "/api/meetings/m1/remove", map[string]string{"peerId": "p2"}, 204, "Remove", []any{"m1", "p2"}},
		{"mute", "POST", "/api/meetings/m1/mute", map[string]string{"peerId": "p2"}, 204, "Mute", []any{"m1", "p2"}},
		{"recording on", "POST", "/api/meetings/m1/recording", map[string]bool{"on": true}, 200, "SetRecording", []any{"m1", true}},
		{"recording off", "POST", "/api/meetings/m1/recording", map[string]bool{"on": false}, 200, "SetRecording", []any{"m1", false}},
		{"recording without on", "POST", "/api/meetings/m1/recording", `{}`, 400, "", nil},
		{"update", "PATCH", "/api/meetings/m1", `{"title":"x"}`, 200, "UpdateMeeting", []any{"m1", json.RawMessage(`{"title":"x"}`)}},
		{"update without body", "PATCH", "/api/meetings/m1", nil, 400, "", nil},
		{"extend", "POST", "/api/meetings/m1/extend", map[string]int{"minutes": 15}, 200, "Extend", []any{"m1", 15}},
		{"extend without minutes", "POST", "/api/meetings/m1/extend", `{}`, 400, "", nil},
		{"extend by nothing", "POST", "/api/meetings/m1/extend", `{"minutes":0}`, 400, "", nil},
		{"rekey", "POST", "/api/meetings/m1/rekey", nil, 200, "Rekey", []any{"m1"}},
		{"recordings", "GET", "/api/meetings/m1/recordings", nil, 200, "Recordings", []any{"m1"}},
		{"lobby", "GET", "/api/meetings/m1/lobby", nil, 200, "Lobby", []any{"m1"}},
		{"react", "POST", "/api/meetings/m1/reactions", map[string]string{"emoji": "🎉"}, 204, "React", []any{"m1", "🎉"}},
		{"react with nothing", "POST", "/api/meetings/m1/reactions", `{"emoji":""}`, 400, "", nil},
		{"react with more", "POST", "/api/meetings/m1/reactions", `{"emoji":"🎉","size":9}`, 400, "", nil},
		{"rename", "PUT", "/api/node/name", map[string]string{"name": " Ana "}, 200, "SetName", []any{"Ana"}},
		{"rename to nothing", "PUT", "/api/node/name", `{"name":"  "}`, 400, "", nil},
		{"state", "POST", "/api/meetings/m1/state", `{"audio":true}`, 200, "SetMediaState",
			[]any{"m1", json.RawMessage(`{"audio":true}`)}},
		{"messages default limit", "GET", "/api/meetings/m1/messages", nil, 200, "Messages", []any{"m1", "", 100}},
		{"messages after and limit", "GET", "/api/meetings/m1/messages?after=x1&limit=1000", nil, 200, "Messages",
			[]any{"m1", "x1", 1000}},
		{"messages limit 0", "GET", "/api/meetings/m1/messages?limit=0", nil, 400, "", nil},
		{"messages limit too big", "GET", "/api/meetings/m1/messages?limit=1001", nil, 400, "", nil},
		{"messages limit not a number", "GET", "/api/meetings/m1/messages?limit=ten", nil, 400, "", nil},
		{"post message", "POST", "/api/meetings/m1/messages", map[string]string{"text": "hi"}, 200, "PostMessage",
			[]any{"m1", "hi"}},
		{"post empty message", "POST", "/api/meetings/m1/messages", map[string]string{"text": "  "}, 400, "", nil},
		{"participants", "GET", "/api/meetings/m1/participants", nil, 200, "Participants", []any{"m1"}},
		{"media", "GET", "/api/meetings/m1/media", nil, 200, "Media", []any{"m1"}},
		{"audit", "GET", "/api/meetings/m1/audit", nil, 200, "Audit", []any{"m1"}},
		{"join without url", "POST", "/api/meetings/join", `{}`, 400, "", nil},
		{"role without peer", "POST", "/api/meetings/m1/role", `{"role":"host"}`, 400, "", nil},
		{"unknown route", "GET", "/api/nope", nil, 404, "", nil},
		{"wrong method", "PUT", "/api/meetings/m1", nil, 405, "", nil},
		{"delete", "DELETE", "/api/meetings/m1", nil, 204, "Delete", []any{"m1"}},
		{"diagnostics", "GET", "/api/node/diagnostics", nil, 200, "Diagnostics", nil},
		{"metrics unset", "GET", "/metrics", nil, 404, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServer(t, nil)
			resp, body := ts.do(t, tt.method, tt.path, tt.body, withToken)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, tt.wantStatus, body)
			}
			if resp.StatusCode >= 400 {
				errorOf(t, resp, body)
			} else if resp.StatusCode != http.StatusNoContent && !json.Valid(body) {
				t.Errorf("body is not JSON: %s", body)
			}
			if tt.wantCall != "" && !ts.backend.called(tt.wantCall) {
				t.Errorf("backend %s not called", tt.wantCall)
			}
			if tt.wantArgs != nil {
				if got := ts.backend.lastArgs(tt.wantCall); !reflect.DeepEqual(got, tt.wantArgs) {
					t.Errorf("%s args = %#v, want %#v", tt.wantCall, got, tt.wantArgs)
				}
			}
			if tt.wantStatus >= 400 && tt.wantStatus != 405 && tt.wantCall == "" && len(ts.backend.callList()) > 0 {
				t.Errorf("backend called on a rejected request: %v", ts.backend.callList())
			}
		})
	}
}

func TestErrorMapping(t *testing.T) {
	tests := []struct {
		err        error
		wantStatus int
		wantCode   string
	}{
		{fmt.Errorf("create meeting: title: %w", api.ErrInvalid), 400, api.ErrInvalid.Code},
		{fmt.Errorf("join: %w", api.ErrBadLink), 400, api.ErrBadLink.Code},
		{fmt.Errorf("end meeting m1: only the host may end it: %w", api.ErrForbidden), 403, api.ErrForbidden.Code},
		{fmt.Errorf("meeting m1: %w", api.ErrNotFound), 404, api.ErrNotFound.Code},
		{fmt.Errorf("meeting m1 has ended: %w", api.ErrConflict), 409, api.ErrConflict.Code},
		{fmt.Errorf("message: %w", api.ErrTooLarge), 413, api.ErrTooLarge.Code},
		{fmt.Errorf("mesh: %w", api.ErrNotReady), 503, api.ErrNotReady.Code},
		{fmt.Errorf("mesh: %w", api.ErrDiskFull), 507, api.ErrDiskFull.Code},
		{fmt.Errorf("join: %w", api.ErrWrongKey), 403, api.ErrWrongKey.Code},
		{fmt.Errorf("post: %w", api.ErrClockSkew), 409, api.ErrClockSkew.Code},
		{errors.New("badger: secret internal path /var/x"), 500, api.ErrInternal.Code},
	}
	routes := []struct{ method, path, body string }{
		{"GET", "/api/node", ""},
		{"POST", "/api/meetings", `{"title":"x"}`},
		{"GET", "/api/meetings", ""},
		{"GET", "/api/meetings/m1", ""},
		{"POST", "/api/meetings/join", `{"joinUrl":"http://127.0.0.1:7700/m/m1#k=s"}`},
		{"POST", "/api/meetings/m1/leave", ""},
		{"POST", "/api/meetings/m1/end", ""},
		{"POST", "/api/meetings/m1/role", `{"peerId":"p","role":"moderator"}`},
		{"POST", "/api/meetings/m1/state", `{"audio":false}`},
		{"GET", "/api/meetings/m1/messages", ""},
		{"POST", "/api/meetings/m1/messages", `{"text":"hi"}`},
		{"GET", "/api/meetings/m1/participants", ""},
		{"GET", "/api/meetings/m1/media", ""},
		{"GET", "/api/meetings/m1/audit", ""},
		{"GET", "/api/meetings/m1/events", ""},
		{"POST", "/api/meetings/m1/files?name=a.txt", "bytes"},
		{"GET", "/api/meetings/m1/files/abc", ""},
	}
	ts := startServer(t, nil)
	for _, tt := range tests {
		for _, rt := range routes {
			t.Run(fmt.Sprintf("%d %s %s", tt.wantStatus, rt.method, rt.path), func(t *testing.T) {
				ts.backend.setErr(tt.err)
				var body any
				if rt.body != "" {
					body = rt.body
				}
				resp, b := ts.do(t, rt.method, rt.path, body, withToken)
				if resp.StatusCode != tt.wantStatus {
					t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, tt.wantStatus, b)
				}
				e := errorOf(t, resp, b)
				if e.Code != tt.wantCode {
					t.Errorf("code = %q, want %q", e.Code, tt.wantCode)
				}
				if tt.wantStatus == 500 && strings.Contains(e.Message, "badger") {
					t.Errorf("internal error leaked: %q", e.Message)
				}
				if tt.wantStatus == 503 && resp.Header.Get("Retry-After") == "" {
					t.Error("503 without Retry-After")
				}
			})
		}
	}
}

func TestBodyChecks(t *testing.T) {
	big := `{"text":"` + strings.Repeat("a", maxBodyBytes) + `"}`
	tests := []struct {
		name       string
		path       string
		body       any
		wantStatus int
	}{
		{"too large", "/api/meetings/m1/messages", big, 413},
		{"too large raw", "/api/meetings", big, 413},
		{"invalid utf-8", "/api/meetings/m1/messages", []byte("{\"text\":\"\xff\xfe\"}"), 400},
		{"invalid utf-8 raw", "/api/meetings/m1/state", []byte("{\"x\":\"\xc3\x28\"}"), 400},
		{"unknown field", "/api/meetings/m1/messages", `{"text":"hi","html":"<b>"}`, 400},
		{"unknown field join", "/api/meetings/join", `{"joinUrl":"u","extra":1}`, 400},
		{"malformed", "/api/meetings/m1/messages", `{"text":`, 400},
		{"malformed raw", "/api/meetings", `{title:"x"}`, 400},
		{"wrong type", "/api/meetings/m1/messages", `{"text":5}`, 400},
		{"not an object", "/api/meetings/m1/messages", `["hi"]`, 400},
		{"trailing data", "/api/meetings/m1/messages", `{"text":"a"} {"text":"b"}`, 400},
		{"empty", "/api/meetings/m1/messages", "", 400},
		{"empty raw", "/api/meetings", "", 400},
		{"body on leave", "/api/meetings/m1/leave", `{"now":true}`, 400},
	}
	ts := startServer(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := ts.do(t, "POST", tt.path, tt.body, withToken)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, tt.wantStatus, b)
			}
			e := errorOf(t, resp, b)
			t.Logf("message: %s", e.Message)
		})
	}
	if calls := ts.backend.callList(); len(calls) != 0 {
		t.Errorf("backend called for rejected bodies: %v", calls)
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "meshmeet_test_total", Help: "test"})
	reg.MustRegister(c)
	c.Inc()
	ts := startServer(t, func(cfg *Config) { cfg.Metrics = reg })
	resp, body := ts.do(t, "GET", "/metrics", nil, withToken)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "meshmeet_test_total 1") {
		t.Fatalf("GET /metrics = %d %s", resp.StatusCode, body)
	}
	if resp, _ := ts.do(t, "GET", "/metrics", nil); resp.StatusCode != 401 {
		t.Fatalf("GET /metrics without token = %d, want 401", resp.StatusCode)
	}
}

// TestPagesAndLogin: the pages hold no secret and go to anyone; the login address carries
// the token in the #fragment, which no request carries; the cookie of earlier versions is
// expired, never set.
func TestPagesAndLogin(t *testing.T) {
	ts := startServer(t, nil)
	if want := ts.base + "/#token=" + testToken; ts.srv.LoginURL() != want {
		t.Fatalf("LoginURL = %q, want %q", ts.srv.LoginURL(), want)
	}
	cookieOf := func(resp *http.Response) *http.Cookie {
		for _, c := range resp.Cookies() {
			if c.Name == legacyCookie {
				return c
			}
		}
		return nil
	}
	for _, path := range []string{"/", "/m/m1"} {
		t.Run(path, func(t *testing.T) {
			resp, body := ts.do(t, "GET", path, nil)
			if resp.StatusCode != 200 || !strings.Contains(string(body), `src="/static/main.js"`) {
				t.Fatalf("GET %s = %d %s", path, resp.StatusCode, body)
			}
			if cookieOf(resp) != nil || strings.Contains(string(body), testToken) {
				t.Fatal("the page hands out the token")
			}
			if resp.Header.Get("Content-Security-Policy") == "" || resp.Header.Get("Cache-Control") != "no-store" {
				t.Error("page without CSP or cacheable")
			}
		})
		t.Run(path+" old cookie expired", func(t *testing.T) {
			resp, _ := ts.do(t, "GET", path, nil, withCookie(legacyCookie, testToken))
			c := cookieOf(resp)
			if resp.StatusCode != 200 || c == nil || c.MaxAge >= 0 || c.Value != "" {
				t.Fatalf("GET %s with the old cookie = %d, cookie %+v; want it expired", path, resp.StatusCode, c)
			}
		})
	}
	for _, f := range []string{"login.js", "auth.js", "main.js", "api.js", "meeting.js", "home.js", "chat.js", "participants.js", "model.js", "dom.js", "app.css"} {
		t.Run(f, func(t *testing.T) {
			resp, _ := ts.do(t, "GET", "/static/"+f, nil)
			if resp.StatusCode != 200 {
				t.Fatalf("GET /static/%s = %d", f, resp.StatusCode)
			}
			ct := resp.Header.Get("Content-Type")
			if strings.HasSuffix(f, ".js") && !strings.Contains(ct, "javascript") {
				t.Errorf("Content-Type %q", ct)
			}
			if len(resp.Cookies()) != 0 {
				t.Error("static file sets a cookie")
			}
		})
	}
}

func TestCalendarRoute(t *testing.T) {
	ts := startServer(t, nil)
	resp, body := ts.do(t, "GET", "/api/meetings/m1/calendar.ics", nil, withToken)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/calendar") ||
		!strings.HasPrefix(string(body), "BEGIN:VCALENDAR") || !ts.backend.called("Calendar") {
		t.Fatalf("GET calendar.ics = %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if resp, _ := ts.do(t, "GET", "/api/meetings/m1/calendar.ics", nil); resp.StatusCode != 401 {
		t.Fatalf("without token = %d, want 401", resp.StatusCode)
	}
}

// TestExportRoute: the record downloads as an attachment under a sandbox
// CSP (it holds participants' text), in md by default.
func TestExportRoute(t *testing.T) {
	ts := startServer(t, nil)
	for q, format := range map[string]string{"": "md", "?format=html": "html"} {
		resp, body := ts.do(t, "GET", "/api/meetings/m1/export"+q, nil, withToken)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/octet-stream" ||
			!strings.Contains(resp.Header.Get("Content-Security-Policy"), "sandbox") ||
			!strings.Contains(resp.Header.Get("Content-Disposition"), "meeting-m1."+format) || string(body) != "# record" {
			t.Fatalf("GET export%s = %d %v %q", q, resp.StatusCode, resp.Header, body)
		}
		if got := ts.backend.lastArgs("Export"); !reflect.DeepEqual(got, []any{"m1", format}) {
			t.Fatalf("Export args = %v", got)
		}
	}
	if resp, _ := ts.do(t, "GET", "/api/meetings/m1/export", nil); resp.StatusCode != 401 {
		t.Fatalf("without token = %d, want 401", resp.StatusCode)
	}
}

// TestFileRoutes: an upload reaches the backend whole, with its name and
// type; a download is an attachment that no browser renders on this origin.
func TestFileRoutes(t *testing.T) {
	ts := startServer(t, nil)
	resp, body := ts.do(t, "POST", "/api/meetings/m1/files?name=a%20b.txt", "file bytes", withToken, withHeader("Content-Type", "text/plain"))
	if resp.StatusCode != 201 || !strings.Contains(string(body), `"name":"a b.txt"`) {
		t.Fatalf("upload = %d %s", resp.StatusCode, body)
	}
	if got := ts.backend.lastArgs("ShareFile"); fmt.Sprint(got) != "[m1 a b.txt text/plain file bytes]" {
		t.Fatalf("backend got %v", got)
	}
	if resp, body := ts.do(t, "POST", "/api/meetings/m1/files", "x", withToken); resp.StatusCode != 400 {
		t.Fatalf("upload without name = %d %s", resp.StatusCode, body)
	}
	if resp, _ := ts.do(t, "POST", "/api/meetings/m1/files?name=a", "x"); resp.StatusCode != 401 {
		t.Fatalf("upload without token = %d", resp.StatusCode)
	}

	resp, body = ts.do(t, "GET", "/api/meetings/m1/files/abc", nil, withToken)
	h := resp.Header
	if resp.StatusCode != 200 || string(body) != fakeFile || h.Get("Content-Type") != "application/octet-stream" ||
		h.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(h.Get("Content-Security-Policy"), "sandbox") {
		t.Fatalf("download = %d %q %v", resp.StatusCode, body, h)
	}
	if _, params, err := mime.ParseMediaType(h.Get("Content-Disposition")); err != nil || params["filename"] != "résumé <1>.html" {
		t.Fatalf("Content-Disposition %q: %v %v", h.Get("Content-Disposition"), params, err)
	}
	if got := ts.backend.lastArgs("OpenFile"); fmt.Sprint(got) != "[m1 abc]" {
		t.Fatalf("backend got %v", got)
	}
	resp, body = ts.do(t, "GET", "/api/meetings/m1/files/abc", nil, withToken, withHeader("Range", "bytes=11-"))
	if resp.StatusCode != 206 || string(body) != fakeFile[11:] {
		t.Fatalf("range = %d %q", resp.StatusCode, body)
	}
	if resp, _ := ts.do(t, "GET", "/api/meetings/m1/files/abc", nil); resp.StatusCode != 401 {
		t.Fatalf("download without token = %d", resp.StatusCode)
	}
	small := startServer(t, func(c *Config) { c.MaxUpload = 4 })
	if resp, body := small.do(t, "POST", "/api/meetings/m1/files?name=big", "12345", withToken); resp.StatusCode != 413 || small.backend.called("ShareFile") {
		t.Fatalf("announced too large = %d %s", resp.StatusCode, body)
	}
	resp, body = ts.do(t, "GET", "/api/meetings/m1/recordings/20261127T101010Z/p-camera.ivf", nil, withToken)
	if resp.StatusCode != 200 || string(body) != fakeFile || resp.Header.Get("Content-Type") != "application/octet-stream" ||
		fmt.Sprint(ts.backend.lastArgs("OpenRecording")) != "[m1 20261127T101010Z/p-camera.ivf]" {
		t.Fatalf("recording download = %d %q %v", resp.StatusCode, body, ts.backend.lastArgs("OpenRecording"))
	}
	ts.backend.setErr(fmt.Errorf("%w: the file is larger than 64 MiB", api.ErrTooLarge))
	if resp, body := ts.do(t, "POST", "/api/meetings/m1/files?name=big", "x", withToken); resp.StatusCode != 413 {
		t.Fatalf("too large = %d %s", resp.StatusCode, body)
	}
	ts.backend.setErr(fmt.Errorf("%w: no file", api.ErrNotFound))
	if resp, body := ts.do(t, "GET", "/api/meetings/m1/files/abc", nil, withToken); resp.StatusCode != 404 || !strings.Contains(string(body), `"code"`) {
		t.Fatalf("unknown file = %d %s", resp.StatusCode, body)
	}
}
