package mesh

import (
	"context"
	"net"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	manet "github.com/multiformats/go-multiaddr/net"
)

// Roaming. A laptop that moves to another network, or wakes from sleep, has
// connections that look open and lead nowhere: their local address is gone,
// or the other side gave up on them while it slept, and keepalives take half
// a minute to say so. Every second the node looks at its own addresses and
// at the clock. When an address it had is gone it closes the connections
// made from it; when the wall clock ran ahead of the monotonic one (the
// machine slept) it closes them all. Either way it dials the peers it had at
// once, runs a discovery round and beats, so chat and presence are back
// within a second or two; the media links, which lose ICE consent, rebuild
// over the new addresses.

const (
	roamCheck = time.Second
	// sleptAfter is how far the wall clock may run ahead of the monotonic
	// one in one check before the node counts it as having slept.
	sleptAfter = 3 * time.Second
)

func (m *Mesh) roamLoop(ctx context.Context) {
	t := time.NewTicker(roamCheck)
	defer t.Stop()
	addrs := localIPs()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := time.Now()
		slept := now.Round(0).Sub(last.Round(0))-now.Sub(last) > sleptAfter
		last = now
		cur := localIPs()
		var gone []string
		for ip := range addrs {
			if !cur[ip] {
				gone = append(gone, ip)
			}
		}
		addrs = cur
		if slept || len(gone) > 0 {
			m.log.Info("the network changed under this node: reconnecting", "slept", slept, "addressesGone", gone)
			m.reconnect(slept, gone)
		}
	}
}

// reconnect closes the connections from addresses that are gone (all of
// them after a sleep) and dials those peers again.
func (m *Mesh) reconnect(all bool, gone []string) {
	goneSet := map[string]bool{}
	for _, ip := range gone {
		goneSet[ip] = true
	}
	redial := map[peer.ID]bool{}
	for _, c := range m.host.Network().Conns() {
		ip, err := manet.ToIP(c.LocalMultiaddr())
		if all || err == nil && goneSet[ip.String()] {
			redial[c.RemotePeer()] = true
			_ = c.Close()
		}
	}
	for p := range redial {
		pi := m.host.Peerstore().PeerInfo(p)
		m.spawn(func(ctx context.Context) {
			ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			_ = m.host.Connect(ctx, pi)
		})
	}
	m.kickDiscovery()
	for _, mt := range m.snapshot() {
		m.heartbeatSoon(mt)
	}
}

// localIPs are the addresses of this machine's interfaces.
func localIPs() map[string]bool {
	out := map[string]bool{}
	as, _ := net.InterfaceAddrs()
	for _, a := range as {
		if n, ok := a.(*net.IPNet); ok {
			out[n.IP.String()] = true
		}
	}
	return out
}
