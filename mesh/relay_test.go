package mesh

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestRelayMove(t *testing.T) {
	at := func(s int) time.Time { return time.Unix(int64(1e9+s), 0) }
	p := func(id string, joined, capacity int) ParticipantView {
		return ParticipantView{PeerID: id, JoinedAt: at(joined), RelayCapacity: capacity}
	}
	four := []ParticipantView{p("c", 3, 1), p("b", 2, 1), p("a", 4, 1), p("d", 5, 1)}
	for _, tc := range []struct {
		name      string
		cur, self string
		live      []ParticipantView
		max       int
		peer      string
		move      bool
	}{
		{"small: a mesh", "", "a", four[:2], 2, "", false},
		{"large: the longest in names itself", "", "b", four[:3], 2, "b", true},
		{"large: others wait for it", "", "c", four[:3], 2, "", false},
		{"tie: the smaller peer ID", "", "b", []ParticipantView{p("c", 2, 1), p("b", 2, 1), p("a", 4, 1)}, 2, "b", true},
		{"b may not relay: c", "", "c", []ParticipantView{p("c", 3, 1), p("b", 2, 0), p("a", 4, 1)}, 2, "c", true},
		{"nobody may relay: a mesh", "", "b", []ParticipantView{p("c", 3, 0), p("b", 2, 0), p("a", 4, 0)}, 2, "", false},
		{"a live relay stays, even if someone was in longer", "c", "b", four, 2, "", false},
		{"at the threshold the relay stays", "c", "c", four[:2], 2, "", false},
		{"below it the relay puts back a mesh", "c", "c", four[:1], 2, "", true},
		{"a gone relay: the next in line names itself", "x", "b", four[:3], 2, "b", true},
		{"a gone relay, a small meeting: the longest in puts back a mesh", "x", "b", four[:1], 2, "", false},
		{"a gone relay, a small meeting: the longest in", "x", "c", four[:1], 2, "", true},
	} {
		peer, move := relayMove(tc.cur, tc.live, tc.self, tc.max)
		if peer != tc.peer || move != tc.move {
			t.Errorf("%s: relayMove = %q %v, want %q %v", tc.name, peer, move, tc.peer, tc.move)
		}
	}
}

// TestRelayStaysPut (issue 10, point 2): a meeting over MeshMax gets a relay
// by a signed relay event; a meeting hovering at the threshold keeps it;
// below it goes back to a mesh; when the relay goes, the next in line
// takes over, and the log says so on every node.
func TestRelayStaysPut(t *testing.T) {
	var nodes []*Mesh
	for i := range 4 {
		cfg := testConfig(t, fmt.Sprint("n", i), nodes...)
		cfg.MeshMax = 3
		nodes = append(nodes, startMesh(t, cfg))
	}
	id, _ := meetingOf(t, nodes[0], nodes[1:]...)
	relayIs := func(want string, epoch int, on ...*Mesh) func() error {
		return func() error {
			for _, m := range on {
				mt, _ := m.meeting(id)
				mt.mu.Lock()
				got, e := mt.st().Relay.String(), mt.st().RelayEpoch
				mt.mu.Unlock()
				if got != want || e != epoch {
					return fmt.Errorf("%s: relay %q epoch %d, want %q epoch %d", m.cfg.Name, got, e, want, epoch)
				}
			}
			return nil
		}
	}
	first := nodes[0].self.String() // the host joined first
	eventually(t, 15*time.Second, "the host relays for four", relayIs(first, 1, nodes...))

	// Three left (the threshold): the relay stays.
	if err := nodes[3].Leave(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "three live", liveCount(nodes[0], id, 3))
	for range 8 { // two seconds of relay checks: nothing moves
		if err := relayIs(first, 1, nodes[:3]...)(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(relayCheck)
	}

	// The relay goes: the next in line takes over.
	nodes[0].Close()
	nodes[3].Join(context.Background(), mustLink(t, nodes[1], id)) // back to three live: still a relay meeting
	eventually(t, 20*time.Second, "the next in line relays", relayIs(nodes[1].self.String(), 2, nodes[1:]...))

	// Two live: back to a mesh.
	if err := nodes[3].Leave(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "a mesh again", relayIs("", 3, nodes[1:3]...))
}

func mustLink(t *testing.T, m *Mesh, id string) string {
	t.Helper()
	k, _, err := m.ShareKey(id)
	if err != nil {
		t.Fatal(err)
	}
	return FormatJoinLink("http://127.0.0.1:7700", id, k)
}
