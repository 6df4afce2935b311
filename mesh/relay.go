package mesh

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"meshmeet/mesh/eventlog"
)

// The media relay. A meeting of more than MeshMax live participants has one
// node that relays everyone's media; the log says which, by relay events,
// each naming its author (or, with no peer, putting the meeting back to a
// mesh) with an epoch one above the last. Every node reads the relay from
// the same log, so all agree, and nobody changes it on a whim: a node
// writes a relay event only when the rule below names it, and a relay stays
// the relay while it is live, so a late heartbeat, a relay that froze and
// woke up, or a meeting hovering at the threshold does not move it.
//
//   - no relay, more than MeshMax live: the first in line names itself;
//   - a relay, at least MeshMax live, the relay no longer live: the first in
//     line names itself;
//   - a relay, fewer than MeshMax live: the relay (or, when it is gone, the
//     live participant in the meeting longest) puts the meeting back to a
//     mesh.
//
// First in line: the live participant that may relay (presence says so)
// who has been in the meeting longest, then the smallest peer ID.

// relayCheck is how often each node looks whether the rule names it.
const relayCheck = 250 * time.Millisecond

// RelayOf is the node that relays the meeting's media, "" for a mesh.
func (m *Mesh) RelayOf(id string) string {
	mt, err := m.meeting(id)
	if err != nil {
		return ""
	}
	mt.mu.Lock()
	defer mt.mu.Unlock()
	return mt.st().Relay.String()
}

func (m *Mesh) relayLoop(ctx context.Context) {
	t := time.NewTicker(relayCheck)
	defer t.Stop()
	last := map[string]int{} // relay epoch this node last wrote for, by meeting
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, mt := range m.snapshot() {
			mt.mu.Lock()
			st := mt.st()
			in := st.In(m.self) && !st.Ended(time.Now())
			cur, epoch := st.Relay.String(), st.RelayEpoch
			live := mt.liveLocked(m.self)
			mt.mu.Unlock()
			if !in || last[mt.id] > epoch {
				continue // not in it, or our event for this epoch is on its way
			}
			if peer, move := relayMove(cur, live, m.self.String(), m.cfg.MeshMax); move {
				body, _ := json.Marshal(eventlog.Relay{Epoch: epoch + 1, Peer: peer})
				if _, err := m.publishEvent(ctx, mt, eventlog.TypeRelay, body); err != nil {
					m.log.Debug("relay event refused", "meeting", mt.id, "err", err)
					continue
				}
				last[mt.id] = epoch + 1
			}
		}
	}
}

// relayMove says whether the rule names self to write a relay event now,
// and its peer (self, or "" for a mesh).
func relayMove(cur string, live []ParticipantView, self string, meshMax int) (string, bool) {
	alive := slices.ContainsFunc(live, func(p ParticipantView) bool { return p.PeerID == cur })
	switch n := len(live); {
	case cur == "" && n > meshMax, cur != "" && !alive && n >= meshMax:
		if firstInLine(live, true) == self {
			return self, true
		}
	case cur != "" && n < meshMax:
		return "", (alive && cur == self) || (!alive && firstInLine(live, false) == self)
	}
	return "", false
}

// firstInLine is the live participant in the meeting longest (that may
// relay, if relaying), then the smallest peer ID; "" when there is none.
func firstInLine(live []ParticipantView, relaying bool) string {
	best := -1
	for i, p := range live {
		if relaying && p.RelayCapacity < 1 {
			continue
		}
		if best < 0 || p.JoinedAt.Before(live[best].JoinedAt) ||
			(p.JoinedAt.Equal(live[best].JoinedAt) && p.PeerID < live[best].PeerID) {
			best = i
		}
	}
	if best < 0 {
		return ""
	}
	return live[best].PeerID
}
