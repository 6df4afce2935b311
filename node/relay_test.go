package node

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"meshmeet/media"
	"meshmeet/mesh"
)

// TestRelayElection: a meeting larger than MeshMax elects the participant in it longest as
// its relay; every node links to it only, and it to all. When it goes, the next elected
// takes over.
func TestRelayElection(t *testing.T) {
	small := func(c *Config) { c.Mesh.MeshMax = 2 }
	a := startNode(t, "alice", "", small)
	b := startNode(t, "bob", "", small, withPeers(a))
	c := startNode(t, "carol", "", small, withPeers(a, b))
	d := startNode(t, "dave", "", small, withPeers(a, b, c))
	m := a.create(t, map[string]any{"title": "Big"})
	id := m.Meeting.ID
	for _, n := range []*testNode{a, b, c, d} {
		n.join(t, m.JoinURL)
	}
	topology := func(relay *testNode, nodes ...*testNode) func() error {
		return func() error {
			for _, n := range nodes {
				var st media.MeetingStats
				n.do(t, http.MethodGet, "/api/meetings/"+id+"/media", nil, &st)
				links := 1
				if n == relay {
					links = len(nodes) - 1
				}
				connected := 0
				for _, l := range st.Links {
					if l.State == "connected" && (n == relay || l.PeerID == relay.Mesh().Self().String()) {
						connected++
					}
				}
				if st.Mode != "relay" || st.Relay != relay.Mesh().Self().String() || len(st.Links) != links || connected != links {
					return fmt.Errorf("%s: mode %s relay %s, links %+v", n.cfg.Name, st.Mode, st.Relay, st.Links)
				}
			}
			return nil
		}
	}
	eventually(t, 45*time.Second, "alice relays for all four", topology(a, a, b, c, d))
	a.Close()
	eventually(t, 45*time.Second, "bob relays for the three left", topology(b, b, c, d))
}

// TestLastN: a relayed meeting larger than N forwards the cameras of the N
// who spoke last, then of those in it longest; a mesh or a small meeting all.
func TestLastN(t *testing.T) {
	b := newMediaBridge(nil)
	at := func(s int) time.Time { return time.Unix(int64(1e9+s), 0) }
	p := func(id string, joined int, speaking bool) mesh.ParticipantView {
		return mesh.ParticipantView{PeerID: id, JoinedAt: at(joined), Media: &mesh.MediaState{Speaking: speaking}}
	}
	quiet := []mesh.ParticipantView{p("a", 1, false), p("b", 2, false), p("c", 3, false), p("d", 4, false)}
	if got := b.lastN("m", quiet, "", 2); got != nil {
		t.Fatalf("a mesh: %v", got)
	}
	if got := b.lastN("m", quiet[:2], "a", 2); got != nil {
		t.Fatalf("two of two: %v", got)
	}
	if got := fmt.Sprint(b.lastN("m", quiet, "a", 2)); got != "[a b]" {
		t.Fatalf("nobody spoke: the longest in, got %s", got)
	}
	b.lastN("m", []mesh.ParticipantView{p("a", 1, false), p("b", 2, false), p("c", 3, false), p("d", 4, true)}, "a", 2)
	time.Sleep(time.Millisecond)
	if got := fmt.Sprint(b.lastN("m", []mesh.ParticipantView{p("a", 1, false), p("b", 2, false), p("c", 3, true), p("d", 4, false)}, "a", 2)); got != "[c d]" {
		t.Fatalf("the last two speakers, latest first: got %s", got)
	}
}

// TestSiteRelayElection (issue 10): a meeting larger than MeshMax in two sites elects a
// relay per site; each node links to its site's relay only, and the two relays to their
// site's nodes and to each other, over one PeerConnection. When a site's relay goes,
// another of that site takes over, linked to the other site's relay, which stays.
func TestSiteRelayElection(t *testing.T) {
	in := func(site string) func(c *Config) {
		return func(c *Config) { c.Mesh.MeshMax, c.Mesh.Site = 2, site }
	}
	a1 := startNode(t, "a1", "", in("A"))
	b1 := startNode(t, "b1", "", in("B"), withPeers(a1))
	a2 := startNode(t, "a2", "", in("A"), withPeers(a1, b1))
	b2 := startNode(t, "b2", "", in("B"), withPeers(a1, b1, a2))
	b3 := startNode(t, "b3", "", in("B"), withPeers(a1, b1, a2, b2))
	m := a1.create(t, map[string]any{"title": "Two offices"})
	id := m.Meeting.ID
	for _, n := range []*testNode{a1, b1, a2, b2, b3} {
		n.join(t, m.JoinURL)
	}
	self := func(n *testNode) string { return n.Mesh().Self().String() }
	// relayed checks that each site's nodes send through one node of the site, linked to
	// its site's nodes and to the other site's relay; it returns the relays.
	relayed := func(sites ...[]*testNode) (map[int]*testNode, error) {
		stats := map[*testNode]media.MeetingStats{}
		relays := map[int]*testNode{}
		for i, site := range sites {
			for _, n := range site {
				var st media.MeetingStats
				n.do(t, http.MethodGet, "/api/meetings/"+id+"/media", nil, &st)
				stats[n] = st
				for _, o := range site {
					if self(o) == st.Relay && (relays[i] == nil || relays[i] == o) {
						relays[i] = o
					}
				}
				if st.Mode != "relay" || relays[i] == nil || st.Relay != self(relays[i]) {
					return nil, fmt.Errorf("%s: mode %s relay %s, not its site's", n.cfg.Name, st.Mode, st.Relay)
				}
			}
		}
		for i, site := range sites {
			for _, n := range site {
				want := map[string]bool{self(relays[i]): true}
				if n == relays[i] {
					want = map[string]bool{self(relays[1-i]): true}
					for _, o := range site {
						want[self(o)] = o != n
					}
					delete(want, self(n))
				}
				connected := 0
				for _, l := range stats[n].Links {
					if l.State == "connected" && want[l.PeerID] {
						connected++
					}
				}
				if len(stats[n].Links) != len(want) || connected != len(want) {
					return nil, fmt.Errorf("%s: links %+v, want %d connected", n.cfg.Name, stats[n].Links, len(want))
				}
			}
		}
		return relays, nil
	}
	var before map[int]*testNode
	eventually(t, 45*time.Second, "a relay per site", func() (err error) {
		before, err = relayed([]*testNode{a1, a2}, []*testNode{b1, b2, b3})
		return err
	})
	before[1].Close()
	b := slices.DeleteFunc([]*testNode{b1, b2, b3}, func(n *testNode) bool { return n == before[1] })
	eventually(t, 45*time.Second, "another relay for B, A's stays", func() error {
		after, err := relayed([]*testNode{a1, a2}, b)
		if err == nil && after[0] != before[0] {
			err = fmt.Errorf("A's relay moved from %s to %s", before[0].cfg.Name, after[0].cfg.Name)
		}
		return err
	})
}
