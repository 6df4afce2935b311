package node

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

// TestChatAcrossThreeNodes is the thin slice: a meeting created on one node,
// joined by link from two others, and chat that reaches all three in order.
func TestChatAcrossThreeNodes(t *testing.T) {
	a := startNode(t, "alice", "")
	b := startNode(t, "bob", "", withPeers(a))
	c := startNode(t, "carol", "", withPeers(a, b))

	m := a.create(t, map[string]any{"title": "Standup"})
	if m.Meeting.Status != "scheduled" || m.Meeting.Duration != 60 || m.Meeting.Settings.MaxParticipants != 50 || !m.Meeting.Settings.EnableChat {
		t.Fatalf("defaults not applied: %+v", m.Meeting)
	}
	id := m.Meeting.ID
	for _, n := range []*testNode{a, b, c} {
		v := n.join(t, m.JoinURL)
		if !v.Joined {
			t.Fatalf("%s not joined", n.cfg.Name)
		}
	}
	// A conversation: each person answers after seeing the message before,
	// so every node must show the lines in the order they were written.
	var msgs []string
	for i, n := range []*testNode{a, b, c, a} {
		text := []string{"hi from alice", "bob here", "carol too", "welcome"}[i]
		n.do(t, http.MethodPost, "/api/meetings/"+id+"/messages", map[string]string{"text": text}, nil)
		msgs = append(msgs, text)
		for _, o := range []*testNode{a, b, c} {
			eventually(t, 10*time.Second, o.cfg.Name+" history", func() error { return sameTexts(msgs, o.messages(t, id)) })
		}
	}
	// Lines written at the same moment on different nodes (no one saw the
	// other's) may fall either way, but in the same order everywhere.
	var wg sync.WaitGroup
	for _, n := range []*testNode{a, b, c} {
		wg.Go(func() { post(t, n, id, "at once from "+n.cfg.Name) })
	}
	wg.Wait()
	eventually(t, 10*time.Second, "same order everywhere", func() error {
		ref := a.messages(t, id)
		if len(ref) != 7 {
			return fmt.Errorf("alice has %d messages", len(ref))
		}
		for _, o := range []*testNode{b, c} {
			if err := sameTexts(texts(ref), o.messages(t, id)); err != nil {
				return fmt.Errorf("%s: %w", o.cfg.Name, err)
			}
		}
		return nil
	})
}
