package node

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"meshmeet/webui/api"

	"github.com/coder/websocket"
)

func (n *testNode) participants(t testing.TB, id string) ([]api.Participant, error) {
	var ps []api.Participant
	err := n.c.Do(t.Context(), http.MethodGet, "/api/meetings/"+id+"/participants", nil, &ps)
	return ps, err
}

func names(ps []api.Participant) string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Name)
	}
	return strings.Join(out, ",")
}

// TestPresence: live participants with media state, and a dead node leaves
// everyone's list within 10 s.
func TestPresence(t *testing.T) {
	a := startNode(t, "alice", "")
	b := startNode(t, "bob", "", withPeers(a))
	c := startNode(t, "carol", "", withPeers(a, b))
	m := a.create(t, map[string]any{"title": "Presence"})
	id := m.Meeting.ID
	for _, n := range []*testNode{a, b, c} {
		n.join(t, m.JoinURL)
	}
	eventually(t, 10*time.Second, "alice sees all three", func() error {
		ps, err := a.participants(t, id)
		if err != nil || names(ps) != "alice,bob,carol" {
			return fmt.Errorf("participants %q %v", names(ps), err)
		}
		return nil
	})

	state := api.MediaState{Audio: true, Video: false, ScreenShare: true, HandRaised: true}
	b.do(t, http.MethodPost, "/api/meetings/"+id+"/state", state, nil)
	for _, n := range []*testNode{a, c} {
		eventually(t, 5*time.Second, n.cfg.Name+" sees bob's media state", func() error {
			ps, err := n.participants(t, id)
			if err != nil {
				return err
			}
			for _, p := range ps {
				if p.Name != "bob" || p.Media == nil {
					continue
				}
				if got := *p.Media; got.HandRaisedAt > 0 {
					got.HandRaisedAt = 0 // stamped by bob's node (TestRaisedHandsOrder)
					if got == state {
						return nil
					}
				}
			}
			return fmt.Errorf("participants %+v", ps)
		})
	}
	b.doErr(t, http.StatusBadRequest, http.MethodPost, "/api/meetings/"+id+"/state", map[string]any{"audio": "yes"})

	c.Close()
	start := time.Now()
	eventually(t, 10*time.Second, "carol gone from alice's and bob's lists", func() error {
		for _, n := range []*testNode{a, b} {
			ps, err := n.participants(t, id)
			if err != nil || names(ps) != "alice,bob" {
				return fmt.Errorf("%s: participants %q %v", n.cfg.Name, names(ps), err)
			}
		}
		return nil
	})
	t.Logf("dead node left the list after %v", time.Since(start).Round(100*time.Millisecond))
}

// wsEvents opens a node's live event stream for a meeting.
func wsEvents(t testing.TB, n *testNode, id string) <-chan map[string]any {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	url := strings.Replace(n.UIURL(), "http", "ws", 1) + "/api/meetings/" + id + "/events"
	conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + n.c.Token}}})
	if err != nil {
		t.Fatalf("websocket: %v", err)
	}
	out := make(chan map[string]any, 100)
	go func() {
		defer close(out)
		defer conn.CloseNow()
		for {
			_, data, err := conn.Read(ctx)
			if err != nil {
				return
			}
			var ev map[string]any
			if json.Unmarshal(data, &ev) == nil {
				out <- ev
			}
		}
	}()
	return out
}

func waitEvent(t testing.TB, ch <-chan map[string]any, typ string, match func(map[string]any) bool) {
	t.Helper()
	waitFor(t, ch, typ, func(ev map[string]any) bool {
		return ev["type"] == typ && (match == nil || match(ev["data"].(map[string]any)))
	})
}

// waitFor waits up to 10 s for an event that match accepts.
func waitFor(t testing.TB, ch <-chan map[string]any, what string, match func(map[string]any) bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatalf("event stream closed waiting for %s", what)
			}
			if match(ev) {
				return
			}
		case <-deadline:
			t.Fatalf("no %s event", what)
		}
	}
}

func TestLiveEvents(t *testing.T) {
	a := startNode(t, "alice", "")
	b := startNode(t, "bob", "", withPeers(a))
	m := a.create(t, map[string]any{"title": "Live"})
	id := m.Meeting.ID
	a.join(t, m.JoinURL)
	evs := wsEvents(t, a, id)
	b.join(t, m.JoinURL)
	waitEvent(t, evs, "participant-joined", func(d map[string]any) bool { return d["name"] == "bob" })
	b.do(t, http.MethodPost, "/api/meetings/"+id+"/messages", map[string]string{"text": "live!"}, nil)
	waitEvent(t, evs, "chat-message", func(d map[string]any) bool { return d["text"] == "live!" && d["name"] == "bob" })
	b.do(t, http.MethodPost, "/api/meetings/"+id+"/state", map[string]bool{"video": true}, nil)
	waitEvent(t, evs, "media-state-changed", func(d map[string]any) bool {
		media, _ := d["media"].(map[string]any)
		return d["name"] == "bob" && media["video"] == true
	})
	b.do(t, http.MethodPost, "/api/meetings/"+id+"/leave", nil, nil)
	waitEvent(t, evs, "participant-left", func(d map[string]any) bool { return d["name"] == "bob" })
	// Rejoining works, and the others see it without reloading.
	b.join(t, m.JoinURL)
	waitEvent(t, evs, "participant-joined", func(d map[string]any) bool { return d["name"] == "bob" && d["leftAt"] == nil })
	a.do(t, http.MethodPost, "/api/meetings/"+id+"/end", nil, nil)
	waitEvent(t, evs, "meeting-ended", nil)
}
