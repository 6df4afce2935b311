package media

import (
	"github.com/pion/webrtc/v4"
)

// browserSession is the one PeerConnection between the node and its browser, over
// loopback. Negotiation is driven by the node only: the node offers, the browser answers.
// The first offer carries one recvonly transceiver per slot; its "publish" field tells the
// browser the mid for "mic", "camera" and "screen", and the browser sends on them
// (direction sendonly, RTCRtpSender.replaceTrack to start and stop without renegotiating).
// Every remote participant's track is added as a sendonly transceiver, with stream id =
// the participant's peer ID and track id "<kind>-<source>", and listed in the offer's
// "tracks" (mid → peerId, kind, source); when it ends the node removes it and offers again.
type browserSession struct {
	m   *meeting
	pc  *webrtc.PeerConnection
	lp  *loop
	neg *negotiator
	in  [numSlots]*webrtc.RTPTransceiver
	out *outSet // every remote participant's track

	layered   [numSlots]*forwarder // simulcast forwarders, under Engine.mu
	simulcast bool                 // the page sends its camera as simulcast (hello)
}

func newBrowserSession(m *meeting, simulcast bool) (*browserSession, error) {
	pc, err := m.e.newPeerConnection(false)
	if err != nil {
		return nil, err
	}
	b := &browserSession{m: m, pc: pc, lp: newLoop(m.ctx), simulcast: simulcast}
	b.out = newOutSet(m.e, pc, b.lp, b.logErr)
	b.out.to = m.self
	for s := range numSlots {
		tr, err := pc.AddTransceiverFromKind(s.kind(), webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly})
		if err != nil {
			_ = pc.GracefulClose()
			return nil, err
		}
		b.in[s] = tr
	}
	b.neg = &negotiator{pc: pc, send: m.sendBrowser, decorate: b.decorate}
	b.out.neg = b.neg
	pc.OnICECandidate(func(c *webrtc.ICECandidate) { sendCandidate(b.lp, b.neg, c) })
	pc.OnTrack(b.onTrack)
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		m.e.log.Debug("media browser state", "meetingId", m.id, "state", st.String())
		if st == webrtc.PeerConnectionStateFailed { // page gone without a word: stop feeding it
			m.e.spawn(func() { m.dropBrowser(b) })
		}
	})
	return b, nil
}

func (b *browserSession) start() {
	b.m.e.spawn(func() { b.lp.run(0, nil) })
	b.lp.do(func() { b.logErr(b.neg.offer(false, false)) })
}

func (b *browserSession) logErr(err error) {
	if err != nil {
		b.m.e.log.Warn("media browser signalling failed", "meetingId", b.m.id, "err", err)
	}
}

func (b *browserSession) decorate(s *Signal) {
	s.Publish = map[string]string{}
	for i, tr := range b.in {
		s.Publish[slotSource[i]] = tr.Mid()
	}
	s.Tracks = b.out.tracks()
	if s.Type == TypeOffer && b.simulcast {
		s.SDP = offerSimulcast(s.SDP, b.in[slotCamera].Mid())
	}
}

func (b *browserSession) handle(s *Signal) error {
	switch s.Type {
	case TypeAnswer:
		b.lp.do(func() { b.logErr(b.neg.onAnswer(s.SDP)) })
	case TypeCandidate:
		b.lp.do(func() { b.neg.onCandidate(*s.Candidate) })
	case TypeRestart:
		b.lp.do(func() { b.logErr(b.neg.offer(true, false)) })
	default:
		return ErrProtocol
	}
	return nil
}

// onTrack: the browser started publishing on one of its slots.
func (b *browserSession) onTrack(track *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
	s := slot(-1)
	for i, tr := range b.in {
		if tr.Receiver() == recv {
			s = slot(i)
		}
	}
	e := b.m.e
	if s < 0 || track.Kind() != s.kind() {
		e.log.Warn("media browser unexpected track", "meetingId", b.m.id)
		return
	}
	if li := layerOf(track.RID()); li >= 0 && s == slotCamera {
		b.onLayer(s, li, track, recv)
		return
	}
	f := newForwarder(b.m.self, s, track.Codec().RTPCodecCapability, uint32(track.SSRC()), &e.cfg, b.pc.WriteRTCP)
	if s == slotMic {
		f.levelExt = levelExtID(recv)
	}
	if f.levelExt != 0 && e.cfg.OnSpeaking != nil {
		var meter *speakingMeter
		meter = newSpeakingMeter(func() { e.cfg.OnSpeaking(b.m.id, meter.on()) })
		f.meter = meter
	}
	e.spawn(func() { drainRTCP(recv) })
	e.spawn(func() {
		f.readLoop(track)
		b.m.clearLocal(s, f)
	})
	b.m.setLocal(s, f)
}

// onLayer: the browser started sending layer li of its simulcast camera. The layers of
// one slot share a forwarder, published (setLocal) with its first layer.
func (b *browserSession) onLayer(s slot, li int, track *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
	e := b.m.e
	e.mu.Lock()
	f := b.layered[s]
	first := f == nil || f.isClosed()
	if first {
		f = newSimulcastForwarder(b.m.self, s, track.Codec().RTPCodecCapability, &e.cfg, b.pc.WriteRTCP)
		b.layered[s] = f
	}
	e.mu.Unlock()
	if !f.addLayer(li, uint32(track.SSRC())) {
		e.log.Warn("media browser unexpected layer", "meetingId", b.m.id, "rid", track.RID())
		return
	}
	rid := track.RID()
	e.spawn(func() { drainSimulcastRTCP(recv, rid) })
	e.spawn(func() {
		f.readLayer(li, track)
		if f.isClosed() {
			b.m.clearLocal(s, f)
		}
	})
	if first {
		b.m.setLocal(s, f)
	}
}

// addOut sends a remote participant's track to the browser.
func (b *browserSession) addOut(f *forwarder) { b.out.add(f) }

// close ends the page's session; graceful as for peerLink.close.
func (b *browserSession) close(graceful bool) {
	b.lp.cancel()
	b.out.close()
	closePC(b.pc, graceful)
}

// closePC closes pc; graceful waits for the goroutines pion started for it.
func closePC(pc *webrtc.PeerConnection, graceful bool) {
	if graceful {
		_ = pc.GracefulClose()
	} else {
		_ = pc.Close()
	}
}
