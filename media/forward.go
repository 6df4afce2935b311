package media

import (
	"errors"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// slot is a fixed media source of a participant. Node-to-node links and the browser's
// publishing transceivers use one transceiver per slot, in this order.
type slot int

const (
	slotMic slot = iota
	slotCamera
	slotScreen
	numSlots
)

var slotSource = [numSlots]string{"mic", "camera", "screen"}

func (s slot) kind() webrtc.RTPCodecType {
	if s == slotMic {
		return webrtc.RTPCodecTypeAudio
	}
	return webrtc.RTPCodecTypeVideo
}

// trackID is the track id the node gives a forwarded track, e.g. "video-camera"; its
// stream id is the peer ID of the participant it comes from.
// slotOf is the slot of a source name, -1 for none.
func slotOf(source string) slot {
	return slot(slices.Index(slotSource[:], source))
}

func (s slot) trackID() string { return s.kind().String() + "-" + slotSource[s] }

// forwarder reads one incoming track and fans its packets out to sinks. The read loop is
// the only producer; it writes a sink's packet itself while that sink has nothing queued,
// else the sink's bounded queue and writer take it (sink.enqueue), so a receiver whose
// writes lag does not hold up the others. A simulcast camera has one read loop per layer
// (RID), each feeding the same forwarder; dmu serialises them.
type forwarder struct {
	origin    string // peer ID the media comes from
	slot      slot
	codec     webrtc.RTPCodecCapability
	video     bool
	vp8       bool
	simulcast bool
	isKey     func(payload []byte) bool // video only

	writeRTCP   func([]rtcp.Packet) error // upstream, for keyframe requests
	pliInterval time.Duration
	videoQueue  int
	audioQueue  int

	layers   [numLayers]atomic.Pointer[layer] // a single-layer track has layers[0] only
	recLayer atomic.Int32                     // the layer recorders get: the highest seen
	dmu      sync.Mutex                       // one dispatch at a time (simulcast: the layers' read loops)

	sinks atomic.Pointer[[]*sink]     // copy on write, under mu
	recs  atomic.Pointer[[]*recorder] // copy on write, under mu

	mu     sync.Mutex
	closed bool
	open   int // simulcast: layers still being read

	keys atomic.Uint64 // keyframes seen, every layer (a counter, not a clock: no time.Now per packet)

	// gated: last-N leaves this video out for now; receivers get nothing until it
	// is let through again, then start at the next keyframe (recorders get all),
	// except the sinks whose receiver pins it (sink.pinned; pins counts them, so a
	// gated camera nobody pins skips its sinks at once).
	gated    atomic.Bool
	wasGated bool // read loop only: the sinks were skipped since (each is off)
	pins     atomic.Int32

	meter *speakingMeter // the local browser's microphone: its levels (levelExt); set before readLoop

	// audio: levelExt is the ID of the audio level extension on the incoming track (0:
	// none; set before the read loop); levels sums them between two rankings (loudest.go),
	// which set audio, who receives this microphone (nil: everyone).
	levelExt uint8
	levels   atomic.Uint64
	audio    atomic.Pointer[audioGate]

	packets, bytes, plis atomic.Uint64
	bitrate              atomic.Uint64
	winStart             time.Time // read loop only
	winBytes             uint64
}

func newForwarder(origin string, s slot, codec webrtc.RTPCodecCapability, ssrc uint32, cfg *Config,
	writeRTCP func([]rtcp.Packet) error,
) *forwarder {
	isKey := keyframeFunc(codec.MimeType)
	video := strings.HasPrefix(strings.ToLower(codec.MimeType), "video/")
	if video && isKey == nil { // not registered by newAPI; never wait for a keyframe
		isKey = func([]byte) bool { return true }
	}
	f := &forwarder{
		origin: origin, slot: s, codec: codec,
		video: video, isKey: isKey, vp8: strings.EqualFold(codec.MimeType, webrtc.MimeTypeVP8),
		writeRTCP:   writeRTCP,
		pliInterval: cfg.PLIInterval,
		videoQueue:  cfg.VideoQueue,
		audioQueue:  cfg.AudioQueue,
	}
	f.layers[0].Store(&layer{ssrc: ssrc})
	return f
}

// newSimulcastForwarder is a forwarder whose layers come with addLayer.
func newSimulcastForwarder(origin string, s slot, codec webrtc.RTPCodecCapability, cfg *Config,
	writeRTCP func([]rtcp.Packet) error,
) *forwarder {
	f := newForwarder(origin, s, codec, 0, cfg, writeRTCP)
	f.layers[0].Store(nil)
	f.simulcast = true
	return f
}

// addLayer adds layer i (its SSRC), to be read with readLayer. It reports false for a
// layer it has already, or once the forwarder has ended.
func (f *forwarder) addLayer(i int, ssrc uint32) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed || f.layers[i].Load() != nil {
		return false
	}
	l := &layer{ssrc: ssrc}
	l.lastSeen.Store(time.Now().UnixNano())
	f.layers[i].Store(l)
	f.open++
	if int32(i) > f.recLayer.Load() {
		f.recLayer.Store(int32(i))
	}
	return true
}

// readLayer forwards layer i from track until it ends; the forwarder closes after its
// last layer.
func (f *forwarder) readLayer(i int, track *webrtc.TrackRemote) {
	f.read(i, track)
	f.mu.Lock()
	f.open--
	last := f.open == 0
	f.mu.Unlock()
	if last {
		f.close()
	}
}

// readLoop forwards packets from track until it ends, then closes every sink.
func (f *forwarder) readLoop(track *webrtc.TrackRemote) {
	defer f.close()
	if f.meter != nil {
		defer f.meter.stop()
	}
	f.read(0, track)
}

// read forwards packets of layer li from track until it ends.
func (f *forwarder) read(li int, track *webrtc.TrackRemote) {
	buf := make([]byte, 1500)
	var h rtp.Header // scratch, reused
	for {
		n, _, err := track.Read(buf)
		if err != nil {
			return
		}
		p := forwardPacket(buf[:n], &h)
		if p == nil {
			continue
		}
		if f.levelExt != 0 {
			ext := h.GetExtension(f.levelExt)
			if f.meter != nil {
				f.meter.level(ext)
			}
			if len(ext) > 0 {
				f.levels.Add(packLevel(ext[0]))
				withLevel(p, ext[0]) // on to the next hop (loudest.go)
			}
		}
		f.dispatch(p, f.video && f.isKey(p.Payload), li)
	}
}

// forwardPacket parses raw (read into a reused buffer) into a new packet that owns a copy
// of the payload: two allocations, one copy. Header extensions are left out (their IDs are
// negotiated per PeerConnection; read calls withLevel for the audio level); padding is
// kept as Header.PaddingSize, as rtp.Packet does.
// The packet is shared by every sink and never modified afterwards.
func forwardPacket(raw []byte, h *rtp.Header) *rtp.Packet {
	hl, err := h.Unmarshal(raw)
	if err != nil {
		return nil
	}
	end := len(raw)
	var pad byte
	if h.Padding {
		if end <= hl {
			return nil
		}
		pad = raw[end-1]
		if pad == 0 || int(pad) > end-hl {
			return nil
		}
		end -= int(pad)
	}
	p := &rtp.Packet{Header: rtp.Header{Version: 2, Padding: h.Padding, Marker: h.Marker,
		PayloadType: h.PayloadType, SequenceNumber: h.SequenceNumber, Timestamp: h.Timestamp,
		SSRC: h.SSRC, PaddingSize: pad}}
	if len(h.CSRC) > 0 {
		p.CSRC = slices.Clone(h.CSRC)
	}
	p.Payload = slices.Clone(raw[hl:end])
	return p
}

// dispatch hands one packet of layer li to every sink; p must not be modified afterwards.
func (f *forwarder) dispatch(p *rtp.Packet, keyframe bool, li int) {
	var now int64
	l := f.layers[li].Load()
	f.dmu.Lock()
	defer f.dmu.Unlock()
	if f.simulcast {
		now = time.Now().UnixNano()
		l.lastSeen.Store(now)
		if keyframe && f.vp8 {
			if _, h, ok := VP8KeyframeSize(p.Payload); ok {
				l.height.Store(int32(h))
			}
		}
	}
	f.packets.Add(1)
	if f.video {
		if keyframe {
			f.keys.Add(1)
			l.keys.Add(1)
		}
		l.keep(p, keyframe)
	}
	size := uint64(len(p.Payload) + 12)
	f.bytes.Add(size)
	f.winBytes += size
	if f.packets.Load()%32 == 0 {
		t := time.Now()
		if el := t.Sub(f.winStart); el >= time.Second {
			if !f.winStart.IsZero() {
				f.bitrate.Store(uint64(float64(f.winBytes*8) / el.Seconds()))
			}
			f.winStart, f.winBytes = t, 0
		}
	}
	if f.simulcast {
		l.meter(size, now)
	}
	gated := f.gated.Load()
	sp := f.sinks.Load()
	if gated && f.pins.Load() == 0 {
		f.wasGated = true
	} else if sp != nil {
		if f.wasGated {
			f.wasGated = false
			for _, s := range *sp {
				s.off = true
			}
		}
		// Most sinks write inline (enqueue): one sendmmsg for the fan-out.
		if len(*sp) > 1 && (*sp)[0].batch != nil {
			b := (*sp)[0].batch
			b.cork()
			defer b.uncork()
		}
		reopened := false
		for _, s := range *sp {
			if gated && !s.pinned.Load() {
				s.off = true
				continue
			}
			if s.off {
				// Let through again (or pinned): it waits for a keyframe, asked for below.
				s.off, s.waitKey, reopened = false, true, true
			}
			if f.simulcast {
				s.pushLayer(p, keyframe, li, now)
			} else {
				s.push(p, keyframe)
			}
		}
		if reopened {
			f.requestKeyframe()
		}
	}
	if rp := f.recs.Load(); rp != nil && int32(li) == f.recLayer.Load() {
		for _, r := range *rp {
			r.push(p, keyframe)
		}
	}
}

// addRecorder writes the track to r too; false when the forwarder has ended.
func (f *forwarder) addRecorder(r *recorder) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return false
	}
	cowAdd(&f.recs, r)
	return true
}

func (f *forwarder) removeRecorder(r *recorder) {
	f.mu.Lock()
	defer f.mu.Unlock()
	cowRemove(&f.recs, r)
}

// cowAdd appends v to a copy-on-write list that the read loop loads without locking;
// writers serialise (the forwarder's mu).
func cowAdd[T comparable](list *atomic.Pointer[[]T], v T) {
	var next []T
	if cur := list.Load(); cur != nil {
		next = append(next, *cur...)
	}
	next = append(next, v)
	list.Store(&next)
}

// cowRemove drops v from a copy-on-write list (writers serialise).
func cowRemove[T comparable](list *atomic.Pointer[[]T], v T) {
	if cur := list.Load(); cur != nil {
		next := make([]T, 0, len(*cur))
		for _, o := range *cur {
			if o != v {
				next = append(next, o)
			}
		}
		list.Store(&next)
	}
}

// addSink subscribes a new receiver and asks upstream for a keyframe so its video starts
// at once, unless one is there to replay (gop.go). It reports false when the forwarder
// has already ended.
func (f *forwarder) addSink(s *sink) bool {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return false
	}
	cowAdd(&f.sinks, s)
	f.mu.Unlock()
	// A track not negotiated yet asks when it is bound (sinkTrack.onBind): a keyframe
	// requested now would arrive before it can be sent, and rate-limit the useful request.
	if f.video && s.track.bound() {
		f.askUncached()
	}
	return true
}

func (f *forwarder) removeSink(s *sink) {
	f.mu.Lock()
	cowRemove(&f.sinks, s)
	f.mu.Unlock()
	s.setPinned(false)
	s.close()
}

// setPinned says whether the sink's receiver pins its camera, past last-N. (A view that
// races a removal may leave pins one too high: the gated camera then only looks at its
// sinks' flags for nothing.)
func (s *sink) setPinned(on bool) {
	if s.pinned.Swap(on) != on {
		if on {
			s.f.pins.Add(1)
		} else {
			s.f.pins.Add(-1)
		}
	}
}

// requestKeyframe sends a PLI upstream for every layer (see requestLayerKeyframe).
func (f *forwarder) requestKeyframe() {
	for i := range numLayers {
		f.requestLayerKeyframe(i)
	}
}

// requestLayerKeyframe sends a PLI upstream for layer i, at most one per pliInterval, or
// per pliInterval/4 once the previous one was answered (a keyframe came since); a request
// inside the gap is sent when it ends (looked at every pliInterval/8 until then, as an
// answer shortens it), so a new receiver is never left waiting for a full GOP.
func (f *forwarder) requestLayerKeyframe(i int) {
	if !f.video {
		return
	}
	l := f.layers[i].Load()
	if l == nil {
		return
	}
	f.mu.Lock()
	if f.closed || l.pliTimer != nil {
		f.mu.Unlock()
		return
	}
	since := time.Since(l.lastPLI)
	wait := f.pliInterval - since
	if l.keys.Load() > l.keysPLI {
		wait = f.pliInterval/4 - since // answered: a shorter gap, still no keyframe storm
	}
	if wait > 0 {
		if wait > f.pliInterval/4 {
			// Unanswered so far: look again soon, as once the keyframe comes the
			// short gap applies, and a receiver that came just after it (fifty
			// joining at once) should not wait out the whole interval.
			wait = f.pliInterval / 8
		}
		l.pliTimer = time.AfterFunc(wait, func() {
			f.mu.Lock()
			l.pliTimer = nil
			f.mu.Unlock()
			f.requestLayerKeyframe(i)
		})
		f.mu.Unlock()
		return
	}
	l.lastPLI, l.keysPLI = time.Now(), l.keys.Load()
	f.mu.Unlock()
	f.plis.Add(1)
	_ = f.writeRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: l.ssrc}})
}

func (f *forwarder) close() {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return
	}
	f.closed = true
	for i := range f.layers {
		if l := f.layers[i].Load(); l != nil && l.pliTimer != nil {
			l.pliTimer.Stop()
		}
	}
	sp, rp := f.sinks.Load(), f.recs.Load()
	f.sinks.Store(nil)
	f.mu.Unlock()
	if sp != nil {
		for _, s := range *sp {
			s.close()
		}
	}
	if rp != nil { // the track ended: finish its files
		for _, r := range *rp {
			r.close()
		}
	}
}

func (f *forwarder) isClosed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.closed
}

// sink is one receiver of a forwarder: a bounded queue drained by its own writer.
type sink struct {
	f       *forwarder
	track   *sinkTrack
	q       chan *rtp.Packet
	waitKey bool // producer (forwarder read loop) only
	off     bool // producer only: last-N held it back, so it restarts at a keyframe
	// starting: video new to the receiver (or let through again): it may begin
	// with the replay of the last keyframe (gop.go); producer only
	starting bool
	live     func() bool // its PeerConnection is connected; nil: taken as connected
	pinned   atomic.Bool
	done     chan struct{}
	once     sync.Once
	onClose  func()
	batch    *batchConn   // the media socket, corked around a run of queued packets; may be nil
	wmu      sync.Mutex   // one write at a time: the writer's or the producer's (enqueue)
	pending  atomic.Int32 // packets queued and not yet written
	queued   *atomic.Bool // set: always through the queue (a path that may block); may be nil

	// simulcast: the layer sent (producer only), its rewriting, the tile height the
	// receiver's page shows (-1: unknown) and its bandwidth estimate (bps, 0: none)
	cur   int
	fixed int // the layer it sends (all layers to the relay); -1: the one that fits
	rw    rewriter
	viewH atomic.Int32
	bw    atomic.Uint64
	est   bwe

	// audio: the receiver loudest-N gates for (peer ID: the page's node, or the far
	// node of a relay's link to it; "": none, peerLink.listener), and what it held back
	// from it (sink.gate; producer only)
	to     string
	cutSeq uint16
	cut    bool

	packets, bytes, dropped, replays atomic.Uint64
}

func newSink(f *forwarder, streamID string) (*sink, error) {
	track := newSinkTrack(f.codec, f.slot.trackID(), streamID)
	size := f.audioQueue
	if f.video {
		size = f.videoQueue
		// Once negotiation binds the track the receiver can decode from the next
		// keyframe: ask for one then (a keyframe before that would be lost),
		// unless one is there to replay.
		track.onBind = f.askUncached
	}
	s := &sink{f: f, track: track, q: make(chan *rtp.Packet, size), waitKey: f.video, starting: f.video,
		done: make(chan struct{}), cur: -1, fixed: -1}
	s.viewH.Store(-1)
	return s, nil
}

// push never blocks: on overflow, audio drops the packet and video drops everything up
// to the next keyframe, which it requests. Video starts at the first keyframe after the
// track is bound (negotiated).
func (s *sink) push(p *rtp.Packet, keyframe bool) {
	if !s.f.video {
		if p = s.gate(p); p == nil {
			return
		}
	}
	if s.waitKey {
		if !keyframe && s.replayable() && s.replay(0, 0) {
			return
		}
		if !keyframe || !s.ready() {
			s.dropped.Add(1)
			if s.track.bound() {
				// Keep asking (rate-limited) until a keyframe comes: a request or
				// its answer lost on any hop must not leave this receiver dark.
				s.f.requestKeyframe()
			}
			return
		}
		s.waitKey, s.starting = false, false
	}
	if !s.enqueue(p) {
		s.dropped.Add(1)
		if s.f.video {
			s.waitKey = true
			s.f.requestKeyframe()
		}
	}
}

// ready reports whether what the sink writes reaches the receiver: its track is bound
// and its PeerConnection connected. Before that pion drops a write without an error, so
// a keyframe "sent" then would leave the receiver with frames it cannot decode until
// the next keyframe (a page asks for one; nodes and the load test's participants do not).
func (s *sink) ready() bool {
	return s.track.bound() && (s.live == nil || s.live())
}

// enqueue hands p on to the receiver: the caller (the forwarder's read loop) writes it
// itself when nothing waits before it and the writer is idle, which saves a goroutine
// hand-off per packet and lets dispatch put a whole fan-out in one sendmmsg; else (or
// always, on a path through TURN, whose TCP or TLS write may block the read loop and every
// other receiver with it) it goes in the queue, for the writer. It reports false when the
// queue is full.
func (s *sink) enqueue(p *rtp.Packet) bool {
	if (s.queued == nil || !s.queued.Load()) && s.pending.Load() == 0 && s.wmu.TryLock() {
		if s.pending.Load() == 0 { // all queued before it written: order kept
			s.write(p)
			s.wmu.Unlock()
			return true
		}
		s.wmu.Unlock()
	}
	s.pending.Add(1)
	select {
	case s.q <- p:
		return true
	default:
		s.pending.Add(-1)
		return false
	}
}

// writeLoop drains the queue into the track until the sink closes. Packets already
// queued behind the first go out in one sendmmsg.
func (s *sink) writeLoop() {
	for {
		select {
		case p := <-s.q:
			if s.batch == nil || len(s.q) == 0 {
				s.writeQueued(p)
				continue
			}
			s.batch.cork()
			s.writeQueued(p)
		run:
			for range batchSize - 1 {
				select {
				case p = <-s.q:
					s.writeQueued(p)
				default:
					break run
				}
			}
			s.batch.uncork()
		case <-s.done:
			return
		}
	}
}

func (s *sink) writeQueued(p *rtp.Packet) {
	s.wmu.Lock()
	s.write(p)
	s.pending.Add(-1)
	s.wmu.Unlock()
}

func (s *sink) write(p *rtp.Packet) {
	if s.track.write(p) == nil {
		s.packets.Add(1)
		s.bytes.Add(uint64(len(p.Payload) + 12))
	}
}

func (s *sink) close() {
	s.once.Do(func() {
		close(s.done)
		if s.onClose != nil {
			s.onClose()
		}
	})
}

// readRTCPLoop reads a sender's RTCP (which also feeds the NACK responder and reports):
// keyframe requests from the receiver go upstream, its reception reports feed the
// sink's bandwidth estimate, its transport-wide feedback (which names any one of the
// PeerConnection's senders) the PeerConnection's, cc. current is the sink sending on it
// now (nil for none).
func readRTCPLoop(sender *webrtc.RTPSender, cc *transportCC, current func() *sink) {
	buf := make([]byte, rtcpMTU) // reused: ReadRTCP allocates a receive MTU per packet
	for {
		n, attrs, err := sender.Read(buf)
		if errors.Is(err, io.ErrShortBuffer) {
			continue // a compound packet larger than any we expect: dropped
		}
		if err != nil {
			return
		}
		// The interceptors (NACK responder, reports) parsed it already and left the
		// packets in attrs: parsed once, not twice.
		pkts, err := attrs.GetRTCPPackets(buf[:n])
		if err != nil {
			continue
		}
		for _, p := range pkts {
			if fb, ok := p.(*rtcp.TransportLayerCC); ok {
				cc.onFeedback(fb)
			}
		}
		sk := current()
		if sk == nil {
			continue
		}
		for _, p := range pkts {
			switch p := p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				sk.keyframeRequest()
			case *rtcp.ReceiverReport:
				sk.onReports(p.Reports)
			case *rtcp.SenderReport:
				sk.onReports(p.Reports)
			}
		}
	}
}

// drainRTCP reads a receiver's RTCP so its interceptors see sender reports.
func drainRTCP(r *webrtc.RTPReceiver) {
	buf := make([]byte, rtcpMTU)
	for {
		if _, _, err := r.Read(buf); err != nil && !errors.Is(err, io.ErrShortBuffer) {
			return
		}
	}
}

// rtcpMTU is the largest RTCP packet read: reports, NACKs and PLIs are far smaller.
const rtcpMTU = 1500

// drainSimulcastRTCP is drainRTCP for one simulcast layer (RID) of a receiver.
func drainSimulcastRTCP(r *webrtc.RTPReceiver, rid string) {
	buf := make([]byte, rtcpMTU)
	for {
		if _, _, err := r.ReadSimulcast(buf, rid); err != nil && !errors.Is(err, io.ErrShortBuffer) {
			return
		}
	}
}
