package node

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/control"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

func post(t testing.TB, n *testNode, id, text string) {
	t.Helper()
	n.do(t, http.MethodPost, "/api/meetings/"+id+"/messages", map[string]string{"text": text}, nil)
}

func TestLateJoinerGetsWholeHistory(t *testing.T) {
	a := startNode(t, "alice", "")
	b := startNode(t, "bob", "", withPeers(a))
	m := a.create(t, map[string]any{"title": "History"})
	id := m.Meeting.ID
	a.join(t, m.JoinURL)
	b.join(t, m.JoinURL)
	var want []string
	for i := range 30 {
		n := []*testNode{a, b}[i%2]
		text := fmt.Sprintf("message %d", i)
		post(t, n, id, text)
		want = append(want, text)
	}
	c := startNode(t, "carol", "", withPeers(b))
	c.join(t, m.JoinURL)
	// Alice's and bob's lines were not written in answer to each other, so
	// their order is the log's (HLC, ID); carol must see exactly that.
	eventually(t, 10*time.Second, "carol has the history", func() error {
		ref := a.messages(t, id)
		if err := sameSet(want, texts(ref)); err != nil {
			return fmt.Errorf("alice: %w", err)
		}
		return sameTexts(texts(ref), c.messages(t, id))
	})
}

// gate cuts a node off from chosen peers, as a broken link would.
type gate struct {
	mu      sync.Mutex
	blocked map[peer.ID]bool
}

func (g *gate) set(ps []peer.ID, on bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.blocked == nil {
		g.blocked = map[peer.ID]bool{}
	}
	for _, p := range ps {
		g.blocked[p] = on
	}
}

func (g *gate) ok(p peer.ID) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return !g.blocked[p]
}

func (g *gate) InterceptPeerDial(p peer.ID) bool                 { return g.ok(p) }
func (g *gate) InterceptAddrDial(p peer.ID, _ ma.Multiaddr) bool { return g.ok(p) }
func (g *gate) InterceptAccept(network.ConnMultiaddrs) bool      { return true }
func (g *gate) InterceptSecured(_ network.Direction, p peer.ID, _ network.ConnMultiaddrs) bool {
	return g.ok(p)
}
func (g *gate) InterceptUpgraded(network.Conn) (bool, control.DisconnectReason) { return true, 0 }

func withGate(g *gate) nodeOpt { return func(c *Config) { c.Mesh.Gater = g } }

// TestPartitionHeals: two groups cut apart keep chatting; once the link is
// back, every node ends with the same history, nothing lost or doubled.
func TestPartitionHeals(t *testing.T) {
	gates := []*gate{{}, {}, {}, {}}
	a := startNode(t, "a", "", withGate(gates[0]))
	b := startNode(t, "b", "", withGate(gates[1]), withPeers(a))
	c := startNode(t, "c", "", withGate(gates[2]), withPeers(a, b))
	d := startNode(t, "d", "", withGate(gates[3]), withPeers(a, b, c))
	all := []*testNode{a, b, c, d}
	m := a.create(t, map[string]any{"title": "Split"})
	id := m.Meeting.ID
	for _, n := range all {
		n.join(t, m.JoinURL)
	}
	post(t, a, id, "before")

	ids := func(ns ...*testNode) []peer.ID {
		var out []peer.ID
		for _, n := range ns {
			out = append(out, n.Mesh().Self())
		}
		return out
	}
	cut := func(on bool) {
		for i, n := range all {
			other := ids(c, d)
			if i >= 2 {
				other = ids(a, b)
			}
			gates[i].set(other, on)
			if on {
				for _, p := range other {
					_ = n.Mesh().Host().Network().ClosePeer(p)
				}
			}
		}
	}
	cut(true)
	eventually(t, 5*time.Second, "partition in place", func() error {
		if a.Mesh().Connected(c.Mesh().Self()) || b.Mesh().Connected(d.Mesh().Self()) {
			return fmt.Errorf("still connected")
		}
		return nil
	})
	for i := range 10 {
		post(t, []*testNode{a, b}[i%2], id, fmt.Sprintf("left %d", i))
		post(t, []*testNode{c, d}[i%2], id, fmt.Sprintf("right %d", i))
	}
	// Within a side, a message whose author had the other node outside its gossip
	// mesh (the cut took its mesh peers) comes by gossip or anti-entropy: seconds
	// on a loaded machine.
	eventually(t, 20*time.Second, "each side has its own", func() error {
		if got := len(a.messages(t, id)); got != 11 {
			return fmt.Errorf("a has %d", got)
		}
		if got := len(c.messages(t, id)); got != 11 {
			return fmt.Errorf("c has %d", got)
		}
		return nil
	})
	cut(false)
	want := texts(a.messages(t, id))
	eventually(t, 20*time.Second, "histories converge", func() error {
		ref := a.messages(t, id)
		if len(ref) != 21 {
			return fmt.Errorf("a has %d messages", len(ref))
		}
		for _, n := range all[1:] {
			if err := sameTexts(texts(ref), n.messages(t, id)); err != nil {
				return fmt.Errorf("%s: %w", n.cfg.Name, err)
			}
		}
		want = texts(ref)
		return nil
	})
	seen := map[string]bool{}
	for _, s := range want {
		if seen[s] {
			t.Fatalf("doubled message %q", s)
		}
		seen[s] = true
	}
}
