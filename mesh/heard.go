package mesh

import (
	"context"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
)

// Members pass each other's addresses inside the sealed meeting: each
// heartbeat carries its sender's listen addresses, and a member that hears
// a heartbeat of a member it is not connected to (gossip forwarded it
// through another) dials it. Two nodes that met only a third this way are
// connected within a heartbeat, whatever the rendezvous or mDNS told them.

// heardDialEvery bounds the dials one member's heartbeats cause.
const heardDialEvery = 5 * time.Second

// announceAddrs are this node's addresses for its heartbeats: direct ones
// first, at most maxHeartbeatAddrs.
func (m *Mesh) announceAddrs() []string {
	addrs := slices.Clone(m.host.Addrs())
	slices.SortStableFunc(addrs, func(a, b ma.Multiaddr) int {
		return boolCmp(isRelayed(a), isRelayed(b))
	})
	var out []string
	for _, a := range addrs {
		if s := a.String(); len(s) <= maxAddrLen && len(out) < maxHeartbeatAddrs {
			out = append(out, s)
		}
	}
	return out
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	default:
		return -1
	}
}

func isRelayed(a ma.Multiaddr) bool {
	_, err := a.ValueForProtocol(ma.P_CIRCUIT)
	return err == nil
}

// dialHeard dials the sender of a heartbeat (a present member) with the
// addresses it announced, unless connected, or dialled from a heartbeat
// within heardDialEvery. Addresses that reach only this machine or its link
// (loopback, link-local, multicast, unspecified) are never dialled from what
// another node says, unless this node itself listens on loopback only (a
// test on one machine).
func (m *Mesh) dialHeard(hb *heartbeat) {
	if hb.Peer == m.self || m.host.Network().Connectedness(hb.Peer) == network.Connected {
		return
	}
	now := time.Now()
	m.mu.Lock()
	if now.Sub(m.heardDial[hb.Peer]) < heardDialEvery {
		m.mu.Unlock()
		return
	}
	m.heardDial[hb.Peer] = now
	m.mu.Unlock()
	pi := peer.AddrInfo{ID: hb.Peer}
	local := m.loopbackOnly()
	for _, s := range hb.Addrs {
		a, err := ma.NewMultiaddr(s)
		if err == nil && (local || dialable(a)) {
			pi.Addrs = append(pi.Addrs, a)
		}
	}
	if len(pi.Addrs) == 0 {
		return
	}
	m.metrics.heardDials.Inc()
	m.connect(pi)
}

// dialable: a relayed address, or a direct one that is not loopback,
// link-local, multicast or unspecified.
func dialable(a ma.Multiaddr) bool {
	if isRelayed(a) {
		return true
	}
	ip, err := manet.ToIP(a)
	if err != nil {
		return false // DNS names and the like: not from hearsay
	}
	return !ip.IsLoopback() && !ip.IsLinkLocalUnicast() && !ip.IsLinkLocalMulticast() &&
		!ip.IsMulticast() && !ip.IsUnspecified() && !ip.IsInterfaceLocalMulticast()
}

// loopbackOnly reports whether every direct address of this node is a
// loopback one (a test config on one machine).
func (m *Mesh) loopbackOnly() bool {
	n := 0
	for _, a := range m.host.Addrs() {
		if isRelayed(a) {
			continue
		}
		if !manet.IsIPLoopback(a) {
			return false
		}
		n++
	}
	return n > 0
}

// forgetHeard drops dial times too old to matter.
func (m *Mesh) forgetHeard(now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for p, at := range m.heardDial {
		if now.Sub(at) > heardDialEvery {
			delete(m.heardDial, p)
		}
	}
}

// heartbeatSoon sends a heartbeat in a moment (a new peer joined the
// presence topic: it lists this node without waiting a whole interval).
// Asks within the moment, or within beatSoonGap after it, make none more: a
// peer churning its subscriptions cannot make this node beat faster than
// about twice a second.
func (m *Mesh) heartbeatSoon(mt *meeting) {
	mt.mu.Lock()
	pending := mt.beatSoon
	mt.beatSoon = true
	mt.mu.Unlock()
	if pending {
		return
	}
	m.spawn(func(ctx context.Context) {
		defer func() {
			mt.mu.Lock()
			mt.beatSoon = false
			mt.mu.Unlock()
		}()
		for i, wait := range []time.Duration{beatSoonDelay, beatSoonGap} {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
			if i == 0 {
				m.sendHeartbeat(ctx, mt)
				m.metrics.soonBeats.Inc()
			}
		}
	})
}

const (
	beatSoonDelay = 100 * time.Millisecond // gathers the joins of one moment
	beatSoonGap   = 400 * time.Millisecond
)
