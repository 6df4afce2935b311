package webui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"meshmeet/webui/api"

	"go.uber.org/goleak"
	"golang.org/x/time/rate"
)

const testToken = "0123456789abcdef0123456789abcdef"

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testServer is a running Server with its fake backend and an HTTP client.
type testServer struct {
	srv     *Server
	backend *fakeBackend
	client  *http.Client
	base    string // http://127.0.0.1:port
	host    string // 127.0.0.1:port
	stop    func() // ends Run and waits for it
}

// startServer runs a Server on 127.0.0.1:0 until the test ends.
func startServer(t *testing.T, mutate func(*Config)) *testServer {
	t.Helper()
	fb := newFakeBackend()
	cfg := DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.Token = testToken
	cfg.Backend = fb
	cfg.RateLimit = rate.Inf
	cfg.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	if mutate != nil {
		mutate(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	select {
	case <-srv.Ready():
	case err := <-done:
		cancel()
		t.Fatalf("Run: %v", err)
	case <-time.After(5 * time.Second):
		cancel()
		t.Fatal("server not ready within 5s")
	}
	tr := &http.Transport{}
	ts := &testServer{
		srv:     srv,
		backend: fb,
		client: &http.Client{Transport: tr, Timeout: 10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		base: srv.URL(),
		host: srv.Addr(),
	}
	var once sync.Once
	ts.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run returned %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Error("Run did not return within 10s of cancel")
			}
			tr.CloseIdleConnections()
		})
	}
	t.Cleanup(ts.stop)
	return ts
}

// reqOpt adjusts a request before it is sent.
type reqOpt func(*http.Request)

func withToken(r *http.Request)     { r.Header.Set("Authorization", "Bearer "+testToken) }
func withHost(h string) reqOpt      { return func(r *http.Request) { r.Host = h } }
func withHeader(k, v string) reqOpt { return func(r *http.Request) { r.Header.Set(k, v) } }
func withQuery(k, v string) reqOpt {
	return func(r *http.Request) {
		q := r.URL.Query()
		q.Set(k, v)
		r.URL.RawQuery = q.Encode()
	}
}
func withCookie(name, value string) reqOpt {
	return func(r *http.Request) { r.AddCookie(&http.Cookie{Name: name, Value: value}) }
}

// do sends a request and returns the response with its body read.
func (ts *testServer) do(t *testing.T, method, path string, body any, opts ...reqOpt) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(enc)
	}
	req, err := http.NewRequest(method, ts.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range opts {
		o(req)
	}
	resp, err := ts.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// errorOf decodes an error response and checks its shape.
func errorOf(t *testing.T, resp *http.Response, body []byte) api.Error {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("error Content-Type = %q, want JSON", ct)
	}
	var e api.Error
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	if e.Message == "" || e.Code == "" {
		t.Errorf("error body %q lacks error or code", body)
	}
	return e
}

func TestNewValidatesConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no token", Config{Backend: newFakeBackend()}},
		{"no backend", Config{Token: testToken}},
		{"on the network", Config{Addr: "0.0.0.0:7700", Token: testToken, Backend: newFakeBackend()}},
		{"on a LAN address", Config{Addr: "192.0.2.7:7700", Token: testToken, Backend: newFakeBackend()}},
		{"on every interface", Config{Addr: ":7700", Token: testToken, Backend: newFakeBackend()}},
		{"a name", Config{Addr: "example.com:7700", Token: testToken, Backend: newFakeBackend()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.cfg); err == nil {
				t.Fatal("New accepted an incomplete config")
			}
		})
	}
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0", "localhost:0", "127.0.0.2:0"} {
		if _, err := New(Config{Addr: addr, Token: testToken, Backend: newFakeBackend()}); err != nil {
			t.Errorf("%s refused: %v", addr, err)
		}
	}
	s, err := New(Config{Token: testToken, Backend: newFakeBackend()})
	if err != nil {
		t.Fatal(err)
	}
	if s.Addr() != "127.0.0.1:7700" || s.URL() != "http://127.0.0.1:7700" {
		t.Errorf("default Addr/URL = %q/%q", s.Addr(), s.URL())
	}
}

func TestRunLifecycle(t *testing.T) {
	ts := startServer(t, nil)
	if strings.HasSuffix(ts.host, ":0") {
		t.Fatalf("Addr %q is not the bound address", ts.host)
	}
	if resp, _ := ts.do(t, "GET", "/api/node", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/node = %d", resp.StatusCode)
	}
	if err := ts.srv.Run(context.Background()); err == nil {
		t.Error("second Run succeeded")
	}
	ts.stop()
	if err := ts.srv.Close(); err != nil {
		t.Error(err)
	}
	if err := ts.srv.Close(); err != nil {
		t.Error(err)
	}
	if _, err := http.Get(ts.base + "/api/node"); err == nil {
		t.Error("server still answers after Run returned")
	}
}

func TestCloseStopsRun(t *testing.T) {
	s, err := New(Config{Addr: "127.0.0.1:0", Token: testToken, Backend: newFakeBackend()})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(context.Background()) }()
	<-s.Ready()
	_ = s.Close()
	_ = s.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v after Close", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after Close")
	}
	if err := s.Run(context.Background()); err == nil {
		t.Error("Run after Close succeeded")
	}

	closed, _ := New(Config{Addr: "127.0.0.1:0", Token: testToken, Backend: newFakeBackend()})
	_ = closed.Close()
	if err := closed.Run(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("Run after Close = %v, want ErrClosed", err)
	}
}

// TestUnknownAddress: a browser asking for an address the UI has no page for gets the
// app (404), which says so in words (or shows the login form when it holds no token); a
// program gets the JSON error with its code.
func TestUnknownAddress(t *testing.T) {
	ts := startServer(t, nil)
	html := withHeader("Accept", "text/html,application/xhtml+xml")
	resp, body := ts.do(t, "GET", "/no/such/page", nil, html)
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), `src="/static/main.js"`) {
		t.Errorf("browser: %d %q", resp.StatusCode, body)
	}
	resp, body = ts.do(t, "GET", "/no/such/page", nil, withToken)
	if e := errorOf(t, resp, body); resp.StatusCode != http.StatusNotFound || e.Code != api.ErrNoSuchPage.Code {
		t.Errorf("program: %d %+v", resp.StatusCode, e)
	}
}
