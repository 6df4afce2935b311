package mesh

import (
	"context"
	"encoding/json"
	"fmt"
	"meshmeet/mesh/eventlog"
	"slices"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// heartbeat is a participant's periodic "still here" with their media state.
// Presence is soft state: it is gossiped, never stored.
type heartbeat struct {
	V             int        `json:"v"`
	Meeting       string     `json:"meeting"`
	Peer          peer.ID    `json:"peer"`
	Name          string     `json:"name"`
	Media         MediaState `json:"media"`
	RelayCapacity int        `json:"relayCapacity"`
	// Site is the sender's site (site.go): a meeting has a media relay per site.
	Site string `json:"site,omitempty"`
	// Addrs are the sender's listen addresses: members that heard of it only
	// through others dial it with them (see dialHeard).
	Addrs []string `json:"addrs,omitempty"`
	// Reaction is an emoji shown once, in this heartbeat only (reaction.go).
	Reaction string `json:"reaction,omitempty"`

	seen time.Time
}

const (
	maxHeartbeat      = 4 << 10
	maxHeartbeatAddrs = 8
	maxAddrLen        = 256
)

// presenceVersion is the heartbeat format.
const presenceVersion = 1

// DecodeHeartbeat parses a heartbeat from untrusted bytes.
func DecodeHeartbeat(raw []byte) (*heartbeat, error) {
	if len(raw) > maxHeartbeat {
		return nil, fmt.Errorf("%w: heartbeat of %d bytes", ErrTooLarge, len(raw))
	}
	var hb heartbeat
	if err := decodeStrict(raw, &hb); err != nil {
		return nil, err
	}
	if hb.V != presenceVersion || !meetingIDPattern.MatchString(hb.Meeting) || hb.Peer.Validate() != nil || hb.RelayCapacity < 0 ||
		hb.Media.HandRaisedAt < 0 || !hb.Media.HandRaised && hb.Media.HandRaisedAt != 0 ||
		hb.Reaction != "" && !slices.Contains(Reactions, hb.Reaction) || !eventlog.ValidSite(hb.Site) {
		return nil, fmt.Errorf("%w: heartbeat fields", ErrInvalid)
	}
	if err := eventlog.ValidName(hb.Name); err != nil {
		return nil, err
	}
	if len(hb.Addrs) > maxHeartbeatAddrs {
		return nil, fmt.Errorf("%w: heartbeat with %d addresses", ErrInvalid, len(hb.Addrs))
	}
	for _, a := range hb.Addrs {
		if len(a) > maxAddrLen {
			return nil, fmt.Errorf("%w: heartbeat address of %d bytes", ErrInvalid, len(a))
		}
		if _, err := ma.NewMultiaddr(a); err != nil {
			return nil, fmt.Errorf("%w: heartbeat address: %w", ErrInvalid, err)
		}
	}
	return &hb, nil
}

func (m *Mesh) presenceValidator(mt *meeting) pubsub.ValidatorEx {
	return m.gossipValidator(mt, kindPresence, func(from peer.ID, plain []byte, msg *pubsub.Message) pubsub.ValidationResult {
		hb, err := DecodeHeartbeat(plain)
		if err != nil || hb.Peer != from || hb.Meeting != mt.id {
			return m.reject("presence")
		}
		msg.ValidatorData = hb
		return pubsub.ValidationAccept
	})
}

func (m *Mesh) onHeartbeat(mt *meeting, hb *heartbeat) {
	if m.noteHeartbeat(mt, hb) {
		m.dialHeard(hb)
	}
}

// noteHeartbeat records a heartbeat and tells the pages what changed; it
// reports whether the sender is a present member.
func (m *Mesh) noteHeartbeat(mt *meeting, hb *heartbeat) bool {
	hb.seen = time.Now()
	mt.mu.Lock()
	defer mt.mu.Unlock()
	if until, ok := mt.heldOff[hb.Peer]; ok {
		if hb.seen.Before(until) {
			return false // sent before it was found gone (dropPresence)
		}
		delete(mt.heldOff, hb.Peer)
	}
	prev := mt.presence[hb.Peer]
	mt.presence[hb.Peer] = hb
	mb := mt.st().Members[hb.Peer]
	if mb == nil || !mb.Present() {
		return false
	}
	mt.reactionHeardLocked(hb)
	switch {
	case prev == nil:
		mt.publishLocked(Notice{NoticeJoined, mt.participantLocked(hb.Peer, m.self)})
	case prev.Media != hb.Media:
		mt.publishLocked(Notice{NoticeMediaState, mt.participantLocked(hb.Peer, m.self)})
	}
	return true
}

func (m *Mesh) presenceLoop(ctx context.Context) {
	beat := time.NewTicker(m.cfg.HeartbeatInterval)
	defer beat.Stop()
	sweep := time.NewTicker(m.cfg.PresenceTimeout / 6)
	defer sweep.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-beat.C:
			for _, mt := range m.snapshot() {
				m.sendHeartbeat(ctx, mt)
			}
		case now := <-sweep.C:
			for _, mt := range m.snapshot() {
				m.expire(mt, now)
			}
			m.expireKnocks(now)
			m.expireMeetings(now)
			m.forgetHeard(now)
		}
	}
}

// snapshot lists the meetings this node holds and those it is joining
// with a key not proven yet (attempt.go), which need discovery and sync too.
func (m *Mesh) snapshot() []*meeting {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*meeting, 0, len(m.meetings)+len(m.attempts))
	for _, mt := range m.meetings {
		out = append(out, mt)
	}
	for _, a := range m.attempts {
		out = append(out, a.mt)
	}
	return out
}

// expire drops participants not heard from within the presence timeout.
func (m *Mesh) expire(mt *meeting, now time.Time) {
	mt.mu.Lock()
	defer mt.mu.Unlock()
	for id, hb := range mt.presence {
		if now.Sub(hb.seen) < m.cfg.PresenceTimeout {
			continue
		}
		m.forgetLocked(mt, id)
	}
}

// forgetLocked drops id's presence in mt and tells the pages it left.
func (m *Mesh) forgetLocked(mt *meeting, id peer.ID) {
	delete(mt.presence, id)
	if mb := mt.st().Members[id]; mb != nil && mb.Present() {
		mt.publishLocked(Notice{NoticeLeft, mt.participantLocked(id, m.self)})
	}
}

func (m *Mesh) relayCapacity() int {
	if m.cfg.NoRelay {
		return 0
	}
	return 1
}

// sendHeartbeat announces this node in a meeting it is part of.
func (m *Mesh) sendHeartbeat(ctx context.Context, mt *meeting) { m.sendPresence(ctx, mt, "") }

// sendPresence sends a heartbeat, with a reaction if one is given.
func (m *Mesh) sendPresence(ctx context.Context, mt *meeting, reaction string) {
	if !m.current(mt) {
		return // never under an old key: the removed could hear it
	}
	site := m.site()
	mt.mu.Lock()
	mb := mt.st().Members[m.self]
	inMeeting := mb != nil && mb.Present() && !mt.st().Ended(time.Now())
	mt.selfSite = site
	hb := heartbeat{V: presenceVersion, Meeting: mt.id, Peer: m.self, Name: m.Name(), Media: mt.selfMedia, RelayCapacity: m.relayCapacity(), Reaction: reaction, Site: site}
	mt.mu.Unlock()
	hb.Addrs = m.announceAddrs()
	if !inMeeting {
		return
	}
	raw, err := json.Marshal(hb)
	if err != nil {
		return
	}
	name := topicName(mt.keys, kindPresence)
	if err := mt.topics[kindPresence].Publish(ctx, mt.keys.sealBytes(raw, name)); err != nil && ctx.Err() == nil {
		m.log.Debug("heartbeat not sent", "meeting", mt.id, "err", err)
	}
}
