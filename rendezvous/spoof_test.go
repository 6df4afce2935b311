package rendezvous

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// TestNoAddressSpoofing: a peer announcing (through identify) an address on
// an IP it was never seen on does not get it handed out.
func TestNoAddressSpoofing(t *testing.T) {
	srv := startServer(t, nil)
	servers := []peer.AddrInfo{serverInfo(t, srv, nil)}
	const victim = "/ip4/10.99.99.99/tcp/4001"
	liar := newHost(t, libp2p.AddrsFactory(func(addrs []ma.Multiaddr) []ma.Multiaddr {
		return append(addrs, ma.StringCast(victim))
	}))
	ctx := testCtx(t)
	if err := NewClient(liar, servers, nil).Register(ctx, "ns", 0); err != nil {
		t.Fatal(err)
	}
	found, err := NewClient(newHost(t), servers, nil).Discover(ctx, "ns", 0)
	if err != nil || len(found) != 1 {
		t.Fatalf("discover: %v, %v", found, err)
	}
	var direct int
	for _, a := range found[0].Addrs {
		if strings.Contains(a.String(), "10.99.99.99") {
			t.Fatalf("spoofed address handed out: %v", found[0].Addrs)
		}
		if !isCircuit(a) {
			direct++
		}
	}
	if direct == 0 {
		t.Fatalf("no observed address handed out: %v", found[0].Addrs)
	}
}

// TestConcurrentClients runs several clients at once (for the race detector).
func TestConcurrentClients(t *testing.T) {
	srv := startServer(t, nil)
	servers := []peer.AddrInfo{serverInfo(t, srv, nil)}
	ctx := testCtx(t)
	const n = 6
	clients := make([]*Client, n)
	for i := range clients {
		clients[i] = NewClient(newHost(t), servers, nil)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for _, c := range clients {
		wg.Go(func() {
			if err := c.Register(ctx, "room", time.Minute); err != nil {
				errs <- err
				return
			}
			if _, err := c.Discover(ctx, "room", 0); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	found, err := clients[0].Discover(ctx, "room", 0)
	if err != nil || len(found) != n-1 {
		t.Fatalf("found %d peers, %v; want %d", len(found), err, n-1)
	}
}
