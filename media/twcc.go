package media

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
)

// transportCC is the delay-based half of a PeerConnection's bandwidth estimate (the other
// half, loss-based, is per sink: bwe.go). The node stamps a transport-wide sequence number
// (the transport-cc header extension, draft-holmer-rmcat-transport-wide-cc-extensions-01)
// on what its simulcast sinks send on the PeerConnection, notes when each left, and reads
// the receiver's TransportLayerCC feedback (pion's twcc interceptor on a node, browsers
// natively): when each arrived. A queue on the path shows as one-way delay growing: the
// packets arrive more slowly than they left. Then every simulcast sink on the
// PeerConnection cuts its estimate to 0.85 times its share of the rate that got through
// (GCC's delay-based decrease, draft-ietf-rmcat-gcc-02 §5.5), before the queue overflows
// into the loss the reception reports would show.
//
// Not pion's gcc.SendSideBWE: it runs two goroutines per PeerConnection, records every
// packet of every stream (audio too) in a map and a list behind a mutex, and its rate only
// ever grows to 1.5 times what is sent, while a forwarder can only find out whether a
// higher layer fits by sending it. Here the estimate is used only to cut; growing stays
// with the loss-based rules. A stamp costs an atomic add, a clock read and an atomic store
// into a fixed ring; the header it goes in is allocated anyway (sinkTrack.header).
//
// The detector: packets are grouped by departure into 100 ms intervals; each interval's
// queue delay is its smallest one-way delay less the smallest seen in the last 10-20 s
// (the clocks' offset cancels; the smallest of an interval ignores a receiver that reads
// a burst late). Overuse is the queue delay's trend (least squares) over the last five
// intervals growing by 8 ms or more per 100 ms, and growing over each of the last three,
// above 15 ms in the one before the last and above 30 ms in the last: a queue that builds,
// not a keyframe's burst (it drains) nor a stalled reader or sender (in a stall, later
// packets wait less). Under CPU starvation a receiving node's socket buffer is such a
// queue, and a lower layer helps it too.
type transportCC struct {
	epoch time.Time
	seq   atomic.Uint32
	sent  atomic.Pointer[twccRing] // made by the first add: most links have no simulcast sink

	mu    sync.Mutex
	sinks map[*sink]struct{} // simulcast sinks on the PeerConnection
	ref   int64              // last feedback's reference time (µs), unwrapped
	refOK bool
	cur   twccInterval
	hist  [twccWindow]twccInterval // the last intervals, ring
	nHist int
	base  int64 // smallest one-way delay (µs) in this and the last base period
	baseP int64 // … in the last period
	baseT int64 // departure (µs) that started this period
	queue atomic.Int64
}

const (
	twccHistory  = 1024                   // packets remembered: 2 s of 3 Mbit/s
	twccStep     = 100 * time.Millisecond // an interval
	twccWindow   = 5                      // intervals the trend is taken over
	twccSlope    = 0.08                   // queue growth per interval time that is overuse: 8 % more than gets through
	twccQueue    = 30 * time.Millisecond
	twccBaseFor  = 10 * time.Second
	twccDecrease = 0.85
	twccMinCut   = 0.5 // a reader stalled mid-window makes the rate received look far lower
	twccTimeBits = 48  // 8.9 years of µs
	twccTimeMask = 1<<twccTimeBits - 1
)

// twccRing holds, by transport sequence number, seq<<48 | departure (µs since epoch).
type twccRing [twccHistory]atomic.Uint64

// twccInterval sums the acknowledged packets that left within one interval.
type twccInterval struct {
	start        int64 // departure of the first (µs)
	depLo, depHi int64
	arrLo, arrHi int64
	minOWD       int64
	n            int
}

func newTransportCC() *transportCC {
	return &transportCC{epoch: time.Now(), sinks: map[*sink]struct{}{}}
}

// add registers a simulcast sink: its track stamps, and it hears of overuse.
func (c *transportCC) add(sk *sink) {
	sk.track.cc = c
	c.mu.Lock()
	if c.sent.Load() == nil {
		c.sent.Store(new(twccRing))
	}
	for s := range c.sinks {
		if sinkClosed(s) {
			delete(c.sinks, s)
		}
	}
	c.sinks[sk] = struct{}{}
	c.mu.Unlock()
}

// stamp puts the next transport-wide sequence number in x's extension id, and notes the
// packet as sent now.
func (c *transportCC) stamp(x *sendHeader, id uint8) {
	n := uint16(c.seq.Add(1) - 1)
	x.set(id, []byte{byte(n >> 8), byte(n)})
	c.note(n, time.Since(c.epoch).Microseconds())
}

// note records that packet n left at us.
func (c *transportCC) note(n uint16, us int64) {
	c.sent.Load()[n%twccHistory].Store(uint64(n)<<48 | uint64(us)&twccTimeMask)
}

// departed is when packet n left (µs since epoch).
func (c *transportCC) departed(n uint16) (int64, bool) {
	r := c.sent.Load()
	if r == nil {
		return 0, false
	}
	v := r[n%twccHistory].Load()
	if v == 0 || uint16(v>>48) != n {
		return 0, false
	}
	return int64(v & twccTimeMask), true
}

func sinkClosed(s *sink) bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// congested reports whether the queue delay is above the overuse threshold: the loss-based
// estimate does not grow meanwhile.
func (c *transportCC) congested() bool {
	return c != nil && c.queue.Load() > twccQueue.Microseconds()
}

// onFeedback takes a receiver's TransportLayerCC feedback (c may be nil: none kept).
func (c *transportCC) onFeedback(fb *rtcp.TransportLayerCC) {
	if c == nil {
		return
	}
	over, k := c.detect(fb)
	if !over {
		return
	}
	c.mu.Lock()
	var sinks []*sink
	for s := range c.sinks {
		if !sinkClosed(s) {
			sinks = append(sinks, s)
		}
	}
	c.mu.Unlock()
	for _, s := range sinks {
		s.onDelay(k, time.Now())
	}
}

// detect adds fb's packets to the intervals and reports overuse and the factor to cut by.
func (c *transportCC) detect(fb *rtcp.TransportLayerCC) (bool, float64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ref := int64(fb.ReferenceTime&0xffffff) * 64000
	if c.refOK { // 24 bits of 64 ms wrap every 12 days: take the nearest
		const span = 1 << 24 * 64000
		ref = c.ref + ((ref-c.ref)%span+span+span/2)%span - span/2
	}
	c.ref, c.refOK = ref, true
	arr, seq, left, d := ref, fb.BaseSequenceNumber, int(fb.PacketStatusCount), 0
	visit := func(sym uint16) {
		if left == 0 {
			return
		}
		left--
		n := seq
		seq++
		if sym != rtcp.TypeTCCPacketReceivedSmallDelta && sym != rtcp.TypeTCCPacketReceivedLargeDelta {
			return
		}
		if d >= len(fb.RecvDeltas) {
			left = 0 // malformed: stop
			return
		}
		arr += fb.RecvDeltas[d].Delta
		d++
		if dep, ok := c.departed(n); ok {
			c.onArrival(dep, arr)
		}
	}
	for _, ch := range fb.PacketChunks {
		switch ch := ch.(type) {
		case *rtcp.RunLengthChunk:
			for range min(int(ch.RunLength), left) {
				visit(ch.PacketStatusSymbol)
			}
		case *rtcp.StatusVectorChunk:
			for _, sym := range ch.SymbolList {
				visit(sym)
			}
		}
	}
	return c.overuse()
}

// onArrival adds one acknowledged packet (µs: departure on our clock, arrival on the
// receiver's). Under c.mu.
func (c *transportCC) onArrival(dep, arr int64) {
	owd := arr - dep
	switch {
	case c.baseT == 0:
		c.base, c.baseP, c.baseT = owd, owd, max(dep, 1)
	case dep-c.baseT > twccBaseFor.Microseconds(): // a new period: the path may have changed
		c.baseP, c.base, c.baseT = c.base, owd, dep
	}
	c.base = min(c.base, owd)
	iv := &c.cur
	if iv.n > 0 && dep-iv.start >= twccStep.Microseconds() {
		c.hist[c.nHist%twccWindow] = *iv
		c.nHist++
		c.queue.Store(iv.minOWD - min(c.base, c.baseP))
		*iv = twccInterval{}
	}
	if iv.n == 0 {
		*iv = twccInterval{start: dep, depLo: dep, depHi: dep, arrLo: arr, arrHi: arr, minOWD: owd}
	}
	iv.depLo, iv.depHi = min(iv.depLo, dep), max(iv.depHi, dep)
	iv.arrLo, iv.arrHi = min(iv.arrLo, arr), max(iv.arrHi, arr)
	iv.minOWD = min(iv.minOWD, owd)
	iv.n++
}

// overuse reports whether the last intervals show a growing queue, and if so the factor
// to cut the rates sent by: 0.85 times the share of what was sent in the last two that got
// through. It forgets those intervals, so the next cut needs a queue growing anew. Under
// c.mu.
func (c *transportCC) overuse() (bool, float64) {
	if c.nHist < twccWindow {
		return false, 0
	}
	base := min(c.base, c.baseP)
	var ivs [twccWindow]twccInterval
	var q [twccWindow]float64 // queue delay, µs
	var mean float64
	for i := range twccWindow {
		ivs[i] = c.hist[(c.nHist+i)%twccWindow]
		q[i] = float64(ivs[i].minOWD - base)
		mean += q[i] / twccWindow
	}
	// The trend: the least-squares slope of the queue delay over the intervals, which one
	// noisy interval moves little.
	var cov, vari float64
	for i := range twccWindow {
		x := float64(i) - (twccWindow-1)/2.0
		cov += x * (q[i] - mean)
		vari += x * x
	}
	thr := float64(twccQueue.Microseconds())
	// And growing over each of the last three, with more than one packet in each of the
	// last two: in a stall (a reader's, or a sender's between stamp and socket) later
	// packets wait less, and one packet says little.
	w := twccWindow - 1
	if cov/vari < twccSlope*float64(twccStep.Microseconds()) || q[w] <= thr || q[w-1] <= thr/2 ||
		q[w] <= q[w-1] || q[w-1] <= q[w-2] || ivs[w].n < 2 || ivs[w-1].n < 2 {
		return false, 0
	}
	c.nHist = 0
	a, b := ivs[twccWindow-2], ivs[twccWindow-1]
	sendSpan, recvSpan := b.depHi-a.depLo, b.arrHi-a.arrLo
	k := twccDecrease
	if sendSpan > 0 && recvSpan > sendSpan {
		k *= float64(sendSpan) / float64(recvSpan) // received rate / sent rate: the same packets
	}
	return true, max(k, twccMinCut)
}
