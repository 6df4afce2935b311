package mesh

import (
	"testing"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// TestCircuitsNotCappedPerIP: circuits through the rendezvous all count against its
// address; more than libp2p's 8 per address still open, while another address keeps
// libp2p's limit.
func TestCircuitsNotCappedPerIP(t *testing.T) {
	rv := peer.AddrInfo{ID: "rv", Addrs: []ma.Multiaddr{ma.StringCast("/ip4/10.69.0.2/tcp/443")}}
	rm, err := resources([]peer.AddrInfo{rv})
	if err != nil {
		t.Fatal(err)
	}
	defer rm.Close()
	open := func(addr string, n int) error {
		for range n {
			s, err := rm.OpenConnection(network.DirOutbound, true, ma.StringCast(addr))
			if err != nil {
				return err
			}
			defer s.Done()
		}
		return nil
	}
	if err := open("/ip4/10.69.0.2/tcp/443/p2p-circuit", 20); err != nil {
		t.Fatalf("20 circuits through the rendezvous: %v", err)
	}
	if err := open("/ip4/10.61.0.11/tcp/4001", 9); err == nil {
		t.Fatal("9 connections to one other address: libp2p's limit is gone")
	}
}
