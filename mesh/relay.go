package mesh

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"meshmeet/mesh/eventlog"
)

// The media relays. A meeting of more than MeshMax live participants has a
// node per site (site.go) that relays that site's media: the site's nodes
// send to it only, and the site relays link to each other, so each stream
// crosses each WAN link once. The log says which, by relay events, each
// naming its author the relay of its site (or, with no peer, putting the
// site back to a mesh) with the site's epoch one above its last. Every node
// reads the relays from the same log, so all agree, and nobody changes them
// on a whim: a node writes a relay event only when the rule below names it,
// and a relay stays the relay while it is live and in its site, so a late
// heartbeat, a relay that froze and woke up, or a meeting hovering at the
// threshold does not move it. In each site, with n live in the meeting:
//
//   - no relay, n > MeshMax: the site's first in line names itself;
//   - a relay, n ≥ MeshMax, the relay no longer live in the site: the
//     site's first in line names itself (a node judges "no longer live" only
//     once it has heard the meeting for PresenceTimeout, or when the relay's
//     link was lost and its presence dropped);
//   - a relay, n < MeshMax: the relay (or, when it is gone, the site's live
//     participant in the meeting longest) puts the site back to a mesh.
//
// First in line: the site's live participant that may relay (presence says
// so) who has been in the meeting longest, then the smallest peer ID. A
// meeting in one site has one relay, as before sites.

// relayCheck is how often each node looks whether the rule names it.
const relayCheck = 250 * time.Millisecond

// Topology is the media topology of a meeting: for each live participant
// (this node too), the node its media goes through — its site's relay, or,
// for a site without one (nobody there may relay), the live site relay with
// the smallest peer ID. Empty: a mesh, everyone sends to everyone.
func (m *Mesh) Topology(id string) map[string]string {
	mt, err := m.meeting(id)
	if err != nil {
		return nil
	}
	mt.mu.Lock()
	defer mt.mu.Unlock()
	return topology(mt.st().Relays, mt.liveLocked(m.self))
}

func topology(relays map[string]eventlog.SiteRelay, live []ParticipantView) map[string]string {
	fallback := ""
	for _, p := range live { // a live relay of its own site
		if r := peerString(relays[p.Site].Peer); r == p.PeerID && (fallback == "" || r < fallback) {
			fallback = r
		}
	}
	out := map[string]string{}
	for _, p := range live {
		r := peerString(relays[p.Site].Peer)
		if r == "" {
			r = fallback
		}
		if r != "" {
			out[p.PeerID] = r
		}
	}
	return out
}

func (m *Mesh) relayLoop(ctx context.Context) {
	t := time.NewTicker(relayCheck)
	defer t.Stop()
	type key struct{ meeting, site string }
	last := map[key]int{} // the site's relay epoch this node last wrote for
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
			site := mt.selfSite
			cur := st.Relays[site]
			live := mt.liveLocked(m.self)
			// Heard long enough to tell silence, or told the relay is gone (its link lost).
			judge := time.Since(mt.opened) >= m.cfg.PresenceTimeout || !mt.heldOff[cur.Peer].IsZero()
			mt.mu.Unlock()
			k := key{mt.id, site}
			if !in || last[k] > cur.Epoch {
				continue // not in it, or our event for this epoch is on its way
			}
			here := slices.DeleteFunc(slices.Clone(live), func(p ParticipantView) bool { return p.Site != site })
			if peer, move := relayMove(peerString(cur.Peer), here, len(live), peerString(m.self), m.cfg.MeshMax, judge); move {
				body, _ := json.Marshal(eventlog.Relay{Epoch: cur.Epoch + 1, Peer: peer, Site: site})
				if _, err := m.publishEvent(ctx, mt, eventlog.TypeRelay, body); err != nil {
					m.log.Debug("relay event refused", "meeting", mt.id, "site", site, "err", err)
					continue
				}
				last[k] = cur.Epoch + 1
			}
		}
	}
}

// relayMove says whether the rule names self to write a relay event for its
// site now, and its peer (self, or "" for a mesh): cur is the site's relay,
// here the site's live participants, n the meeting's. judge: self can tell
// the relay's silence from not having heard it yet.
func relayMove(cur string, here []ParticipantView, n int, self string, meshMax int, judge bool) (string, bool) {
	alive := slices.ContainsFunc(here, func(p ParticipantView) bool { return p.PeerID == cur })
	if cur != "" && !alive && !judge {
		// The relay is gone after PresenceTimeout of silence, which a node that
		// has listened for less cannot have heard: one that just joined has not
		// had the relay's heartbeat yet. (Forty-eight joining a meeting of fifty
		// at once moved its relay to one of them, run after run.)
		return "", false
	}
	switch {
	case cur == "" && n > meshMax, cur != "" && !alive && n >= meshMax:
		if firstInLine(here, true) == self {
			return self, true
		}
	case cur != "" && n < meshMax:
		return "", (alive && cur == self) || (!alive && firstInLine(here, false) == self)
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
