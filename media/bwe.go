package media

import (
	"sync"
	"time"

	"github.com/pion/rtcp"
)

// bwe is a simulcast sink's bandwidth estimate: the loss-based controller of Google
// Congestion Control (draft-ietf-rmcat-gcc-02 §6) fed by the receiver's RTCP reception
// reports, which every receiver sends (browsers, nodes, pion clients): more than 10 %
// lost cuts the estimate to the rate sent times (1 - loss/2), less than 2 % raises it by
// 8 % a report once a hold after the last cut is over. No TWCC: the node stamps no
// transport sequence numbers (that would cost every forwarded packet an extension), and
// REMB is an aggregate over a whole PeerConnection.
type bwe struct {
	mu   sync.Mutex
	est  float64 // bps; 0: no limit known
	hold time.Time
}

const (
	bweHold     = 3 * time.Second
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
	var rate, top float64
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
	e := &s.est
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case loss > bweHighLoss && rate > 0:
		base := rate
		if e.est > 0 && e.est < base {
			base = e.est
		}
		e.est = base * (1 - loss/2)
		e.hold = now.Add(bweHold)
	case loss < bweLowLoss && e.est > 0 && now.After(e.hold):
		e.est *= bweGrow
		if e.est > 1.5*top { // above every layer: no limit any more
			e.est = 0
		}
	}
	s.bw.Store(uint64(e.est))
}
