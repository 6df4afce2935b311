package mesh

import (
	"context"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/protocol/ping"
)

// probeTimeout bounds the ping that decides whether a suspected peer is gone. A peer whose
// process died answers at once with a refused dial or a reset; a machine that died lets it
// run out.
const probeTimeout = time.Second

// Suspect checks at once whether p is still there, when something faster than presence
// says it may not be: its media link lost ICE consent, or its last connection closed. It
// pings p (dialling it if need be), twice; if neither is answered and p sent no heartbeat
// meanwhile, p leaves the presence of every meeting now instead of after PresenceTimeout,
// so a dead relay is replaced and a dead peer's tiles go within seconds. A live peer
// answers and nothing changes; one wrongly dropped comes back with its next heartbeat.
// One probe per peer runs at a time. Only this node's own observations call it (its
// media links, its connections): no other peer can make it drop a third.
func (m *Mesh) Suspect(p peer.ID) {
	if p == m.self || !m.inPresence(p) {
		return
	}
	m.mu.Lock()
	if m.probing[p] {
		m.mu.Unlock()
		return
	}
	m.probing[p] = true
	m.mu.Unlock()
	m.spawn(func(ctx context.Context) {
		defer func() {
			m.mu.Lock()
			delete(m.probing, p)
			m.mu.Unlock()
		}()
		// No answer (a ping that fails at once is tried again), and a heartbeat
		// interval without a heartbeat: a peer that is merely slow (a loaded machine,
		// a lost ping) must not be dropped.
		for round := 0; ; round++ {
			start := time.Now()
			ok := m.alive(ctx, p)
			if !ok && time.Since(start) < probeTimeout/2 {
				ok = m.alive(ctx, p)
			}
			if ok || ctx.Err() != nil {
				return
			}
			wait := m.heardWithin(p, m.cfg.HeartbeatInterval)
			if wait <= 0 {
				break
			}
			if round == 2 {
				return // it keeps sending heartbeats: alive, whatever the pings say
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
		}
		m.log.Info("peer gone: no answer to a ping", "peer", p.String())
		for _, mt := range m.snapshot() {
			m.dropPresence(mt, p, time.Now())
		}
		// Its connections lead nowhere (a laptop that moved on keeps none of
		// them; streams would still be opened on them for minutes): close them
		// and dial it afresh, at the addresses it may have now.
		for _, c := range m.host.Network().ConnsToPeer(p) {
			_ = c.Close()
		}
		dctx, cancel := context.WithTimeout(ctx, probeTimeout)
		defer cancel()
		_ = m.host.Connect(dctx, m.host.Peerstore().PeerInfo(p))
	})
}

func (m *Mesh) alive(ctx context.Context, p peer.ID) bool {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	select {
	case r, ok := <-ping.Ping(ctx, m.host, p):
		return ok && r.Error == nil // closed without a result: the deadline passed
	case <-ctx.Done():
		return false
	}
}

// heardWithin returns how long until d has passed since p's last heartbeat in any
// meeting (0 or less: it has).
func (m *Mesh) heardWithin(p peer.ID, d time.Duration) time.Duration {
	var left time.Duration
	for _, mt := range m.snapshot() {
		mt.mu.Lock()
		if hb := mt.presence[p]; hb != nil {
			left = max(left, d-time.Since(hb.seen))
		}
		mt.mu.Unlock()
	}
	return left
}

// inPresence says whether p is heard from in any meeting.
func (m *Mesh) inPresence(p peer.ID) bool {
	for _, mt := range m.snapshot() {
		mt.mu.Lock()
		_, ok := mt.presence[p]
		mt.mu.Unlock()
		if ok {
			return true
		}
	}
	return false
}

// onDisconnected suspects a peer whose last connection closed (a process that died
// resets its TCP connections at once); a relayed (limited) connection still counts.
func (m *Mesh) onDisconnected(p peer.ID) {
	if m.host.Network().Connectedness(p) == network.NotConnected {
		m.Suspect(p)
	}
}

// dropPresence forgets p's presence in mt as a timeout would, and holds off heartbeats of
// p that were already on their way for half a heartbeat interval.
func (m *Mesh) dropPresence(mt *meeting, p peer.ID, now time.Time) {
	mt.mu.Lock()
	defer mt.mu.Unlock()
	if _, ok := mt.presence[p]; !ok {
		return
	}
	mt.heldOff[p] = now.Add(m.cfg.HeartbeatInterval / 2)
	m.forgetLocked(mt, p)
}
