package media

import (
	"context"
	"math"
	"slices"
	"strings"
	"sync"
	"time"
)

// meeting is the media session of one meeting: links to the other nodes, the browser
// session and the tracks the browser publishes. Its maps are guarded by Engine.mu.
type meeting struct {
	e        *Engine
	id, self string
	ctx      context.Context
	cancel   context.CancelFunc

	closed  bool
	relay   string            // this node's relay (its site's); "" in a mesh
	via     map[string]string // each node's relay (topology.go); empty: a mesh
	want    map[string]bool   // the peers this node links to (setPeers)
	links   map[string]*peerLink
	lost    map[string]int64     // peers whose link was torn down and rebuilt, and how often
	epochs  map[string]uint64    // the largest link epoch used with each peer (openLink)
	rebuilt map[string]time.Time // when each peer last made us rebuild (handlePeer)
	held    map[string][]*Signal // signals of a newer epoch held for the rebuild gap
	// failover: the last topology change tore down links that were up, so the links
	// it opens show "reconnecting" (a new relay after the old one died)
	failover bool

	notifyMu sync.Mutex // one notifyLinks at a time, so the last state sent is the last one
	shown    string     // the link states last sent to the browser, under notifyMu
	browser  *browserSession
	local    [numSlots]*forwarder // what the local browser publishes
	// video: the participants whose camera video is forwarded (last-N); nil: all
	video map[string]bool
	rec   *recording // while this node records the meeting
	loud  *loudest   // ranks the microphones this node forwards (loudest-N)
	view  []ViewTile // the page's last view (view.go)
}

func newMeeting(e *Engine, id, self string) *meeting {
	ctx, cancel := context.WithCancel(e.ctx)
	return &meeting{e: e, id: id, self: self, ctx: ctx, cancel: cancel,
		want: map[string]bool{}, links: map[string]*peerLink{}, lost: map[string]int64{}, epochs: map[string]uint64{},
		rebuilt: map[string]time.Time{}, held: map[string][]*Signal{}, loud: newLoudest()}
}

func (m *meeting) sendBrowser(s Signal) error {
	s.MeetingID = m.id
	return m.e.cfg.Signaller.SendToBrowser(m.id, encodeSignal(s))
}

func (m *meeting) sendPeer(peer string, s Signal) error {
	s.MeetingID = m.id
	return m.e.cfg.Signaller.SendToPeer(peer, encodeSignal(s))
}

// setPeers sets the other nodes in the meeting and via, the relay each node's media goes
// through (topology.go; empty: a mesh). A link whose role changes is rebuilt, as who
// offers and what flows change.
func (m *meeting) setPeers(peers []string, via map[string]string) {
	want := map[string]role{}
	for _, p := range peers {
		if r := roleOf(via, m.self, p); p != "" && p != m.self && r != roleNone {
			want[p] = r
		}
	}
	m.e.mu.Lock()
	relay := via[m.self]
	moved := relay != m.relay
	m.relay, m.via, m.want = relay, via, map[string]bool{}
	for p := range want {
		m.want[p] = true
	}
	var gone []*peerLink
	m.failover = false
	for p, l := range m.links {
		if rebuild := l.role != want[p]; rebuild {
			gone = append(gone, l)
			delete(m.links, p)
			if l.up.Load() {
				// A link that was up: the next one to this peer (presence lost it
				// for a moment) or to a new relay shows "reconnecting". The counts
				// stay while the peer is away: at most one per participant.
				m.lost[p]++
				m.failover = m.failover || moved
			}
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
		l.close(false)
	}
	slices.Sort(add)
	for _, p := range add {
		if _, err := m.link(p, true); err != nil {
			m.e.log.Warn("media link failed", "meetingId", m.id, "peerId", p, "err", err)
		}
	}
	if len(gone) > 0 || len(add) > 0 {
		m.notifyLinks()
	}
}

// dropLink closes l and forgets it, if it is still the link to its peer; it says whether
// it was. With lost, or when l had been up or replaced a lost one, the peer's link counts
// as lost: the next one shows "reconnecting".
func (m *meeting) dropLink(l *peerLink, lost bool) bool {
	m.e.mu.Lock()
	cur := m.links[l.peer] == l
	if cur {
		delete(m.links, l.peer)
		if m.want[l.peer] && (lost || l.up.Load() || l.replaces) {
			m.lost[l.peer]++
		}
	}
	m.e.mu.Unlock()
	l.close(false)
	if cur {
		m.relayPins() // a relay: the pins it took from l are gone
	}
	return cur
}

// relink tears l down and opens a new link to its peer from scratch, if l is still the
// link to a peer this node wants: a new PeerConnection in a new epoch, which tells the
// peer to rebuild its side too (handlePeer).
func (m *meeting) relink(l *peerLink, why string) {
	if !m.dropLink(l, true) {
		return
	}
	m.e.log.Warn("media link rebuilt", "meetingId", m.id, "peerId", l.peer, "why", why)
	m.e.mu.Lock()
	want := m.want[l.peer]
	m.e.mu.Unlock()
	if want {
		if _, err := m.link(l.peer, true); err != nil {
			m.e.log.Warn("media link failed", "meetingId", m.id, "peerId", l.peer, "err", err)
		}
	}
	m.notifyLinks()
}

// peerRebuildGap is the least time between two rebuilds of a link that its peer asks for
// (handlePeer): a peer opening new epochs in a loop costs us at most that.
const peerRebuildGap = 250 * time.Millisecond

// maxHeld bounds the signals held for one peer during that gap (an offer and its
// candidates fit).
const maxHeld = 64

// maxLinks bounds the links of one meeting: a relay links to every participant, and a
// meeting holds at most 1000 (mesh.MaxCapacity).
const maxLinks = 1000

// link returns the link to peer, creating it when create is set.
func (m *meeting) link(peer string, create bool) (*peerLink, error) {
	if !create {
		m.e.mu.Lock()
		defer m.e.mu.Unlock()
		return m.links[peer], nil
	}
	return m.openLink(peer, 0)
}

// openLink returns the link to peer, opening one in epoch (0: a new epoch of this node's)
// if there is none.
func (m *meeting) openLink(peer string, epoch uint64) (*peerLink, error) {
	m.e.mu.Lock()
	l, closed, full, r, lost := m.links[peer], m.closed, len(m.links) >= maxLinks, roleOf(m.via, m.self, peer), m.lost[peer] > 0 || m.failover
	if l == nil {
		if epoch == 0 {
			// Past every epoch seen with this peer, and past the clock so that a
			// restarted node's links are newer than those of its previous run.
			epoch = max(m.epochs[peer]+1, uint64(time.Now().UnixNano()))
		}
		m.epochs[peer] = max(m.epochs[peer], epoch)
	}
	m.e.mu.Unlock()
	if l != nil {
		return l, nil
	}
	if closed {
		return nil, ErrClosed
	}
	if full {
		return nil, errorf(ErrProtocol, "more than %d links", maxLinks)
	}
	if r == roleNone {
		return nil, ErrClosed // not (or no longer) a peer this node links to
	}
	l, err := newPeerLink(m, peer, r, epoch, lost)
	if err != nil {
		return nil, err
	}
	m.e.mu.Lock()
	if old := m.links[peer]; old != nil || m.closed || roleOf(m.via, m.self, peer) != r {
		m.e.mu.Unlock()
		l.close(false)
		if old == nil {
			return nil, ErrClosed
		}
		return old, nil
	}
	m.links[peer] = l
	local := m.local
	var others []*peerLink // as a relay: other nodes' tracks go to the new one too
	for p, o := range m.links {
		if p != peer && forwards(o.role, r) {
			others = append(others, o)
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
	r := roleOf(m.via, m.self, from)
	m.e.mu.Unlock()
	if r == roleNone {
		return nil // a node that does not know the relay yet; it will soon
	}
	offers := r.offers(m.self, from)
	create := (s.Type == TypeOffer && !offers) || (s.Type == TypeRestart && offers)
	// Both PeerConnections of a link share an epoch; each side makes at most one
	// PeerConnection per epoch and peer. A signal of an older epoch is from or for a
	// PeerConnection that is gone. One of a newer epoch means the peer closed its side
	// and opened a new one (a topology change it learnt first, a stuck link): ours then
	// talks to a PeerConnection that no longer exists, and since an ICE restart never
	// redoes the DTLS handshake, only a new one of ours in the peer's epoch can pair
	// with it. (Before epochs, the two sides ICE-restarted such a link for good, ICE
	// connected and the link "connecting".)
	if s.Link == math.MaxUint64 {
		return ErrProtocol // no epoch could ever follow it
	}
	for range 2 {
		m.e.mu.Lock()
		l, newest := m.links[from], m.epochs[from]
		// A peer may make us rebuild at most every peerRebuildGap: each rebuild costs
		// a PeerConnection, and a relay allocation where TURN is in use.
		soon := time.Since(m.rebuilt[from]) < peerRebuildGap
		m.e.mu.Unlock()
		switch {
		case l != nil && s.Link == l.epoch:
			return l.handle(s)
		case l != nil && s.Link < l.epoch, l == nil && s.Link <= newest:
			return nil
		case l != nil && soon:
			m.hold(from, s)
			return nil
		case l != nil:
			m.e.log.Info("media link rebuilt by the peer", "meetingId", m.id, "peerId", from)
			m.e.mu.Lock()
			m.rebuilt[from] = time.Now()
			m.e.mu.Unlock()
			m.dropLink(l, l.iceUp.Load()) // a stuck link the peer rebuilt: ours reconnects too
		}
		if !create {
			m.notifyLinks()
			return nil
		}
		if _, err := m.openLink(from, s.Link); err != nil {
			return err
		}
		m.notifyLinks()
	}
	return nil
}

// hold keeps a signal of a newer epoch that arrived within peerRebuildGap of the last
// rebuild the peer asked for, and hands it (and any held after it, in order) in again
// once the gap is over: dropped, it could be the peer's only offer, and the link would
// wait for a restart.
func (m *meeting) hold(from string, s *Signal) {
	m.e.mu.Lock()
	defer m.e.mu.Unlock()
	q := m.held[from]
	if len(q) >= maxHeld {
		return
	}
	m.held[from] = append(q, s)
	if len(q) > 0 {
		return // already scheduled
	}
	wait := peerRebuildGap - time.Since(m.rebuilt[from])
	time.AfterFunc(max(wait, 0), func() {
		m.e.mu.Lock()
		q := m.held[from]
		delete(m.held, from)
		m.e.mu.Unlock()
		m.e.spawn(func() {
			for _, s := range q {
				if err := m.handlePeer(from, s); err != nil {
					m.e.log.Debug("held signal", "peerId", from, "err", err)
				}
			}
		})
	})
}

// notifyLinks tells the browser the state of every link, when it changed since last told.
func (m *meeting) notifyLinks() {
	m.notifyMu.Lock()
	defer m.notifyMu.Unlock()
	m.e.mu.Lock()
	links := make([]*peerLink, 0, len(m.links))
	for _, l := range m.links {
		links = append(links, l)
	}
	relay := m.relay
	m.e.mu.Unlock()
	ls := make([]LinkStats, 0, len(links))
	for _, l := range links {
		ls = append(ls, l.stats())
	}
	slices.SortFunc(ls, func(a, b LinkStats) int { return strings.Compare(a.PeerID, b.PeerID) })
	key := relay
	for _, st := range ls {
		key += "|" + st.PeerID + "=" + st.Status
	}
	same := key == m.shown
	m.shown = key
	if !same {
		_ = m.sendBrowser(Signal{Type: TypeLinks, Relay: relay, Links: ls})
	}
}

func (m *meeting) handleBrowser(s *Signal) error {
	switch s.Type {
	case TypeHello:
		b, err := newBrowserSession(m, s.Simulcast)
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
			old.close(false)
		}
		if closed {
			b.close(false)
			return ErrClosed
		}
		b.start()
		for _, l := range links {
			for _, f := range l.remoteForwarders() {
				b.addOut(f)
			}
		}
		m.notifyMu.Lock()
		m.shown = "" // a new page: tell it the links
		m.notifyMu.Unlock()
		m.notifyLinks()
		return nil
	case TypeView:
		m.onView(s.Tiles)
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
		b.close(false)
	}
}

// setLocal records a track the browser publishes and sends it on every link.
func (m *meeting) setLocal(s slot, f *forwarder) {
	m.record(f)
	if s == slotMic {
		m.loud.add(f)
	}
	m.e.mu.Lock()
	m.local[s] = f
	m.gateLocked(f)
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
// gateLocked holds back a camera that last-N leaves out (Engine.mu held).
func (m *meeting) gateLocked(f *forwarder) {
	f.gated.Store(f.slot == slotCamera && m.video != nil && !m.video[f.origin])
}

// gateAllLocked applies last-N to every camera this node forwards (Engine.mu held).
func (m *meeting) gateAllLocked() {
	if f := m.local[slotCamera]; f != nil {
		m.gateLocked(f)
	}
	for _, l := range m.links {
		if f := l.remote[slotCamera]; f != nil {
			m.gateLocked(f)
		}
		for _, f := range l.extraRemote {
			m.gateLocked(f)
		}
	}
}

func (m *meeting) addRemote(f *forwarder, from *peerLink) {
	m.e.mu.Lock()
	b := m.browser
	var others []*peerLink
	for _, l := range m.links {
		if l != from && forwards(from.role, l.role) {
			others = append(others, l)
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
		l.close(true)
	}
	if b != nil {
		b.close(true)
	}
}
