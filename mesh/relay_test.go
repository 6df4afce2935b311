package mesh

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"meshmeet/mesh/eventlog"
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
		peer, move := relayMove(tc.cur, tc.live, len(tc.live), tc.self, tc.max, true)
		if peer != tc.peer || move != tc.move {
			t.Errorf("%s: relayMove = %q %v, want %q %v", tc.name, peer, move, tc.peer, tc.move)
		}
	}
	// A node that has heard the meeting for less than PresenceTimeout cannot
	// tell a relay's silence from not having heard it yet.
	for _, tc := range []struct {
		name      string
		cur, self string
		live      []ParticipantView
		peer      string
		move      bool
	}{
		{"a relay not heard yet: the next in line waits", "x", "b", four[:3], "", false},
		{"... and so does the longest in, for a mesh", "x", "c", four[:1], "", false},
		{"a live relay is heard: it puts back a mesh", "c", "c", four[:1], "", true},
		{"no relay yet: nothing to judge", "", "b", four[:3], "b", true},
	} {
		peer, move := relayMove(tc.cur, tc.live, len(tc.live), tc.self, 2, false)
		if peer != tc.peer || move != tc.move {
			t.Errorf("unheard, %s: relayMove = %q %v, want %q %v", tc.name, peer, move, tc.peer, tc.move)
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
				r := mt.st().Relays[mt.selfSite] // the machine's own, for all
				got, e := r.Peer.String(), r.Epoch
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
	// (Back to four first: closed while three were live, the relay could be seen gone
	// before the fourth came back, and two live put back a mesh.)
	if _, err := nodes[3].Join(context.Background(), mustLink(t, nodes[1], id)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "four live", liveCount(nodes[1], id, 4))
	nodes[0].Close() // three live: still a relay meeting
	eventually(t, 20*time.Second, "the next in line relays", relayIs(nodes[1].self.String(), 2, nodes[1:]...))

	// Two live: back to a mesh.
	if err := nodes[3].Leave(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "a mesh again", relayIs("", 3, nodes[1:3]...))
}

// TestRelayMoveInSite: the rule runs per site, on the site's live
// participants, against the meeting's size.
func TestRelayMoveInSite(t *testing.T) {
	at := func(s int) time.Time { return time.Unix(int64(1e9+s), 0) }
	p := func(id string, joined int) ParticipantView {
		return ParticipantView{PeerID: id, JoinedAt: at(joined), RelayCapacity: 1}
	}
	here := []ParticipantView{p("y", 5), p("x", 7)} // the site; a and b, elsewhere, joined first
	for _, tc := range []struct {
		name      string
		cur, self string
		n         int
		peer      string
		move      bool
	}{
		{"a large meeting: the site's longest in names itself", "", "y", 4, "y", true},
		{"not the others of the site", "", "x", 4, "", false},
		{"a small meeting: a mesh", "", "y", 3, "", false},
		{"a relay gone from the site: the next of the site", "a", "y", 4, "y", true},
		{"at the threshold the site's relay stays", "x", "x", 3, "", false},
		{"below it the site's relay puts back a mesh", "x", "x", 2, "", true},
	} {
		peer, move := relayMove(tc.cur, here, tc.n, tc.self, 3, true)
		if peer != tc.peer || move != tc.move {
			t.Errorf("%s: relayMove = %q %v, want %q %v", tc.name, peer, move, tc.peer, tc.move)
		}
	}
}

// TestTopology: each live participant sends through its site's relay; a
// site without one through the smallest live site relay; no relay, a mesh.
func TestTopology(t *testing.T) {
	ids := map[string]peer.ID{}
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		k, _, err := crypto.GenerateEd25519Key(nil)
		if err != nil {
			t.Fatal(err)
		}
		ids[name], _ = peer.IDFromPrivateKey(k)
	}
	p := func(name, site string) ParticipantView {
		return ParticipantView{PeerID: ids[name].String(), Site: site}
	}
	live := []ParticipantView{p("a", "A"), p("b", "A"), p("c", "B"), p("d", "B"), p("e", "C")}
	relays := map[string]eventlog.SiteRelay{"A": {Peer: ids["a"], Epoch: 1}, "B": {Peer: ids["d"], Epoch: 2}}
	got := topology(relays, live)
	fb := min(ids["a"].String(), ids["d"].String())
	want := map[string]string{ids["a"].String(): ids["a"].String(), ids["b"].String(): ids["a"].String(),
		ids["c"].String(): ids["d"].String(), ids["d"].String(): ids["d"].String(), ids["e"].String(): fb}
	if !maps.Equal(got, want) {
		t.Fatalf("topology %v, want %v", got, want)
	}
	if got := topology(map[string]eventlog.SiteRelay{"A": {Epoch: 2}}, live); len(got) != 0 {
		t.Fatalf("a mesh: %v", got)
	}
}

// TestRelayPerSite (issue 10, point 1): a meeting over MeshMax in two sites
// gets one relay per site, each named by a relay event of its site, the
// same on every node; when a site's relay goes, another of that site takes
// over and the other site's relay stays.
func TestRelayPerSite(t *testing.T) {
	var nodes []*Mesh
	site := map[string]string{}
	for i := range 5 {
		cfg := testConfig(t, fmt.Sprint("n", i), nodes...)
		cfg.MeshMax = 2
		cfg.Site = []string{"A", "B"}[i%2]
		nodes = append(nodes, startMesh(t, cfg))
		site[nodes[i].self.String()] = cfg.Site
	}
	id, _ := meetingOf(t, nodes[0], nodes[1:]...)
	// perSite checks that the nodes agree on a relay per site, of the site,
	// and returns them.
	perSite := func(on ...*Mesh) (map[string]string, error) {
		var ref map[string]string
		for _, m := range on {
			got := m.Topology(id)
			if ref != nil && !maps.Equal(got, ref) {
				return nil, fmt.Errorf("%s: topology %v, %s's %v", m.cfg.Name, got, on[0].cfg.Name, ref)
			}
			ref = got
		}
		relays := map[string]string{}
		for _, m := range on {
			p := m.self.String()
			r := ref[p]
			if site[r] != site[p] || ref[r] != r || (relays[site[p]] != "" && relays[site[p]] != r) {
				return nil, fmt.Errorf("%s of site %s relayed by %q: %v", m.cfg.Name, site[p], r, ref)
			}
			relays[site[p]] = r
		}
		return relays, nil
	}
	var before map[string]string
	eventually(t, 20*time.Second, "a relay per site", func() (err error) {
		before, err = perSite(nodes...)
		return err
	})
	epochs := func(m *Mesh) (int, int) {
		mt, _ := m.meeting(id)
		mt.mu.Lock()
		defer mt.mu.Unlock()
		return mt.st().Relays["A"].Epoch, mt.st().Relays["B"].Epoch
	}
	a0, b0 := epochs(nodes[0])
	var gone int
	for i, m := range nodes {
		if m.self.String() == before["B"] {
			gone = i
		}
	}
	nodes[gone].Close()
	rest := slices.Delete(slices.Clone(nodes), gone, gone+1)
	eventually(t, 30*time.Second, "another relay for B, A's stays", func() error {
		after, err := perSite(rest...)
		if err == nil && (after["A"] != before["A"] || after["B"] == before["B"]) {
			err = fmt.Errorf("relays %v, before %v", after, before)
		}
		return err
	})
	if a, b := epochs(rest[0]); a != a0 || b <= b0 {
		t.Fatalf("relay epochs: A %d then %d, B %d then %d: only B's moves", a0, a, b0, b)
	}
}

func mustLink(t *testing.T, m *Mesh, id string) string {
	t.Helper()
	k, _, err := m.ShareKey(id)
	if err != nil {
		t.Fatal(err)
	}
	return FormatJoinLink("http://127.0.0.1:7700", id, k)
}

func TestSiteOf(t *testing.T) {
	for _, tc := range []struct {
		addrs []string
		site  string
	}{
		{[]string{"/ip4/127.0.0.1/tcp/1", "/ip4/192.168.7.20/tcp/1"}, "192.168.7.0/24"},
		{[]string{"/ip4/8.8.8.8/tcp/1", "/ip4/10.61.0.11/udp/1/quic-v1"}, "10.61.0.0/24"},
		{[]string{"/ip4/127.0.0.1/tcp/1", "/ip6/::1/tcp/1"}, ""},
	} {
		var mas []ma.Multiaddr
		for _, a := range tc.addrs {
			mas = append(mas, ma.StringCast(a))
		}
		if got := siteOf(mas); got != tc.site {
			t.Errorf("siteOf(%v) = %q, want %q", tc.addrs, got, tc.site)
		}
	}
}
