package mesh

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/control"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// dialRecorder is a connection gater that refuses every dial and notes the
// addresses libp2p was asked to dial, by peer.
type dialRecorder struct {
	mu    sync.Mutex
	addrs map[peer.ID][]ma.Multiaddr
}

func (d *dialRecorder) InterceptPeerDial(peer.ID) bool { return true }
func (d *dialRecorder) InterceptAddrDial(p peer.ID, a ma.Multiaddr) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.addrs[p] = append(d.addrs[p], a)
	return false
}
func (d *dialRecorder) InterceptAccept(network.ConnMultiaddrs) bool { return true }
func (d *dialRecorder) InterceptSecured(network.Direction, peer.ID, network.ConnMultiaddrs) bool {
	return true
}
func (d *dialRecorder) InterceptUpgraded(network.Conn) (bool, control.DisconnectReason) {
	return true, 0
}

// TestRendezvousDialsBounded (row 10): a rendezvous that answers every poll
// with 50 peers, each named at loopback, multicast, link-local, unspecified
// and DNS addresses beside 12 routable ones, gets no dial to any of the
// former, at most maxFoundAddrs addresses a peer, and dials at the rate
// limit, not at its answers' pace.
func TestRendezvousDialsBounded(t *testing.T) {
	var fake []peer.AddrInfo
	for range 50 {
		k, _, _ := crypto.GenerateEd25519Key(nil)
		id, _ := peer.IDFromPrivateKey(k)
		pi := peer.AddrInfo{ID: id}
		for _, s := range []string{"/ip4/127.0.0.1/tcp/4001", "/ip6/::1/tcp/4001", "/ip4/224.0.0.251/udp/5353/quic-v1",
			"/ip4/169.254.1.1/tcp/4001", "/ip6/fe80::1/tcp/4001", "/ip4/0.0.0.0/tcp/4001", "/dns4/localhost/tcp/4001",
			"/ip4/127.0.0.1/tcp/4002/p2p/" + id.String() + "/p2p-circuit"} {
			pi.Addrs = append(pi.Addrs, ma.StringCast(s))
		}
		for i := range 12 {
			pi.Addrs = append(pi.Addrs, ma.StringCast(fmt.Sprintf("/ip4/203.0.113.%d/tcp/4001", i+1)))
		}
		fake = append(fake, pi)
	}
	rec := &dialRecorder{addrs: map[peer.ID][]ma.Multiaddr{}}
	cfg := testConfig(t, "a")
	cfg.DiscoveryInterval = time.Hour
	cfg.Gater = rec
	cfg.NewDiscovery = func(host.Host) Discovery { return &fakeWatcher{peers: fake} }
	a := startMesh(t, cfg, func(m *Mesh) { m.strictDial = true })
	v, secret, err := a.CreateMeeting(context.Background(), []byte(`{"title":"watched"}`))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := a.Join(context.Background(), FormatJoinLink("http://127.0.0.1:7700", v.ID, secret)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	elapsed := time.Since(start).Seconds()
	if most := foundDialBurst + int(foundDialRate*elapsed) + 1; len(rec.addrs) > most || len(rec.addrs) == 0 {
		t.Fatalf("%d peers dialled in %.1f s, want 1 to %d", len(rec.addrs), elapsed, most)
	}
	for p, addrs := range rec.addrs {
		distinct := map[string]bool{}
		for _, a := range addrs {
			distinct[a.String()] = true
			if !foundDialable(a, false) {
				t.Errorf("dialled %s of %s", a, p)
			}
		}
		if len(distinct) > maxFoundAddrs {
			t.Errorf("%d addresses of %s dialled", len(distinct), p)
		}
	}
}
