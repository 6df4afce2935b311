package webui

import (
	"net"
	"net/http"
	"testing"

	"meshmeet/webui/api"

	"golang.org/x/time/rate"
)

func TestHostCheck(t *testing.T) {
	ts := startServer(t, nil)
	_, port, _ := net.SplitHostPort(ts.host)
	tests := []struct {
		host       string
		wantStatus int
	}{
		{"127.0.0.1:" + port, 200},
		{"localhost:" + port, 200},
		{"LOCALHOST:" + port, 200},
		{"[::1]:" + port, 200},
		{"127.0.0.1", 200},
		{"localhost", 200},
		{"evil.example", 403},
		{"evil.example:" + port, 403},
		{"127.0.0.1.evil.example:" + port, 403},
		{"localhost.evil.example", 403},
		{"10.0.0.1:" + port, 403},
	}
	for _, tt := range tests {
		for _, path := range []string{"/api/node", "/", "/static/main.js", "/api/nope"} {
			t.Run(tt.host+path, func(t *testing.T) {
				resp, body := ts.do(t, "GET", path, nil, withHost(tt.host))
				want := tt.wantStatus
				switch {
				case want == 200 && path == "/api/nope":
					want = 404
				}
				if resp.StatusCode != want {
					t.Fatalf("status = %d, want %d", resp.StatusCode, want)
				}
				if want == 403 {
					errorOf(t, resp, body)
					if len(resp.Cookies()) != 0 {
						t.Error("cookie set for a foreign Host")
					}
				}
			})
		}
	}
	t.Run("POST with foreign host", func(t *testing.T) {
		resp, _ := ts.do(t, "POST", "/api/meetings/m1/end", nil, withToken, withHost("evil.example"))
		if resp.StatusCode != 403 {
			t.Fatalf("status = %d, want 403", resp.StatusCode)
		}
		if ts.backend.called("End") {
			t.Error("End called")
		}
	})
}

func TestOriginAndToken(t *testing.T) {
	ts := startServer(t, nil)
	self := "http://" + ts.host
	tests := []struct {
		name       string
		opts       []reqOpt
		wantStatus int
	}{
		{"bearer token", []reqOpt{withToken}, 204},
		{"bearer lower-case scheme", []reqOpt{withHeader("Authorization", "bearer "+testToken)}, 204},
		{"bearer and same origin", []reqOpt{withToken, withHeader("Origin", self)}, 204},
		{"token as cookie", []reqOpt{withCookie(legacyCookie, testToken)}, 401},
		{"token as cookie, same origin", []reqOpt{withCookie(legacyCookie, testToken), withHeader("Origin", self)}, 401},
		{"token as query", []reqOpt{withQuery("token", testToken)}, 401},
		{"token as ticket", []reqOpt{withQuery(ticketParam, testToken)}, 401},
		{"no token", nil, 401},
		{"wrong token", []reqOpt{withHeader("Authorization", "Bearer nope")}, 401},
		{"token prefix", []reqOpt{withHeader("Authorization", "Bearer "+testToken[:10])}, 401},
		{"basic scheme", []reqOpt{withHeader("Authorization", "Basic "+testToken)}, 401},
		{"foreign origin", []reqOpt{withToken, withHeader("Origin", "http://evil.example")}, 403},
		{"null origin", []reqOpt{withToken, withHeader("Origin", "null")}, 403},
		{"other loopback port", []reqOpt{withToken, withHeader("Origin", "http://127.0.0.1:1")}, 403},
		{"other loopback name", []reqOpt{withToken, withHeader("Origin", "http://localhost:"+portOf(ts.host))}, 403},
		{"https origin", []reqOpt{withToken, withHeader("Origin", "https://"+ts.host)}, 403},
		{"foreign origin without token", []reqOpt{withHeader("Origin", "http://evil.example")}, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := ts.do(t, "POST", "/api/meetings/m1/leave", nil, tt.opts...)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d; %s", resp.StatusCode, tt.wantStatus, body)
			}
			if tt.wantStatus >= 400 {
				errorOf(t, resp, body)
			}
		})
	}
	// Reads are private too: history and participants need the token.
	reads := []struct {
		name       string
		opts       []reqOpt
		wantStatus int
	}{
		{"no token", nil, 401},
		{"bearer token", []reqOpt{withToken}, 200},
		{"token as cookie", []reqOpt{withCookie(legacyCookie, testToken)}, 401},
		{"foreign origin", []reqOpt{withToken, withHeader("Origin", "http://evil.example")}, 403},
	}
	for _, path := range []string{"/api/meetings", "/api/meetings/m1", "/api/meetings/m1/messages",
		"/api/meetings/m1/participants", "/api/meetings/m1/media", "/api/meetings/m1/audit", "/api/meetings/m1/lobby"} {
		for _, tt := range reads {
			t.Run("GET "+path+" "+tt.name, func(t *testing.T) {
				resp, body := ts.do(t, "GET", path, nil, tt.opts...)
				if tt.wantStatus == 200 && resp.StatusCode >= 400 && resp.StatusCode != 404 || tt.wantStatus != 200 && resp.StatusCode != tt.wantStatus {
					t.Fatalf("status = %d, want %d; %s", resp.StatusCode, tt.wantStatus, body)
				}
			})
		}
	}
	if resp, _ := ts.do(t, "GET", "/api/node", nil); resp.StatusCode != 200 {
		t.Fatalf("readiness probe GET /api/node without token = %d, want 200", resp.StatusCode)
	}
}

func TestRateLimit(t *testing.T) {
	ts := startServer(t, func(cfg *Config) {
		cfg.RateLimit = rate.Every(1e12) // effectively no refill during the test
		cfg.Burst = 3
	})
	for i := range 3 {
		if resp, _ := ts.do(t, "GET", "/api/meetings", nil, withToken); resp.StatusCode != 200 {
			t.Fatalf("request %d: status %d", i, resp.StatusCode)
		}
	}
	resp, body := ts.do(t, "GET", "/api/meetings", nil, withToken)
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("status = %d, want 429", resp.StatusCode)
	}
	if e := errorOf(t, resp, body); e.Code != api.ErrRateLimited.Code {
		t.Errorf("code = %q", e.Code)
	}
	if resp.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	if resp, _ := ts.do(t, "GET", "/static/main.js", nil); resp.StatusCode != 200 {
		t.Errorf("the app's scripts = %d once the token's bucket is empty, want 200", resp.StatusCode)
	}
}

func TestSameLoopbackOrigin(t *testing.T) {
	tests := []struct {
		origin, host string
		want         bool
	}{
		{"http://127.0.0.1:7700", "127.0.0.1:7700", true},
		{"http://localhost:7700", "localhost:7700", true},
		{"http://[::1]:7700", "[::1]:7700", true},
		{"http://127.0.0.1:7700/", "127.0.0.1:7700", true},
		{"http://127.0.0.1:7701", "127.0.0.1:7700", false},
		{"http://evil.example:7700", "evil.example:7700", false},
		{"http://user@127.0.0.1:7700", "127.0.0.1:7700", false},
		{"ws://127.0.0.1:7700", "127.0.0.1:7700", false},
		{"null", "127.0.0.1:7700", false},
		{"", "127.0.0.1:7700", false},
	}
	for _, tt := range tests {
		if got := sameLoopbackOrigin(tt.origin, tt.host); got != tt.want {
			t.Errorf("sameLoopbackOrigin(%q, %q) = %v, want %v", tt.origin, tt.host, got, tt.want)
		}
	}
}

func portOf(hostport string) string {
	_, port, _ := net.SplitHostPort(hostport)
	return port
}

func TestIsLoopbackHost(t *testing.T) {
	tests := map[string]bool{
		"127.0.0.1:1": true, "localhost": true, "[::1]": true, "[::1]:80": true, "::1": false,
		"": false, "[::1": false, "127.0.0.2": false, "localhost.": false, "0.0.0.0:7700": false,
	}
	for host, want := range tests {
		if got := isLoopbackHost(host); got != want {
			t.Errorf("isLoopbackHost(%q) = %v, want %v", host, got, want)
		}
	}
}
