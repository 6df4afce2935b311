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
// pings p (dialling it if need be); if that fails, p leaves the presence of every meeting
// now instead of after PresenceTimeout, so a dead relay is replaced and a dead peer's
// tiles go within seconds. A live peer answers and nothing changes; one wrongly dropped
// comes back with its next heartbeat. One probe per peer runs at a time.
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
		if m.alive(ctx, p) || ctx.Err() != nil {
			return
		}
		m.log.Info("peer gone: no answer to a ping", "peer", p.String())
		for _, mt := range m.snapshot() {
			m.dropPresence(mt, p, time.Now())
		}
	})
}

func (m *Mesh) alive(ctx context.Context, p peer.ID) bool {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	select {
	case r := <-ping.Ping(ctx, m.host, p):
		return r.Error == nil
	case <-ctx.Done():
		return false
	}
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
// resets its TCP connections at once).
func (m *Mesh) onDisconnected(p peer.ID) {
	if m.host.Network().Connectedness(p) != network.Connected {
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
