package node

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"meshmeet/mesh/datadir"
	"meshmeet/node/netnstest"
	"meshmeet/rendezvous"
)

func startRendezvous(t testing.TB, mutate ...func(*rendezvous.Config)) []string {
	t.Helper()
	key, err := datadir.Dir(t.TempDir()).Key()
	if err != nil {
		t.Fatal(err)
	}
	cfg := rendezvous.DefaultConfig()
	cfg.PrivKey = key
	cfg.ListenAddrs = []string{"/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1"}
	for _, f := range mutate {
		f(&cfg)
	}
	s, err := rendezvous.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	errc := make(chan error, 1)
	go func() { defer close(done); errc <- s.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-s.Ready():
	case err := <-errc:
		t.Fatalf("rendezvous stopped: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("rendezvous not ready")
	}
	var out []string
	for _, a := range s.Addrs() {
		out = append(out, a.String())
	}
	return out
}

func withRendezvous(addrs ...string) nodeOpt {
	return func(c *Config) { c.Rendezvous = append(c.Rendezvous, addrs...) }
}

// TestRendezvousDiscovery: nodes with mDNS off and no known peers find each
// other through two rendezvous servers, each node knowing only one of them.
func TestRendezvousDiscovery(t *testing.T) {
	r1, r2 := startRendezvous(t), startRendezvous(t)
	a := startNode(t, "alice", "", withRendezvous(r1[0], r2[0]))
	b := startNode(t, "bob", "", withRendezvous(r1[0]))
	c := startNode(t, "carol", "", withRendezvous(r2[0]))
	m := a.create(t, map[string]any{"title": "Across sites"})
	id := m.Meeting.ID
	a.join(t, m.JoinURL)
	b.join(t, m.JoinURL)
	c.join(t, m.JoinURL)
	post(t, b, id, "via rendezvous")
	for _, n := range []*testNode{a, b, c} {
		eventually(t, 15*time.Second, n.cfg.Name+" gets the message", func() error {
			return sameTexts([]string{"via rendezvous"}, n.messages(t, id))
		})
	}
}

// TestMDNSDiscovery: nodes with mDNS on find each other with no help, and
// all who open a link at the same moment list each other. It runs in a
// network namespace of its own (root only), so its multicast stays off the
// machine's network.
func TestMDNSDiscovery(t *testing.T) {
	if !netnstest.Rerun(t, "10.78.0.1") {
		return
	}
	mdnsOn := func(c *Config) {
		c.Mesh.MDNS = true
		c.Mesh.ListenAddrs = []string{"/ip4/10.78.0.1/tcp/0"}
	}
	a := startNode(t, "alice", "", mdnsOn)
	b := startNode(t, "bob", "", mdnsOn)
	c := startNode(t, "carol", "", mdnsOn)
	eventually(t, 20*time.Second, "mDNS finds the other nodes", func() error {
		if !a.Mesh().Connected(b.Mesh().Self()) || !a.Mesh().Connected(c.Mesh().Self()) {
			return fmt.Errorf("not connected")
		}
		return nil
	})
	m := a.create(t, map[string]any{"title": "On the LAN"})
	ns := []*testNode{a, b, c}
	joined := make(chan *testNode, len(ns))
	for _, n := range ns {
		go func() {
			defer func() { joined <- n }()
			n.join(t, m.JoinURL)
		}()
	}
	for range ns {
		<-joined
	}
	for _, n := range ns {
		eventually(t, 10*time.Second, n.cfg.Name+" lists everyone", func() error {
			ps, err := n.Mesh().Participants(m.Meeting.ID)
			if err != nil || len(ps) != len(ns) {
				return fmt.Errorf("%d participants (%v)", len(ps), err)
			}
			return nil
		})
	}
}

// noDirect refuses direct connections to chosen peers, as a NAT or firewall
// between two sites would, and lets relayed ones through.
type noDirect struct{ gate }

func isCircuit(a ma.Multiaddr) bool {
	_, err := a.ValueForProtocol(ma.P_CIRCUIT)
	return err == nil
}

func (g *noDirect) InterceptPeerDial(peer.ID) bool { return true }
func (g *noDirect) InterceptAddrDial(p peer.ID, a ma.Multiaddr) bool {
	return g.ok(p) || isCircuit(a)
}
func (g *noDirect) InterceptSecured(_ network.Direction, p peer.ID, c network.ConnMultiaddrs) bool {
	return g.ok(p) || isCircuit(c.RemoteMultiaddr())
}

// TestRelayWhenNoDirectPath: two nodes that cannot reach each other directly
// still meet and chat through the rendezvous server's circuit relay.
func TestRelayWhenNoDirectPath(t *testing.T) {
	r := startRendezvous(t)
	gb, gc := &noDirect{}, &noDirect{}
	b := startNode(t, "bob", "", withRendezvous(r[0]), func(c *Config) { c.Mesh.Gater = gb })
	c := startNode(t, "carol", "", withRendezvous(r[0]), func(c *Config) { c.Mesh.Gater = gc })
	gb.set([]peer.ID{c.Mesh().Self()}, true)
	gc.set([]peer.ID{b.Mesh().Self()}, true)
	m := b.create(t, map[string]any{"title": "Behind NAT"})
	id := m.Meeting.ID
	b.join(t, m.JoinURL)
	c.join(t, m.JoinURL)
	post(t, c, id, "relayed hello")
	eventually(t, 20*time.Second, "bob gets carol's message through the relay", func() error {
		return sameTexts([]string{"relayed hello"}, b.messages(t, id))
	})
	for _, conn := range b.Mesh().Host().Network().ConnsToPeer(c.Mesh().Self()) {
		if !isCircuit(conn.RemoteMultiaddr()) {
			t.Fatalf("direct connection %s despite the gate", conn.RemoteMultiaddr())
		}
	}
}
