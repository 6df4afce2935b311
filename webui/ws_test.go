package webui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"meshmeet/webui/api"

	"github.com/coder/websocket"
)

// dialEvents opens the events WebSocket of meeting id with the given headers.
func (ts *testServer) dialEvents(t *testing.T, id, host string, header http.Header) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return websocket.Dial(ctx, "ws://"+ts.host+"/api/meetings/"+id+"/events", &websocket.DialOptions{
		HTTPClient: ts.client,
		HTTPHeader: header,
		Host:       host,
	})
}

func authHeader(origin string) http.Header {
	h := http.Header{}
	h.Set("Authorization", "Bearer "+testToken)
	if origin != "" {
		h.Set("Origin", origin)
	}
	return h
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func readEvent(t *testing.T, c *websocket.Conn) api.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	typ, b, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("read event: %v", err)
	}
	if typ != websocket.MessageText {
		t.Fatalf("message type %v, want text", typ)
	}
	var ev api.Event
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatalf("event %s: %v", b, err)
	}
	return ev
}

func sendEvent(t *testing.T, fb *fakeBackend, ev api.Event) {
	t.Helper()
	select {
	case fb.events <- ev:
	case <-time.After(5 * time.Second):
		t.Fatal("nobody took the event")
	}
}

// expectClose reads until the connection ends and returns its close status.
func expectClose(t *testing.T, c *websocket.Conn) websocket.StatusCode {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		_, _, err := c.Read(ctx)
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				t.Fatal("connection not closed in time")
			}
			t.Logf("read ended: %v", err)
			return websocket.CloseStatus(err)
		}
	}
}

func TestWebSocketStreamsEventsAndEndsWithServer(t *testing.T) {
	ts := startServer(t, nil)
	c, _, err := ts.dialEvents(t, "m1", "", authHeader("http://"+ts.host))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.CloseNow()

	for i := range 3 {
		sendEvent(t, ts.backend, api.Event{Type: "chat-message", Data: map[string]any{"text": fmt.Sprint("hello ", i)}})
		ev := readEvent(t, c)
		if ev.Type != "chat-message" || ev.Data.(map[string]any)["text"] != fmt.Sprint("hello ", i) {
			t.Fatalf("event %d = %+v", i, ev)
		}
	}
	if got := ts.backend.lastArgs("Subscribe"); len(got) != 1 || got[0] != "m1" {
		t.Errorf("Subscribe args = %v", got)
	}

	// Client messages, valid or not, are dropped without ending the stream.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, msg := range []string{`{"type":"signal","data":{}}`, `not json`, `{"type":""}`} {
		if err := c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	sendEvent(t, ts.backend, api.Event{Type: "meeting-updated", Data: nil})
	if ev := readEvent(t, c); ev.Type != "meeting-updated" {
		t.Fatalf("event = %+v", ev)
	}

	go ts.stop()
	if st := expectClose(t, c); st != websocket.StatusGoingAway {
		t.Errorf("close status = %v, want going away", st)
	}
	waitFor(t, "subscription to end", func() bool { return ts.backend.liveSubs() == 0 })
}

func TestWebSocketClientLeaves(t *testing.T) {
	ts := startServer(t, nil)
	c, _, err := ts.dialEvents(t, "m1", "", authHeader(""))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	waitFor(t, "subscription", func() bool { return ts.backend.liveSubs() == 1 })
	if err := c.Close(websocket.StatusNormalClosure, "bye"); err != nil {
		t.Errorf("close: %v", err)
	}
	waitFor(t, "subscription to end", func() bool { return ts.backend.liveSubs() == 0 })
}

func TestWebSocketStreamEnds(t *testing.T) {
	ts := startServer(t, nil)
	c, _, err := ts.dialEvents(t, "m1", "", authHeader(""))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.CloseNow()
	waitFor(t, "subscription", func() bool { return ts.backend.liveSubs() == 1 })
	close(ts.backend.events)
	if st := expectClose(t, c); st != websocket.StatusNormalClosure {
		t.Errorf("close status = %v, want normal", st)
	}
}

func TestWebSocketRejects(t *testing.T) {
	ts := startServer(t, nil)
	ts.backend.setErr(nil)
	tests := []struct {
		name       string
		id         string
		host       string
		header     http.Header
		wantStatus int
	}{
		{"foreign host", "m1", "evil.example", authHeader(""), 403},
		{"foreign host with matching origin", "m1", "evil.example:80", authHeader("http://evil.example:80"), 403},
		{"foreign origin", "m1", "", authHeader("http://evil.example"), 403},
		{"no token", "m1", "", http.Header{}, 401},
		{"wrong token", "m1", "", http.Header{"Authorization": {"Bearer x"}}, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, resp, err := ts.dialEvents(t, tt.id, tt.host, tt.header)
			if err == nil {
				c.CloseNow()
				t.Fatal("dial succeeded")
			}
			if resp == nil || resp.StatusCode != tt.wantStatus {
				t.Fatalf("response %v, want status %d (err %v)", resp, tt.wantStatus, err)
			}
		})
	}
	t.Run("unknown meeting", func(t *testing.T) {
		ts.backend.setErr(fmt.Errorf("meeting zz: %w", api.ErrNotFound))
		defer ts.backend.setErr(nil)
		c, resp, err := ts.dialEvents(t, "zz", "", authHeader(""))
		if err == nil {
			c.CloseNow()
			t.Fatal("dial succeeded")
		}
		if resp == nil || resp.StatusCode != 404 {
			t.Fatalf("response %v, want 404", resp)
		}
	})
	if ts.backend.liveSubs() != 0 {
		t.Error("a rejected WebSocket subscribed")
	}
}

func TestWebSocketSlowClientIsDropped(t *testing.T) {
	ts := startServer(t, nil)
	ts.srv.wsTimeout = 100 * time.Millisecond // set before any WebSocket exists
	c, _, err := ts.dialEvents(t, "m1", "", authHeader(""))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.CloseNow()
	waitFor(t, "subscription", func() bool { return ts.backend.liveSubs() == 1 })

	// Never read on c: the socket buffers fill and a write times out.
	big := strings.Repeat("x", 60<<10)
	stop := make(chan struct{})
	pushed := make(chan struct{})
	go func() {
		defer close(pushed)
		for {
			select {
			case ts.backend.events <- api.Event{Type: "chat-message", Data: big}:
			case <-stop:
				return
			}
		}
	}()
	waitFor(t, "slow client to be dropped", func() bool { return ts.backend.liveSubs() == 0 })
	close(stop)
	<-pushed
}
