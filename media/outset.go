package media

import (
	"sync"
	"sync/atomic"

	"github.com/pion/webrtc/v4"
)

// outSet is the set of tracks of other origins a session sends on sendonly transceivers
// of their own, each announced in the session's offers ("tracks": mid → origin): every
// remote participant's track to the browser, and on a relay's links every other node's
// tracks. Only the offering side of a session adds them; each change renegotiates.
type outSet struct {
	e      *Engine
	pc     *webrtc.PeerConnection
	lp     *loop
	neg    *negotiator
	logErr func(error)

	// mids, when set, names each new transceiver (a link both sides offer on: the
	// asking side's mids must never meet the numbers pion gives the other side's)
	mids func() string

	mu   sync.Mutex
	out  map[*sink]*webrtc.RTPTransceiver
	meta map[*webrtc.RTPTransceiver]TrackInfo
	has  map[*forwarder]bool // sent or being added: a track goes out once
	// heights: the tile heights of the receiver's last view (view.go); nil before one
	heights map[string]int32
	pins    map[string]bool // the cameras it pins (view.go)
	// queued: the PeerConnection sends through a TURN relay (TCP or TLS may block a
	// write), so its sinks never write from the forwarder's read loop (sink.enqueue).
	queued *atomic.Bool
	// cc: the PeerConnection's delay-based estimate, for every simulcast sink on it
	cc *transportCC
	to string // the receiver loudest-N gates for (sink.to)
}

// live reports whether the PeerConnection is connected (sink.live).
func (o *outSet) live() bool {
	return o.pc.ConnectionState() == webrtc.PeerConnectionStateConnected
}

func newOutSet(e *Engine, pc *webrtc.PeerConnection, lp *loop, logErr func(error)) *outSet {
	queued := &atomic.Bool{}
	pc.SCTP().Transport().ICETransport().OnSelectedCandidatePairChange(func(p *webrtc.ICECandidatePair) {
		queued.Store(p != nil && p.Local != nil && p.Local.Typ == webrtc.ICECandidateTypeRelay)
	})
	return &outSet{e: e, pc: pc, lp: lp, logErr: logErr, queued: queued, cc: newTransportCC(),
		out: map[*sink]*webrtc.RTPTransceiver{}, meta: map[*webrtc.RTPTransceiver]TrackInfo{}, has: map[*forwarder]bool{}}
}

// tracks is the "tracks" field of the next offer.
func (o *outSet) tracks() map[string]TrackInfo {
	o.mu.Lock()
	defer o.mu.Unlock()
	t := make(map[string]TrackInfo, len(o.meta))
	for tr, info := range o.meta {
		t[tr.Mid()] = info
	}
	return t
}

// add sends f's track on a new transceiver and offers it, unless it is sent already (a
// new link and a new track can both bring it).
func (o *outSet) add(f *forwarder) {
	o.mu.Lock()
	dup := o.has[f]
	o.has[f] = true
	o.mu.Unlock()
	if dup {
		return
	}
	sk, err := newSink(f, f.origin)
	if err != nil {
		return
	}
	sk.batch, sk.queued, sk.to, sk.live = o.e.batch, o.queued, o.to, o.live
	if f.simulcast {
		o.cc.add(sk)
	}
	o.mu.Lock()
	applyView(o.heights, o.pins, sk)
	o.mu.Unlock()
	o.lp.do(func() {
		tr, err := o.pc.AddTransceiverFromTrack(sk.track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
		if err == nil && o.mids != nil {
			err = tr.SetMid(o.mids())
		}
		if err != nil {
			o.logErr(err)
			o.mu.Lock()
			delete(o.has, f)
			o.mu.Unlock()
			return
		}
		o.mu.Lock()
		o.out[sk] = tr
		o.meta[tr] = TrackInfo{PeerID: f.origin, Kind: f.slot.kind().String(), Source: slotSource[f.slot]}
		o.mu.Unlock()
		sk.onClose = func() { o.e.spawn(func() { o.lp.do(func() { o.remove(sk) }) }) }
		o.e.spawn(sk.writeLoop)
		sender := tr.Sender()
		o.e.spawn(func() { readRTCPLoop(sender, o.cc, func() *sink { return sk }) })
		if !f.addSink(sk) {
			sk.close()
			return
		}
		o.logErr(o.neg.offer(false, false))
	})
}

// remove stops sending sk's track and offers without it.
func (o *outSet) remove(sk *sink) {
	o.mu.Lock()
	tr := o.out[sk]
	delete(o.out, sk)
	delete(o.meta, tr)
	delete(o.has, sk.f)
	o.mu.Unlock()
	if tr == nil {
		return
	}
	if err := o.pc.RemoveTrack(tr.Sender()); err != nil {
		o.logErr(err)
		return
	}
	o.logErr(o.neg.offer(false, false))
}

// sinks lists what is being sent.
func (o *outSet) sinks() []*sink {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]*sink, 0, len(o.out))
	for sk := range o.out {
		out = append(out, sk)
	}
	return out
}

// close detaches every sink from its forwarder; the PeerConnection is closed by its owner.
func (o *outSet) close() {
	o.mu.Lock()
	sinks := make([]*sink, 0, len(o.out))
	for sk := range o.out {
		sinks = append(sinks, sk)
	}
	o.out = map[*sink]*webrtc.RTPTransceiver{}
	o.meta = map[*webrtc.RTPTransceiver]TrackInfo{}
	o.has = map[*forwarder]bool{}
	o.mu.Unlock()
	for _, sk := range sinks {
		sk.f.removeSink(sk)
	}
}
