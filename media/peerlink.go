package media

import (
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"
)

// peerLink is the PeerConnection to one other node of a meeting. Both sides create one
// sendrecv transceiver per slot (mic, camera, screen) in the same order, so a track's slot
// is known from its transceiver: each side's own tracks. In a mesh the peer with the
// smaller ID offers (no glare); with a relay, the relay does; the other asks it to
// (re)offer with a "restart" message. A relay also sends every other node's tracks on
// transceivers of their own (extras), announced like the browser session's. Between two
// site relays both send extras, so both offer, in turns (negotiator): the smaller peer ID
// offers first, restarts ICE and grants the other its turns.
type peerLink struct {
	m       *meeting
	peer    string
	role    role
	offerer bool
	epoch   uint64 // Signal.Link: shared with the peer's side of this link
	// replaces: the link before it to this peer was torn down (it shows "reconnecting")
	replaces bool
	pc       *webrtc.PeerConnection
	slots    [numLinkTr]*webrtc.RTPTransceiver // the slots, then the lower camera layers
	lp       *loop
	neg      *negotiator
	extras   *outSet // the relay's side: other nodes' tracks to this peer

	// guarded by Engine.mu
	remote      [numSlots]*forwarder
	out         [numLinkTr]*sink
	inMeta      map[string]TrackInfo // from the relay's offers: mid → whose track
	extraRemote []*forwarder         // tracks of other nodes the relay sends us
	heights     map[string]int32     // the peer's last view (view.go); nil before one
	pins        map[string]bool      // the cameras the peer's last view pins (view.go)
	pinsSent    string               // a relay: the pins it last sent the peer (relayPins)

	badSince   time.Time // loop only
	stuckSince time.Time // loop only
	failedAt   time.Time // loop only: since when the link is failed, through its restarts
	streak     int       // loop only: restarts since the link was last connected
	restarts   atomic.Int64
	up         atomic.Bool // has been connected
	iceUp      atomic.Bool // its ICE has been connected (a link stuck after that is a reconnect)
	closing    atomic.Bool // close was called
}

func newPeerLink(m *meeting, peer string, r role, epoch uint64, replaces bool) (*peerLink, error) {
	pc, err := m.e.newPeerConnection(true)
	if err != nil {
		return nil, err
	}
	offerer := r.offers(m.self, peer)
	l := &peerLink{m: m, peer: peer, role: r, offerer: offerer, epoch: epoch, replaces: replaces,
		pc: pc, lp: newLoop(m.ctx), inMeta: map[string]TrackInfo{}}
	l.extras = newOutSet(m.e, pc, l.lp, l.logErr)
	l.extras.to = l.listener()
	asks := r == roleRelays && !offerer
	if asks {
		n := 0
		l.extras.mids = func() string { n++; return "p" + strconv.Itoa(n) }
	}
	for s := range slot(numLinkTr) {
		tr, err := pc.AddTransceiverFromKind(s.kind(), webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv})
		if err != nil {
			_ = pc.GracefulClose()
			return nil, err
		}
		l.slots[s] = tr
	}
	l.neg = &negotiator{pc: pc, send: func(s Signal) error {
		s.Link = l.epoch
		return m.sendPeer(peer, s)
	}, decorate: func(s *Signal) {
		if t := l.extras.tracks(); len(t) > 0 {
			s.Tracks = t
		}
	}, asks: asks, grants: r == roleRelays && offerer}
	l.extras.neg = l.neg
	pc.OnICECandidate(func(c *webrtc.ICECandidate) { sendCandidate(l.lp, l.neg, c) })
	pc.OnTrack(l.onTrack)
	pc.OnICEConnectionStateChange(func(st webrtc.ICEConnectionState) {
		if st == webrtc.ICEConnectionStateConnected {
			l.iceUp.Store(true)
		}
		lost := st == webrtc.ICEConnectionStateDisconnected || st == webrtc.ICEConnectionStateFailed
		if f := m.e.cfg.OnLinkLost; lost && f != nil && l.up.Load() && !l.closing.Load() {
			m.e.spawn(func() { f(m.id, peer) })
		}
	})
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		m.e.log.Debug("media link state", "meetingId", m.id, "peerId", peer, "state", st.String())
		if st == webrtc.PeerConnectionStateConnected {
			l.up.Store(true)
			m.e.spawn(func() { m.sendView(l) }) // both sides have the link now
		}
		if st == webrtc.PeerConnectionStateClosed && !l.closing.Load() {
			// Closed under us (the far side's DTLS close reached this link after a
			// topology change crossed its signalling): open a fresh one.
			m.e.spawn(func() { m.relink(l, "closed by the peer") })
		}
		m.notifyLinks()
	})
	return l, nil
}

func (l *peerLink) start() {
	e := l.m.e
	tick := max(e.cfg.RestartAfter/4, 50*time.Millisecond)
	e.spawn(func() { l.lp.run(tick, l.check) })
	for i, tr := range l.slots {
		e.spawn(func() { readRTCPLoop(tr.Sender(), l.extras.cc, func() *sink { return l.outSink(i) }) })
	}
	l.lp.do(func() {
		var err error
		if l.offerer {
			err = l.neg.offer(false, false)
		} else {
			err = l.neg.send(Signal{Type: TypeRestart})
		}
		l.logErr(err)
	})
}

func (l *peerLink) logErr(err error) {
	if err != nil {
		l.m.e.log.Warn("media link signalling failed", "meetingId", l.m.id, "peerId", l.peer, "err", err)
	}
}

// stuckAfter is StuckAfter, longer after each rebuild of the link to this peer (up to six
// times): a path whose DTLS handshake is merely slow (loss, a far TURN relay) gets time.
func (l *peerLink) stuckAfter() time.Duration {
	l.m.e.mu.Lock()
	n := l.m.lost[l.peer]
	l.m.e.mu.Unlock()
	return l.m.e.cfg.StuckAfter * time.Duration(1+min(n, 5))
}

// status is the link as people see it: connected, connecting (a first link), or
// reconnecting (a link that was up, or that replaces one torn down).
func (l *peerLink) status() string {
	if l.pc.ConnectionState() == webrtc.PeerConnectionStateConnected {
		return "connected"
	}
	if l.up.Load() || l.replaces {
		return "reconnecting"
	}
	return "connecting"
}

func (l *peerLink) handle(s *Signal) error {
	switch s.Type {
	case TypeOffer:
		if l.offerer && l.role != roleRelays {
			return ErrProtocol
		}
		if s.Tracks != nil {
			l.m.e.mu.Lock()
			l.inMeta = s.Tracks
			l.m.e.mu.Unlock()
		}
		l.lp.do(func() { l.logErr(l.neg.onOffer(s.SDP)) })
	case TypeAnswer:
		if !l.offerer && l.role != roleRelays {
			return ErrProtocol
		}
		l.lp.do(func() { l.logErr(l.neg.onAnswer(s.SDP)) })
	case TypeCandidate:
		l.lp.do(func() { l.neg.onCandidate(*s.Candidate) })
	case TypeAsk:
		if !l.neg.grants {
			return ErrProtocol
		}
		l.lp.do(func() { l.logErr(l.neg.onAsk()) })
	case TypeTurn:
		if !l.neg.asks {
			return ErrProtocol
		}
		l.lp.do(func() { l.logErr(l.neg.onTurn()) })
	case TypeRestart:
		if !l.offerer {
			return ErrProtocol
		}
		l.lp.do(func() { l.logErr(l.neg.resend(l.m.e.cfg.RestartAfter / 2)) })
	case TypeView:
		l.onPeerView(s.Tiles)
	default:
		return ErrProtocol
	}
	return nil
}

// check runs on the loop's ticker: a link that stays disconnected, failed or unanswered
// for RestartAfter (twice that while still connecting, longer after restarts that did
// not connect) gets an ICE restart from the
// offerer, or a restart request from the answerer. No rejoin is needed. A link whose ICE
// is connected but that is itself not connected for StuckAfter is stuck in (or failed)
// its DTLS handshake, which no ICE restart redoes: it is rebuilt from scratch.
func (l *peerLink) check() {
	if l.neg.asks && l.neg.again && !l.neg.pending {
		l.logErr(l.neg.offer(false, false)) // asks again if the turn asked for never came
	}
	l.logErr(l.neg.flushHeld())
	// Two relays each waiting on their own offer (a turn's offer came after the turn timed
	// out and crossed the granter's) answer neither: only a new link, in a new epoch, ends it.
	if l.role == roleRelays && l.neg.pending && time.Since(l.neg.sentAt) > unansweredRelink {
		l.m.e.spawn(func() { l.m.relink(l, "offer unanswered on a link between relays") })
		return
	}
	st := l.pc.ConnectionState()
	if st == webrtc.PeerConnectionStateConnected || st == webrtc.PeerConnectionStateClosed {
		l.badSince, l.stuckSince, l.failedAt, l.streak = time.Time{}, time.Time{}, time.Time{}, 0
		return
	}
	now := time.Now()
	if st != webrtc.PeerConnectionStateFailed {
		l.failedAt = time.Time{}
	} else if l.failedAt.IsZero() {
		l.failedAt = now
	} else if now.Sub(l.failedAt) >= 2*l.stuckAfter() {
		// ICE restarts did not bring it back (seen after a peer slept through our offers):
		// a new link in a new epoch, as for a stuck one.
		l.m.e.spawn(func() { l.m.relink(l, "failed through its ICE restarts") })
		return
	}
	if ice := l.pc.ICEConnectionState(); ice == webrtc.ICEConnectionStateConnected || ice == webrtc.ICEConnectionStateCompleted {
		if l.stuckSince.IsZero() {
			l.stuckSince = now
		} else if now.Sub(l.stuckSince) >= l.stuckAfter() {
			l.m.e.spawn(func() { l.m.relink(l, "stuck: ICE connected, link "+st.String()) })
			return
		}
	} else {
		l.stuckSince = time.Time{}
	}
	if l.badSince.IsZero() {
		l.badSince = now
		return
	}
	// Each restart that did not connect doubles the wait for the next (up to 4×): on a
	// starved machine one round of checks can outlast the wait, and restarting it again
	// and again never lets one finish.
	limit := l.m.e.cfg.RestartAfter * time.Duration(1<<min(l.streak, 2))
	if st == webrtc.PeerConnectionStateNew || st == webrtc.PeerConnectionStateConnecting {
		limit *= 2
	}
	if now.Sub(l.badSince) < limit {
		return
	}
	l.badSince = now
	l.streak++
	l.m.e.log.Info("media link restarting", "meetingId", l.m.id, "peerId", l.peer, "state", st.String(), "offerer", l.offerer)
	if !l.offerer {
		l.logErr(l.neg.send(Signal{Type: TypeRestart}))
		return
	}
	if l.neg.haveRemote {
		l.restarts.Add(1)
	}
	l.logErr(l.neg.offer(true, true))
}

func (l *peerLink) onTrack(track *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
	s := slot(-1)
	for i, tr := range l.slots {
		if tr.Receiver() == recv {
			s = slot(i)
		}
	}
	e := l.m.e
	if s < 0 {
		l.onExtraTrack(track, recv)
		return
	}
	if s == slotCamera || int(s) >= linkLayerTr {
		l.receiveLayer(trLayer(int(s)), track, recv)
		return
	}
	if track.Kind() != s.kind() {
		e.log.Warn("media link unexpected track", "meetingId", l.m.id, "peerId", l.peer)
		return
	}
	l.receive(l.peer, s, track, recv,
		func(f *forwarder) { l.remote[s] = f },
		func(f *forwarder) {
			if l.remote[s] == f {
				l.remote[s] = nil
			}
		})
}

// receive forwards an incoming track of origin until it ends; add and drop keep the
// link's list of what it receives (called under Engine.mu).
func (l *peerLink) receive(origin string, s slot, track *webrtc.TrackRemote, recv *webrtc.RTPReceiver, add, drop func(*forwarder)) {
	e := l.m.e
	f := newForwarder(origin, s, track.Codec().RTPCodecCapability, uint32(track.SSRC()), &e.cfg, l.pc.WriteRTCP)
	if s == slotMic {
		f.levelExt = levelExtID(recv)
		l.m.loud.add(f)
	}
	e.mu.Lock()
	add(f)
	l.m.gateLocked(f)
	e.mu.Unlock()
	l.m.record(f)
	e.spawn(func() { drainRTCP(recv) })
	e.spawn(func() {
		f.readLoop(track)
		e.mu.Lock()
		drop(f)
		e.mu.Unlock()
	})
	l.m.addRemote(f, l)
}

// receiveLayer: the peer sends its participant's camera, layer li (the one layer it
// sends us, as layer f, or one of all three it sends the relay). The camera is a
// simulcast forwarder whatever the peer sends; it ends with its last layer.
func (l *peerLink) receiveLayer(li int, track *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
	e := l.m.e
	e.mu.Lock()
	f := l.remote[slotCamera]
	first := f == nil || f.isClosed()
	if first {
		f = newSimulcastForwarder(l.peer, slotCamera, track.Codec().RTPCodecCapability, &e.cfg, l.pc.WriteRTCP)
		l.remote[slotCamera] = f
		l.m.gateLocked(f)
	}
	e.mu.Unlock()
	if !f.addLayer(li, uint32(track.SSRC())) {
		e.log.Warn("media link unexpected layer", "meetingId", l.m.id, "peerId", l.peer, "layer", li)
		return
	}
	e.spawn(func() { drainRTCP(recv) })
	e.spawn(func() {
		f.readLayer(li, track)
		if f.isClosed() {
			e.mu.Lock()
			if l.remote[slotCamera] == f {
				l.remote[slotCamera] = nil
			}
			e.mu.Unlock()
		}
	})
	if first {
		l.m.record(f)
		l.m.addRemote(f, l)
	}
}

// onExtraTrack: the relay sends another node's track, as its offer announced.
func (l *peerLink) onExtraTrack(track *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
	e := l.m.e
	mid := ""
	for _, tr := range l.pc.GetTransceivers() {
		if tr.Receiver() == recv {
			mid = tr.Mid()
		}
	}
	e.mu.Lock()
	info, ok := l.inMeta[mid]
	e.mu.Unlock()
	s := slotOf(info.Source)
	if !ok || s < 0 || track.Kind() != s.kind() || info.PeerID == "" || info.PeerID == l.m.self || info.PeerID == l.peer {
		e.log.Warn("media link unexpected track", "meetingId", l.m.id, "peerId", l.peer, "mid", mid)
		return
	}
	l.receive(info.PeerID, s, track, recv,
		func(f *forwarder) { l.extraRemote = append(l.extraRemote, f) },
		func(f *forwarder) {
			l.extraRemote = slices.DeleteFunc(l.extraRemote, func(x *forwarder) bool { return x == f })
		})
}

// attach sends the local forwarder f on slot s of this link: a simulcast camera to the
// relay as all its layers, one transceiver each (the relay serves receivers of different
// needs), else one track (of a simulcast camera, the layer that fits the peer's view).
func (l *peerLink) attach(s slot, f *forwarder) {
	l.m.e.mu.Lock()
	toRelay := l.m.relay == l.peer
	l.m.e.mu.Unlock()
	if s == slotCamera && f.simulcast && toRelay {
		for li := range numLayers {
			l.attachTr(layerTr(li), f, li)
		}
		return
	}
	l.attachTr(int(s), f, -1)
}

// attachTr sends f on transceiver i; fixed is the layer it sends, -1 to choose.
func (l *peerLink) attachTr(i int, f *forwarder, fixed int) {
	e := l.m.e
	sk, err := newSink(f, l.m.self)
	if err != nil {
		e.log.Warn("media sink failed", "err", err)
		return
	}
	sk.fixed, sk.to = fixed, l.listener()
	sk.batch, sk.queued, sk.live = e.batch, l.extras.queued, l.extras.live
	if f.simulcast && fixed < 0 { // a layer chosen for the receiver: by its bandwidth too
		l.extras.cc.add(sk)
	}
	sk.onClose = func() { l.detach(i, sk) }
	e.mu.Lock()
	old := l.out[i]
	l.out[i] = sk
	applyView(l.heights, l.pins, sk)
	e.mu.Unlock()
	if old != nil {
		old.f.removeSink(old)
	}
	if err := l.slots[i].Sender().ReplaceTrack(sk.track); err != nil {
		e.log.Warn("media replace track failed", "peerId", l.peer, "err", err)
	}
	if !e.spawn(sk.writeLoop) || !f.addSink(sk) {
		sk.close()
	}
}

func (l *peerLink) detach(i int, sk *sink) {
	e := l.m.e
	e.mu.Lock()
	cur := l.out[i] == sk
	if cur {
		l.out[i] = nil
	}
	e.mu.Unlock()
	if cur {
		_ = l.slots[i].Sender().ReplaceTrack(nil)
	}
}

// outSink is the sink sending on transceiver i, nil for none.
func (l *peerLink) outSink(i int) *sink {
	l.m.e.mu.Lock()
	defer l.m.e.mu.Unlock()
	return l.out[i]
}

func (l *peerLink) remoteForwarders() []*forwarder {
	l.m.e.mu.Lock()
	defer l.m.e.mu.Unlock()
	var fs []*forwarder
	for _, f := range l.remote {
		if f != nil {
			fs = append(fs, f)
		}
	}
	return append(fs, l.extraRemote...)
}

// close ends the link; graceful (when the meeting or engine ends, never from a pion
// callback) also waits for pion's ICE and mDNS goroutines, so none outlives the engine.
// A link rebuilt during the meeting closes at once, as its successor shares the socket.
func (l *peerLink) close(graceful bool) {
	l.closing.Store(true)
	l.lp.cancel()
	l.extras.close()
	e := l.m.e
	e.mu.Lock()
	out := l.out
	l.out = [numLinkTr]*sink{}
	e.mu.Unlock()
	for _, sk := range out {
		if sk != nil {
			sk.f.removeSink(sk)
		}
	}
	closePC(l.pc, graceful)
}
