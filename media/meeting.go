package media

import (
	"context"
	"slices"
)

// meeting is the media session of one meeting: links to the other nodes, the browser
// session and the tracks the browser publishes. Its maps are guarded by Engine.mu.
type meeting struct {
	e        *Engine
	id, self string
	ctx      context.Context
	cancel   context.CancelFunc

	closed  bool
	relay   string // the relay node's peer ID; "" in a mesh
	links   map[string]*peerLink
	browser *browserSession
	local   [numSlots]*forwarder // what the local browser publishes
	rec     *recording           // while this node records the meeting
}

func newMeeting(e *Engine, id, self string) *meeting {
	ctx, cancel := context.WithCancel(e.ctx)
	return &meeting{e: e, id: id, self: self, ctx: ctx, cancel: cancel, links: map[string]*peerLink{}}
}

func (m *meeting) sendBrowser(s Signal) error {
	s.MeetingID = m.id
	return m.e.cfg.Signaller.SendToBrowser(m.id, encodeSignal(s))
}

func (m *meeting) sendPeer(peer string, s Signal) error {
	s.MeetingID = m.id
	return m.e.cfg.Signaller.SendToPeer(peer, encodeSignal(s))
}

// setPeers sets the other nodes in the meeting and the relay ("" for a mesh). In a mesh,
// and on the relay, this node links to every peer; otherwise only to the relay. A new
// relay (or none any more) rebuilds every link, as who offers and what flows change.
func (m *meeting) setPeers(peers []string, relay string) {
	want := map[string]bool{}
	for _, p := range peers {
		if p != "" && p != m.self && wanted(m.self, relay, p) {
			want[p] = true
		}
	}
	m.e.mu.Lock()
	rebuild := relay != m.relay
	m.relay = relay
	var gone []*peerLink
	for p, l := range m.links {
		if rebuild || !want[p] {
			gone = append(gone, l)
			delete(m.links, p)
		}
	}
	var add []string
	for p := range want {
		if m.links[p] == nil {
			add = append(add, p)
		}
	}
	m.e.mu.Unlock()
	for _, l := range gone {
		l.close()
	}
	slices.Sort(add)
	for _, p := range add {
		if _, err := m.link(p, true); err != nil {
			m.e.log.Warn("media link failed", "meetingId", m.id, "peerId", p, "err", err)
		}
	}
}

// dropLink closes l and forgets it, if it is still the link to its peer.
func (m *meeting) dropLink(l *peerLink) {
	m.e.mu.Lock()
	if m.links[l.peer] == l {
		delete(m.links, l.peer)
	}
	m.e.mu.Unlock()
	l.close()
}

// wanted says whether self links to peer when relay is the relay ("" for a mesh).
func wanted(self, relay, peer string) bool {
	return relay == "" || relay == self || peer == relay
}

// offerer says whether self offers on its link to peer: the relay does, and in a mesh
// the smaller peer ID.
func offerer(self, relay, peer string) bool {
	switch relay {
	case self:
		return true
	case peer:
		return false
	}
	return self < peer
}

// maxLinks bounds the links of one meeting: a relay links to every participant, and a
// meeting holds at most 1000 (mesh.MaxCapacity).
const maxLinks = 1000

// link returns the link to peer, creating it when create is set.
func (m *meeting) link(peer string, create bool) (*peerLink, error) {
	m.e.mu.Lock()
	l, closed, full, relay := m.links[peer], m.closed, len(m.links) >= maxLinks, m.relay
	m.e.mu.Unlock()
	if l != nil || !create {
		return l, nil
	}
	if closed {
		return nil, ErrClosed
	}
	if full {
		return nil, errorf(ErrProtocol, "more than %d links", maxLinks)
	}
	l, err := newPeerLink(m, peer, offerer(m.self, relay, peer))
	if err != nil {
		return nil, err
	}
	m.e.mu.Lock()
	if old := m.links[peer]; old != nil || m.closed || m.relay != relay {
		m.e.mu.Unlock()
		l.close()
		if old == nil {
			return nil, ErrClosed
		}
		return old, nil
	}
	m.links[peer] = l
	local := m.local
	var others []*peerLink // as the relay: every other node's tracks go to the new one too
	if relay == m.self {
		for p, o := range m.links {
			if p != peer {
				others = append(others, o)
			}
		}
	}
	m.e.mu.Unlock()
	for s, f := range local {
		if f != nil {
			l.attach(slot(s), f)
		}
	}
	l.start()
	for _, o := range others {
		for _, f := range o.remoteForwarders() {
			l.extras.add(f)
		}
	}
	return l, nil
}

func (m *meeting) handlePeer(from string, s *Signal) error {
	if from == m.self {
		return ErrProtocol
	}
	m.e.mu.Lock()
	relay := m.relay
	m.e.mu.Unlock()
	if !wanted(m.self, relay, from) {
		return nil // a node that does not know the relay yet; it will soon
	}
	offers := offerer(m.self, relay, from)
	create := (s.Type == TypeOffer && !offers) || (s.Type == TypeRestart && offers)
	l, err := m.link(from, create)
	if err != nil || l == nil {
		return err
	}
	return l.handle(s)
}

func (m *meeting) handleBrowser(s *Signal) error {
	switch s.Type {
	case TypeHello:
		b, err := newBrowserSession(m)
		if err != nil {
			return err
		}
		m.e.mu.Lock()
		old, closed := m.browser, m.closed
		if !closed {
			m.browser = b
		}
		links := make([]*peerLink, 0, len(m.links))
		for _, l := range m.links {
			links = append(links, l)
		}
		m.e.mu.Unlock()
		if old != nil {
			old.close()
		}
		if closed {
			b.close()
			return ErrClosed
		}
		b.start()
		for _, l := range links {
			for _, f := range l.remoteForwarders() {
				b.addOut(f)
			}
		}
		return nil
	case TypeAnswer, TypeCandidate, TypeRestart:
		m.e.mu.Lock()
		b := m.browser
		m.e.mu.Unlock()
		if b == nil {
			return ErrProtocol
		}
		return b.handle(s)
	default:
		return ErrProtocol
	}
}

// dropBrowser ends browser session b if it is still the current one.
func (m *meeting) dropBrowser(b *browserSession) {
	m.e.mu.Lock()
	cur := m.browser == b
	if cur {
		m.browser = nil
	}
	m.e.mu.Unlock()
	if cur {
		b.close()
	}
}

// setLocal records a track the browser publishes and sends it on every link.
func (m *meeting) setLocal(s slot, f *forwarder) {
	m.record(f)
	m.e.mu.Lock()
	m.local[s] = f
	links := make([]*peerLink, 0, len(m.links))
	for _, l := range m.links {
		links = append(links, l)
	}
	m.e.mu.Unlock()
	for _, l := range links {
		l.attach(s, f)
	}
}

func (m *meeting) clearLocal(s slot, f *forwarder) {
	m.e.mu.Lock()
	if m.local[s] == f {
		m.local[s] = nil
	}
	m.e.mu.Unlock()
}

// addRemote sends a track received on link from to the browser and, on the relay, to
// every other node.
func (m *meeting) addRemote(f *forwarder, from *peerLink) {
	m.e.mu.Lock()
	b := m.browser
	var others []*peerLink
	if m.relay == m.self {
		for _, l := range m.links {
			if l != from {
				others = append(others, l)
			}
		}
	}
	m.e.mu.Unlock()
	if b != nil {
		b.addOut(f)
	}
	for _, l := range others {
		l.extras.add(f)
	}
}

func (m *meeting) close() {
	m.e.mu.Lock()
	m.closed = true
	links := m.links
	m.links = map[string]*peerLink{}
	b := m.browser
	m.browser = nil
	m.e.mu.Unlock()
	m.cancel()
	m.stopRecording()
	for _, l := range links {
		l.close()
	}
	if b != nil {
		b.close()
	}
}
