package media

import (
	"strings"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
)

// Simulcast: a browser sends its camera as up to three encodings, RIDs "q" (1/4 size),
// "h" (1/2) and "f" (full). The node receives them as one forwarder with a layer per RID
// and sends every receiver one of them under one outgoing track (sink.pushLayer), the
// highest that fits both the receiver's bandwidth (bwe.go) and the size its page shows
// the tile at (view.go). Screen share and audio stay single-layer.
const numLayers = 3

var layerRID = [numLayers]string{"q", "h", "f"}

// nominalHeight is a layer's height when its keyframes do not say (not VP8).
var nominalHeight = [numLayers]int32{180, 360, 720}

// On node↔node links, after the slots' transceivers, two more carry a simulcast camera's
// lower layers to the relay: linkLayerTr+i carries layer i (q, h); the camera slot
// carries f, or the one layer sent to any other node.
const (
	linkLayerTr = int(numSlots)
	numLinkTr   = linkLayerTr + numLayers - 1
)

// layerTr is the link transceiver of layer li.
func layerTr(li int) int {
	if li == numLayers-1 {
		return int(slotCamera)
	}
	return linkLayerTr + li
}

// trLayer is the layer link transceiver i carries (the camera slot or a lower layer's).
func trLayer(i int) int {
	if i >= linkLayerTr {
		return i - linkLayerTr
	}
	return numLayers - 1
}

// layerOf is the layer of a RID, -1 for none.
func layerOf(rid string) int {
	for i, r := range layerRID {
		if r == rid {
			return i
		}
	}
	return -1
}

// layerActive: a layer whose last packet is older than this is off (the publisher
// paused it, say for lack of uplink) and is not chosen.
const layerActive = time.Second

// layer is one received encoding of a forwarder.
type layer struct {
	ssrc uint32

	keys     atomic.Uint64 // keyframes seen
	lastSeen atomic.Int64  // unix nanoseconds of the last packet (simulcast only)
	height   atomic.Int32  // from the last keyframe (VP8); 0: unknown
	bitrate  atomic.Uint64 // bits per second over the last window

	// PLI rate limit, under forwarder.mu
	lastPLI  time.Time
	keysPLI  uint64
	pliTimer *time.Timer

	// read side, under the forwarder's dispatch serialisation
	packets  uint64
	winStart time.Time
	winBytes uint64
	gop      []*rtp.Packet // since the last keyframe, while a replay (gop.go)
}

func (l *layer) active(now int64) bool {
	return now-l.lastSeen.Load() < int64(layerActive)
}

func (l *layer) h(i int) int32 {
	if h := l.height.Load(); h > 0 {
		return h
	}
	return nominalHeight[i]
}

// pick is the layer a receiver gets: the highest active one not above want, else the
// lowest active one; -1 while none is.
func (f *forwarder) pick(want int, now int64) int {
	low := -1
	for i := numLayers - 1; i >= 0; i-- {
		l := f.layers[i].Load()
		if l == nil || !l.active(now) {
			continue
		}
		if i <= want {
			return i
		}
		low = i
	}
	return low
}

// sizeLayer is the smallest layer at least h pixels high (the tile's height on the page);
// the highest when none is, or when h is unknown (< 0).
func (f *forwarder) sizeLayer(h int32) int {
	if h < 0 {
		return numLayers - 1
	}
	top := 0
	for i := range numLayers {
		l := f.layers[i].Load()
		if l == nil {
			continue
		}
		top = i
		if l.h(i) >= h {
			return i
		}
	}
	return top
}

// bwLayer is the highest layer whose bitrate fits bps (0: no limit known); the lowest at worst.
func (f *forwarder) bwLayer(bps uint64) int {
	if bps == 0 {
		return numLayers - 1
	}
	best := 0
	for i := range numLayers {
		if l := f.layers[i].Load(); l != nil && l.bitrate.Load() <= bps {
			best = i
		}
	}
	return best
}

// rewriter makes the layers a sink sends one stream: continuous sequence numbers,
// timestamps, and VP8 picture IDs and TL0PICIDX. Producer side only.
type rewriter struct {
	started  bool
	seqOff   uint16
	tsOff    uint32
	pidOff   uint16
	tl0Off   uint8
	lastSeq  uint16
	lastTS   uint32
	lastPID  uint16
	lastTL0  uint8
	pidBits  uint8 // 7 or 15; 0: no picture ID seen
	lastAt   time.Time
	fromSeq  uint16       // the new layer's first packet, after a switch
	fresh    bool         // a switch was made and fromSeq guards it
	switches atomic.Int64 // switches made
	layer    atomic.Int32 // 1 + the layer sent now (0: none)
}

// start maps p, the first packet (a keyframe) of a new layer, right after what went out.
func (r *rewriter) start(p *rtp.Packet, vp8 bool, now time.Time) {
	if !r.started {
		r.started = true
		r.lastSeq, r.lastTS, r.lastAt = p.SequenceNumber-1, p.Timestamp, now
		return // the first layer goes out as it is
	}
	r.seqOff = r.lastSeq + 1 - p.SequenceNumber
	r.fromSeq, r.fresh = p.SequenceNumber, true
	// The new layer's clock has its own origin: continue from the last timestamp sent,
	// advanced by the time since (at least one tick).
	adv := uint32(max(now.Sub(r.lastAt).Milliseconds()*90, 1))
	r.tsOff = r.lastTS + adv - p.Timestamp
	if vp8 {
		if d, ok := parseVP8Desc(p.Payload); ok {
			if d.pidBits > 0 && r.pidBits > 0 {
				r.pidOff = r.lastPID + 1 - d.pid
			}
			if d.tl0 >= 0 {
				r.tl0Off = r.lastTL0 + 1 - uint8(d.tl0)
			}
		}
	}
}

// stale says whether p, of the layer switched to, is older than the keyframe the switch
// started at (reordered on the way): mapped, it would reuse a sequence number already sent
// with the old layer's payload.
func (r *rewriter) stale(p *rtp.Packet) bool {
	if !r.fresh {
		return false
	}
	d := int16(p.SequenceNumber - r.fromSeq)
	if d > 1000 { // far past the switch: the guard is done before the numbers wrap
		r.fresh = false
	}
	return d < 0
}

// apply returns p as it goes out: p itself when nothing changes, else a copy with the
// header (and, for VP8 picture IDs, the payload) rewritten. p is never modified.
func (r *rewriter) apply(p *rtp.Packet, vp8 bool, now time.Time) *rtp.Packet {
	seq, ts := p.SequenceNumber+r.seqOff, p.Timestamp+r.tsOff
	if int16(seq-r.lastSeq) > 0 {
		r.lastSeq = seq
	}
	if int32(ts-r.lastTS) > 0 {
		r.lastTS, r.lastAt = ts, now
	}
	payload, copied := p.Payload, false
	if vp8 {
		if d, ok := parseVP8Desc(payload); ok {
			pid, tl0 := (d.pid+r.pidOff)&d.pidMask(), uint8(d.tl0)+r.tl0Off
			r.pidBits = d.pidBits
			if d.pidBits > 0 {
				r.lastPID = pid
			}
			if d.tl0 >= 0 {
				r.lastTL0 = tl0
			}
			if (d.pidBits > 0 && r.pidOff != 0) || (d.tl0 >= 0 && r.tl0Off != 0) {
				payload, copied = d.rewrite(payload, pid, tl0), true
			}
		}
	}
	if r.seqOff == 0 && r.tsOff == 0 && !copied {
		return p
	}
	q := &rtp.Packet{Header: p.Header, Payload: payload}
	q.SequenceNumber, q.Timestamp = seq, ts
	return q
}

// vp8Desc locates the fields of a VP8 payload descriptor (RFC 7741 §4.2) that a layer
// switch rewrites.
type vp8Desc struct {
	pidAt   int // offset of the picture ID
	pidBits uint8
	pid     uint16
	tl0At   int
	tl0     int // -1: none
}

func (d vp8Desc) pidMask() uint16 {
	if d.pidBits == 7 {
		return 0x7f
	}
	return 0x7fff
}

func parseVP8Desc(b []byte) (vp8Desc, bool) {
	d := vp8Desc{tl0: -1}
	if len(b) < 1 {
		return d, false
	}
	if b[0]&0x80 == 0 {
		return d, true
	}
	if len(b) < 2 {
		return d, false
	}
	ext, i := b[1], 2
	if ext&0x80 != 0 {
		if len(b) <= i {
			return d, false
		}
		d.pidAt = i
		if b[i]&0x80 != 0 {
			if len(b) <= i+1 {
				return d, false
			}
			d.pidBits, d.pid = 15, uint16(b[i]&0x7f)<<8|uint16(b[i+1])
			i += 2
		} else {
			d.pidBits, d.pid = 7, uint16(b[i])
			i++
		}
	}
	if ext&0x40 != 0 {
		if len(b) <= i {
			return d, false
		}
		d.tl0At, d.tl0 = i, int(b[i])
	}
	return d, true
}

// rewrite returns a copy of b with the picture ID and TL0PICIDX set.
func (d vp8Desc) rewrite(b []byte, pid uint16, tl0 uint8) []byte {
	c := make([]byte, len(b))
	copy(c, b)
	switch d.pidBits {
	case 15:
		c[d.pidAt], c[d.pidAt+1] = 0x80|byte(pid>>8), byte(pid)
	case 7:
		c[d.pidAt] = byte(pid & 0x7f)
	}
	if d.tl0 >= 0 {
		c[d.tl0At] = tl0
	}
	return c
}

// meter counts a packet of size bytes into the layer's bitrate (dispatch only).
func (l *layer) meter(size uint64, now int64) {
	l.winBytes += size
	l.packets++
	t := time.Unix(0, now)
	if l.winStart.IsZero() {
		l.winStart = t
		return
	}
	if el := t.Sub(l.winStart); el >= 500*time.Millisecond {
		l.bitrate.Store(uint64(float64(l.winBytes*8) / el.Seconds()))
		l.winStart, l.winBytes = t, 0
	}
}

// pushLayer is push for a simulcast forwarder: of the packets of every layer, the sink
// takes those of its current layer, and moves to the layer that fits (pick) at that
// layer's next keyframe, which it asks for.
func (s *sink) pushLayer(p *rtp.Packet, keyframe bool, li int, now int64) {
	f := s.f
	target, congested := s.fixed, false
	if target < 0 {
		bw := f.bwLayer(s.bw.Load())
		target = f.pick(min(f.sizeLayer(s.viewH.Load()), bw), now)
		// Down for lack of bandwidth: the old layer stops at once, so the new
		// layer's keyframe does not queue (or drop) behind it on the narrow path.
		congested = s.cur > bw && target < s.cur
	}
	if (li != target || !keyframe) && s.replayable() && s.replay(target, now) {
		return // p was in it (its layer's), or is not for this receiver
	}
	switch {
	case li == s.cur && congested:
		s.dropped.Add(1)
		return
	case li != s.cur:
		if li != target {
			return // another layer: not for this receiver
		}
		if !keyframe || !s.ready() {
			if s.track.bound() {
				f.requestLayerKeyframe(li) // rate-limited: one PLI per switch, more if lost
			}
			return
		}
		s.rw.start(p, f.vp8, time.Unix(0, now))
		if s.cur >= 0 {
			s.rw.switches.Add(1)
		}
		s.cur, s.waitKey, s.starting = li, false, false
		s.rw.layer.Store(int32(li) + 1)
	case s.waitKey:
		if !keyframe {
			s.dropped.Add(1)
			f.requestLayerKeyframe(li)
			return
		}
		s.waitKey, s.starting = false, false
	}
	if s.rw.stale(p) {
		s.dropped.Add(1)
		return
	}
	if !s.enqueue(s.rw.apply(p, f.vp8, time.Unix(0, now))) {
		s.dropped.Add(1)
		s.waitKey = true
		f.requestLayerKeyframe(li)
	}
}

// layerRIDSent is the RID of the layer the sink sends now, "" for none or a single-layer track.
func (s *sink) layerRIDSent() string {
	if l := s.rw.layer.Load(); l > 0 {
		return layerRID[l-1]
	}
	return ""
}

// keyframeRequest passes a receiver's keyframe request upstream: for the layer it gets.
func (s *sink) keyframeRequest() {
	if l := s.rw.layer.Load(); s.f.simulcast && l > 0 {
		s.f.requestLayerKeyframe(int(l - 1))
		return
	}
	s.f.requestKeyframe()
}

// offerSimulcast adds to the m-section of mid (the browser's camera slot) that the node
// receives it as simulcast, RIDs q, h and f: the node offers, so the browser's answer
// takes these as its camera's encodings. pion offers no receive simulcast itself, but
// repeats it in later offers once negotiated: a section that has it is left alone.
func offerSimulcast(sdp, mid string) string {
	if mid == "" {
		return sdp
	}
	sections := strings.SplitAfter(sdp, "\r\nm=")
	for i, sec := range sections {
		if !strings.Contains(sec, "\r\na=mid:"+mid+"\r\n") || strings.Contains(sec, "a=simulcast:") {
			continue
		}
		add := ""
		for _, r := range layerRID {
			add += "a=rid:" + r + " recv\r\n"
		}
		add += "a=simulcast:recv " + strings.Join(layerRID[:], ";") + "\r\n"
		if i < len(sections)-1 { // the section ends with "\r\nm=" of the next one
			sections[i] = strings.TrimSuffix(sec, "m=") + add + "m="
		} else {
			sections[i] = sec + add
		}
	}
	return strings.Join(sections, "")
}
