package rendezvous

import (
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
)

// maxRelayBases caps the server addresses a circuit address is built on.
const maxRelayBases = 4

// isCircuit reports whether a goes through a relay.
func isCircuit(a ma.Multiaddr) bool {
	_, err := a.ValueForProtocol(ma.P_CIRCUIT)
	return err == nil
}

// observedAddrs returns the addresses of p that the server can vouch for:
// the remote address of every direct connection from p, plus the addresses
// p announced through identify (the peerstore) whose IP is one p was
// actually seen on. A peer therefore cannot make the server point others at
// a host it does not own.
func observedAddrs(h host.Host, p peer.ID) []ma.Multiaddr {
	seen := make(map[string]bool) // observed IPs
	var out []ma.Multiaddr
	add := func(a ma.Multiaddr) {
		for _, o := range out {
			if o.Equal(a) {
				return
			}
		}
		if len(out) < maxAddrsPerPeer {
			out = append(out, a)
		}
	}
	for _, c := range h.Network().ConnsToPeer(p) {
		a := c.RemoteMultiaddr()
		if isCircuit(a) {
			continue
		}
		ip, err := manet.ToIP(a)
		if err != nil {
			continue
		}
		seen[ip.String()] = true
		add(a)
	}
	for _, a := range h.Peerstore().Addrs(p) {
		if isCircuit(a) {
			continue
		}
		ip, err := manet.ToIP(a)
		if err != nil || !seen[ip.String()] {
			continue
		}
		add(a)
	}
	return out
}

// relayBases returns the server addresses (with /p2p/<server>) a requester
// should use to reach the relay: first the local address of the requester's
// own connection, which it demonstrably reached, then the server's other
// addresses, loopback ones only for a requester that came over loopback.
func relayBases(h host.Host, c network.Conn) []ma.Multiaddr {
	self, err := ma.NewMultiaddr("/p2p/" + h.ID().String())
	if err != nil {
		return nil
	}
	var bases []ma.Multiaddr
	add := func(a ma.Multiaddr) {
		if isCircuit(a) || manet.IsIPUnspecified(a) || len(bases) >= maxRelayBases {
			return
		}
		for _, b := range bases {
			if b.Equal(a) {
				return
			}
		}
		bases = append(bases, a)
	}
	local := c.LocalMultiaddr()
	viaLoopback := manet.IsIPLoopback(local)
	add(local)
	for _, a := range h.Addrs() {
		if manet.IsIPLoopback(a) && !viaLoopback {
			continue
		}
		add(a)
	}
	out := make([]ma.Multiaddr, 0, len(bases))
	for _, b := range bases {
		out = append(out, b.Encapsulate(self))
	}
	return out
}

// circuitAddrs returns p's addresses through the relay bases.
func circuitAddrs(bases []ma.Multiaddr, p peer.ID) []ma.Multiaddr {
	tail, err := ma.NewMultiaddr("/p2p-circuit/p2p/" + p.String())
	if err != nil {
		return nil
	}
	out := make([]ma.Multiaddr, 0, len(bases))
	for _, b := range bases {
		out = append(out, b.Encapsulate(tail))
	}
	return out
}
