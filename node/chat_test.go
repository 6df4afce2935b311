package node

import (
	"net/http"
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
	var msgs []string
	for i, n := range []*testNode{a, b, c, a} {
		text := []string{"hi from alice", "bob here", "carol too", "welcome"}[i]
		n.do(t, http.MethodPost, "/api/meetings/"+id+"/messages", map[string]string{"text": text}, nil)
		msgs = append(msgs, text)
	}
	for _, n := range []*testNode{a, b, c} {
		eventually(t, 10*time.Second, n.cfg.Name+" history", func() error { return sameTexts(msgs, n.messages(t, id)) })
	}
}
