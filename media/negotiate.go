package media

import (
	"context"
	"time"

	"github.com/pion/webrtc/v4"
)

// loop runs the signalling operations of one PeerConnection one at a time; it owns the
// negotiator and everything marked "loop only".
type loop struct {
	ctx    context.Context
	cancel context.CancelFunc
	ops    chan func()
}

func newLoop(parent context.Context) *loop {
	ctx, cancel := context.WithCancel(parent)
	return &loop{ctx: ctx, cancel: cancel, ops: make(chan func(), 64)}
}

// do queues op; it gives up when the loop has ended.
func (l *loop) do(op func()) bool {
	select {
	case l.ops <- op:
		return true
	case <-l.ctx.Done():
		return false
	}
}

func (l *loop) run(tick time.Duration, onTick func()) {
	var tc <-chan time.Time
	if tick > 0 {
		t := time.NewTicker(tick)
		defer t.Stop()
		tc = t.C
	}
	for {
		select {
		case op := <-l.ops:
			op()
		case <-tc:
			onTick()
		case <-l.ctx.Done():
			return
		}
	}
}

// negotiator is the offer/answer state of one PeerConnection, owned by its loop. On most
// connections the side that offers is fixed (the node towards its browser, the relay
// towards a node of its site, the smaller peer ID in a mesh), so there is no glare;
// renegotiation requested while an offer is out is done when its answer arrives. Between
// two site relays both sides add tracks, so both offer, in turns (pion cannot roll a local
// offer back, so glare must never happen): the side that offers first and restarts ICE
// grants turns; the other asks for one ("ask"), offers once granted ("turn"), and the
// granting side holds its own offers until that one is answered.
type negotiator struct {
	pc       *webrtc.PeerConnection
	send     func(Signal) error
	decorate func(*Signal) // adds metadata to offers (browser session)
	// Turns, on a link both offer on: asks (this side asks for turns) or grants (it
	// grants them). asked: a turn asked for (at askedAt) and not yet given; granted: a
	// turn given (or, asking, received) and not yet ended by an answer, since grantedAt.
	asks, grants       bool
	asked, granted     bool
	askedAt, grantedAt time.Time

	pending      bool
	sentAt       time.Time
	again        bool
	restartAgain bool
	haveRemote   bool
	offerSDP     string // the outstanding offer exactly as sent (resend sends it again)
	remoteOffer  string // the last offer applied (answerer side)
	cands        []webrtc.ICECandidateInit
	restarts     int
}

// offer creates and sends an offer. While one is outstanding it asks for another once that
// is answered; with force (its answer was lost) it sends the outstanding offer again
// instead: pion cannot set a second local offer over the first (have-local-offer →
// have-local-offer), and a link whose offer got no answer would otherwise never offer
// again.
func (n *negotiator) offer(restart, force bool) error {
	if n.grants && n.granted && time.Since(n.grantedAt) < turnTimeout {
		n.again, n.restartAgain = true, n.restartAgain || restart // after the other side's turn
		return nil
	}
	n.granted = n.granted && !n.grants // a turn never used: ours again
	if n.asks && !n.granted && !n.pending {
		n.again = true
		if n.asked && time.Since(n.askedAt) < turnTimeout {
			return nil
		}
		err := n.send(Signal{Type: TypeAsk})
		n.asked, n.askedAt = err == nil, time.Now()
		return err
	}
	if n.pending {
		if force && n.offerSDP != "" {
			return n.sendOffer(n.offerSDP)
		}
		n.again = true
		n.restartAgain = n.restartAgain || restart
		return nil
	}
	restart = restart && n.haveRemote
	o, err := n.pc.CreateOffer(&webrtc.OfferOptions{ICERestart: restart})
	if err != nil {
		return err
	}
	if err := n.pc.SetLocalDescription(o); err != nil {
		return err
	}
	if restart {
		n.restarts++
	}
	n.pending, n.sentAt, n.offerSDP = true, time.Now(), o.SDP
	return n.sendOffer(o.SDP)
}

func (n *negotiator) sendOffer(sdp string) error {
	s := Signal{Type: TypeOffer, SDP: sdp}
	if n.decorate != nil {
		n.decorate(&s)
	}
	return n.send(s)
}

// resend answers a peer's request for an offer: the outstanding offer again (it may have
// been lost), else a new one restarting ICE, at most one per minGap.
func (n *negotiator) resend(minGap time.Duration) error {
	if !n.pending || n.offerSDP == "" {
		if !n.sentAt.IsZero() && time.Since(n.sentAt) < minGap {
			return nil
		}
		return n.offer(n.haveRemote, true)
	}
	// Byte for byte the offer sent (not LocalDescription(), which has gained the
	// candidates gathered since), so the answerer recognises it (onOffer).
	return n.sendOffer(n.offerSDP)
}

func (n *negotiator) onAnswer(sdp string) error {
	if !n.pending {
		return nil // stale answer to an offer we replaced
	}
	if err := n.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp}); err != nil {
		return err
	}
	n.pending, n.haveRemote = false, true
	n.flushCandidates()
	if n.asks {
		n.granted = false // our turn is over
	}
	if n.grants && n.asked {
		return n.onAsk() // the turn asked for while our offer was out; ours wait
	}
	if n.again {
		restart := n.restartAgain
		n.again, n.restartAgain = false, false
		return n.offer(restart, false)
	}
	return nil
}

func (n *negotiator) onOffer(sdp string) error {
	if n.pending {
		// Only on a link both offer on, after a turn timed out: the asker's offer
		// came late. It waits for its answer: give it a turn again after ours.
		n.asked = n.grants
		return nil
	}
	// The same offer again (the offerer re-sent it after our "restart" crossed its first
	// copy): answer again without applying it twice, which would make pion start a second
	// ICE agent whose credentials the offerer never sees (the link then stays "connecting"
	// until the next ICE restart).
	if ld := n.pc.LocalDescription(); ld != nil && sdp == n.remoteOffer &&
		ld.Type == webrtc.SDPTypeAnswer && n.pc.SignalingState() == webrtc.SignalingStateStable {
		return n.send(Signal{Type: TypeAnswer, SDP: ld.SDP})
	}
	if err := n.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdp}); err != nil {
		return err
	}
	n.haveRemote, n.remoteOffer = true, sdp
	n.flushCandidates()
	a, err := n.pc.CreateAnswer(nil)
	if err != nil {
		return err
	}
	if err := n.pc.SetLocalDescription(a); err != nil {
		return err
	}
	if err := n.send(Signal{Type: TypeAnswer, SDP: a.SDP}); err != nil || !n.grants {
		return err
	}
	n.granted = false // the other side's turn is over: ours that waited
	if n.again {
		restart := n.restartAgain
		n.again, n.restartAgain = false, false
		return n.offer(restart, false)
	}
	return nil
}

// turnTimeout ends a turn granted and not used (its offer lost, the other side gone).
const turnTimeout = 5 * time.Second

// unansweredRelink: an offer unanswered this long on a link between relays is a glare
// the turns could not prevent; the link is rebuilt.
const unansweredRelink = 3 * turnTimeout

// onAsk: the other side asks for a turn to offer; granted at once, or after our own offer
// is answered.
func (n *negotiator) onAsk() error {
	if n.pending {
		n.asked = true
		return nil
	}
	if n.granted && time.Since(n.grantedAt) < turnTimeout {
		return nil // asked again within the turn: the turn is not extended
	}
	if n.again { // the last turn went unused while ours waited: ours first, then theirs
		n.asked = true
		return n.flushHeld()
	}
	n.asked, n.granted, n.grantedAt = false, true, time.Now()
	return n.send(Signal{Type: TypeTurn})
}

// flushHeld sends the offer a granter held for a turn that ended unused, so that an
// asker that keeps asking and never offers cannot hold the granter's offers back.
func (n *negotiator) flushHeld() error {
	if !n.grants || !n.again || n.pending || n.granted && time.Since(n.grantedAt) < turnTimeout {
		return nil
	}
	restart := n.restartAgain
	n.again, n.restartAgain = false, false
	return n.offer(restart, false)
}

// onTurn: our turn to offer what waited (or the offer that went unanswered, again).
func (n *negotiator) onTurn() error {
	n.asked, n.granted = false, true
	if n.pending {
		return n.sendOffer(n.offerSDP)
	}
	restart := n.restartAgain
	n.again, n.restartAgain = false, false
	return n.offer(restart, false)
}

func (n *negotiator) onCandidate(c webrtc.ICECandidateInit) {
	if c.Candidate == "" {
		return // end of candidates
	}
	if !n.haveRemote {
		if len(n.cands) < 64 {
			n.cands = append(n.cands, c)
		}
		return
	}
	_ = n.pc.AddICECandidate(c)
}

func (n *negotiator) flushCandidates() {
	for _, c := range n.cands {
		_ = n.pc.AddICECandidate(c)
	}
	n.cands = nil
}

// sendCandidate forwards a local candidate (nil = gathering done, nothing to send).
func sendCandidate(l *loop, n *negotiator, c *webrtc.ICECandidate) {
	if c == nil {
		return
	}
	init := c.ToJSON()
	l.do(func() { _ = n.send(Signal{Type: TypeCandidate, Candidate: &init}) })
}
