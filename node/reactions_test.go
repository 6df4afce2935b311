package node

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"meshmeet/webui/api"
)

// waitReaction waits for the flat reaction event {"type":"reaction","meeting","peer","emoji"}.
func waitReaction(t testing.TB, ch <-chan map[string]any, meeting, peer, emoji string) {
	t.Helper()
	waitFor(t, ch, "reaction "+emoji, func(ev map[string]any) bool {
		return ev["type"] == api.EventReaction && ev["meeting"] == meeting && ev["peer"] == peer && ev["emoji"] == emoji
	})
}

// TestReactions: a reaction posted on one node reaches the page of every
// node in the meeting, the sender's own included, as one event; it is not
// kept in the meeting's history; anything but the offered emoji is refused
// with its own code, and a flood is cut off.
func TestReactions(t *testing.T) {
	nodes, id := threeInMeeting(t, "Reactions")
	a, b, c := nodes[0], nodes[1], nodes[2]
	streams := map[*testNode]<-chan map[string]any{}
	for _, n := range nodes {
		streams[n] = wsEvents(t, n, id)
	}
	bob := b.mesh.Self().String()
	// The stream is open once it delivers; a heartbeat may come first.
	for _, emoji := range []string{"👍", "❤️"} {
		start := time.Now()
		b.do(t, http.MethodPost, api.Path(api.RouteReactions, id), api.ReactionRequest{Emoji: emoji}, nil)
		for _, n := range nodes {
			waitReaction(t, streams[n], id, bob, emoji)
		}
		t.Logf("reaction %s on all three pages %v after the POST", emoji, time.Since(start).Round(time.Millisecond))
	}

	for _, bad := range []string{"💩", "", "👍👍", "<script>"} {
		e := b.doErr(t, http.StatusBadRequest, http.MethodPost, api.Path(api.RouteReactions, id), api.ReactionRequest{Emoji: bad})
		if !errors.Is(e, api.ErrBadReaction) && bad != "" {
			t.Errorf("emoji %q: code %q, want %q", bad, e.Code, api.ErrBadReaction.Code)
		}
	}
	// Not a member: refused.
	d := startNode(t, "dave", "", withPeers(a))
	d.doErr(t, http.StatusNotFound, http.MethodPost, api.Path(api.RouteReactions, id), api.ReactionRequest{Emoji: "👍"})

	// A flood: the burst passes, then the node says to slow down.
	limited := false
	for i := 0; i < 20 && !limited; i++ {
		err := c.c.Do(t.Context(), http.MethodPost, api.Path(api.RouteReactions, id), api.ReactionRequest{Emoji: "🎉"}, nil)
		var ae *api.Error
		switch {
		case errors.As(err, &ae) && errors.Is(ae, api.ErrRateLimited) && ae.Status == http.StatusTooManyRequests:
			limited = true
		case err != nil:
			t.Fatalf("reaction %d: %v", i, err)
		}
	}
	if !limited {
		t.Error("20 reactions at once were all sent")
	}

	// Reactions are presence: the history holds none.
	for _, n := range nodes {
		var audit []api.AuditEntry
		n.do(t, http.MethodGet, api.Path(api.RouteAudit, id), nil, &audit)
		for _, e := range audit {
			if e.Type == api.EventReaction {
				t.Errorf("%s's audit log keeps a reaction: %+v", n.cfg.Name, e)
			}
		}
		if ms := n.messages(t, id); len(ms) != 0 {
			t.Errorf("%s's chat holds %d messages", n.cfg.Name, len(ms))
		}
	}
}
