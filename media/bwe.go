package media

import (
	"sync"
	"time"

	"github.com/pion/rtcp"
)

// bwe is a simulcast sink's bandwidth estimate, Google Congestion Control's two halves
// (draft-ietf-rmcat-gcc-02) adapted to a forwarder, which cannot send at any rate it likes,
// only one layer or another:
//   - loss-based (§6), from the RTCP reception reports every receiver sends (browsers,
//     nodes, pion clients): more than 10 % lost cuts the estimate to the rate sent times
//     (1 - loss/2); less than 2 % raises it by 8 % a report once a hold after the last cut
//     is over and no queue is building (below);
//   - delay-based (§5), from the receiver's transport-wide congestion control feedback
//     (twcc.go): a queue building on the path cuts the estimate to 0.85 times the rate
//     sent times the share of it that got through, usually before the queue overflows
//     into loss. It only cuts: the estimate grows by the loss-based rule alone.
//
// A cut soon after another doubles the hold (up to 8×), so a receiver that keeps failing at
// the higher layer stops asking its publisher for that layer's keyframes every few seconds.
// Not REMB: one figure for a whole PeerConnection, and only from browsers.
type bwe struct {
	mu      sync.Mutex
	est     float64 // bps; 0: no limit known
	hold    time.Time
	lastCut time.Time
	backoff time.Duration // the hold after the last cut
}

const (
	bweHold     = 3 * time.Second
	bweMaxHold  = 8 * bweHold
	bweRecent   = 20 * time.Second // a cut within this of the last doubles the hold
	bweGrow     = 1.08
	bweHighLoss = 0.10
	bweLowLoss  = 0.02
)

// onReports takes reception reports for this sink's stream (other SSRCs are ignored).
func (s *sink) onReports(rs []rtcp.ReceptionReport) {
	if !s.f.simulcast {
		return
	}
	for _, r := range rs {
		if s.track.hasSSRC(r.SSRC) {
			s.onLoss(float64(r.FractionLost)/256, time.Now())
		}
	}
}

// onLoss updates the estimate with the fraction lost since the last report.
func (s *sink) onLoss(loss float64, now time.Time) {
	rate, top := s.rates()
	e := &s.est
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case loss > bweHighLoss && rate > 0:
		e.cut(rate, 1-loss/2, now)
	case loss < bweLowLoss && e.est > 0 && now.After(e.hold) && !s.track.cc.congested():
		e.est *= bweGrow
		if e.est > 1.5*top { // above every layer: no limit any more
			e.est = 0
		}
	}
	s.bw.Store(uint64(e.est))
}

// onDelay cuts the estimate to k times the rate sent: a queue is building (twcc.go).
func (s *sink) onDelay(k float64, now time.Time) {
	rate, _ := s.rates()
	if rate == 0 {
		return
	}
	e := &s.est
	e.mu.Lock()
	defer e.mu.Unlock()
	e.cut(rate, k, now)
	s.bw.Store(uint64(e.est))
}

// rates are the bitrates of the layer sent (0: none) and of the highest layer.
func (s *sink) rates() (rate, top float64) {
	if l := s.rw.layer.Load(); l > 0 {
		if ly := s.f.layers[l-1].Load(); ly != nil {
			rate = float64(ly.bitrate.Load())
		}
	}
	for i := range numLayers {
		if ly := s.f.layers[i].Load(); ly != nil {
			top = max(top, float64(ly.bitrate.Load()))
		}
	}
	return rate, top
}

// cut sets the estimate to k times the rate sent (or the estimate, if lower) and starts a
// hold. Under e.mu.
func (e *bwe) cut(rate, k float64, now time.Time) {
	base := rate
	if e.est > 0 && e.est < base {
		base = e.est
	}
	e.est = base * k
	if e.backoff == 0 || now.Sub(e.lastCut) > bweRecent {
		e.backoff = bweHold
	} else if now.Sub(e.lastCut) > e.backoff { // a new cut, not the same congestion
		e.backoff = min(2*e.backoff, bweMaxHold)
	}
	e.lastCut, e.hold = now, now.Add(e.backoff)
}
