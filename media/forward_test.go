package media

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

func TestIsVP8Keyframe(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		want bool
	}{
		{"keyStart", []byte{0x10, 0x00}, true},
		{"interStart", []byte{0x10, 0x01}, false},
		{"notStart", []byte{0x00, 0x00}, false},
		{"otherPartition", []byte{0x11, 0x00}, false},
		{"extPictureID15", []byte{0x90, 0x80, 0x81, 0x02, 0x00}, true},
		{"extPictureID7TL0", []byte{0x90, 0xc0, 0x05, 0x07, 0x01}, false},
		{"truncated", []byte{0x90, 0x80}, false},
		{"empty", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isVP8Keyframe(tt.b); got != tt.want {
				t.Fatalf("isVP8Keyframe(%x) = %v", tt.b, got)
			}
		})
	}
}

// TestSinkOverflowDropsToKeyframe: a receiver that stops draining loses video up to the
// next keyframe, which is requested upstream; the producer never blocks.
func TestSinkOverflowDropsToKeyframe(t *testing.T) {
	cfg := DefaultConfig()
	cfg.VideoQueue = 4
	cfg.PLIInterval = time.Hour // only the first request goes out at once
	var plis atomic.Int64
	f := newForwarder("p", slotCamera, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, 1, &cfg,
		func(p []rtcp.Packet) error { plis.Add(int64(len(p))); return nil })
	sk, err := newSink(f, "p")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sk.track.Bind(fakeTrackContext{codecs: []webrtc.RTPCodecParameters{{RTPCodecCapability: f.codec, PayloadType: 96}}, w: &discardWriter{}}); err != nil {
		t.Fatal(err)
	}
	if !f.addSink(sk) {
		t.Fatal("addSink")
	}
	sk.wmu.Lock() // a writer stuck on a slow transport: everything queues
	defer sk.wmu.Unlock()
	if plis.Load() != 1 {
		t.Fatalf("subscribe sent %d PLIs, want 1", plis.Load())
	}
	key, delta := []byte{0x10, 0x00}, []byte{0x10, 0x01}
	send := func(payload []byte) { f.dispatch(&rtp.Packet{Payload: payload}, isVP8Keyframe(payload), 0) }
	send(delta) // before the first keyframe: dropped
	send(key)
	for range 3 {
		send(delta)
	}
	if len(sk.q) != 4 || sk.dropped.Load() != 1 {
		t.Fatalf("queue %d dropped %d", len(sk.q), sk.dropped.Load())
	}
	send(delta) // overflow: wait for a keyframe
	for range 3 {
		<-sk.q
	}
	send(delta)
	if len(sk.q) != 1 || sk.dropped.Load() != 3 {
		t.Fatalf("after overflow: queue %d dropped %d", len(sk.q), sk.dropped.Load())
	}
	send(key)
	if len(sk.q) != 2 {
		t.Fatalf("keyframe not queued after overflow")
	}
	f.close()
	select {
	case <-sk.done:
	default:
		t.Fatal("sink not closed with its forwarder")
	}
}

// TestPLIAnsweredGap: a keyframe request made while the last one is unanswered goes out
// once that one is answered and the short gap (PLIInterval/4) has passed, not after the
// whole interval: fifty receivers joining at once each get a keyframe soon.
func TestPLIAnsweredGap(t *testing.T) {
	cfg := DefaultConfig()
	cfg.PLIInterval = 4 * time.Second
	var plis atomic.Int64
	f := newForwarder("p", slotCamera, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, 1, &cfg,
		func(p []rtcp.Packet) error { plis.Add(int64(len(p))); return nil })
	defer f.close()
	start := time.Now()
	f.requestKeyframe()
	f.requestKeyframe() // unanswered: waits
	if plis.Load() != 1 {
		t.Fatalf("%d PLIs, want 1 at once", plis.Load())
	}
	f.dispatch(&rtp.Packet{Payload: []byte{0x10, 0x00}}, true, 0) // the answer
	for plis.Load() < 2 {
		if time.Since(start) > cfg.PLIInterval*3/4 {
			t.Fatalf("the second PLI waited %v: the whole interval", time.Since(start))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if d := time.Since(start); d < cfg.PLIInterval/4 {
		t.Fatalf("the second PLI after %v, inside the short gap", d)
	}
}

// TestImports enforces DESIGN.md §1: media must not import mesh or webui.
func TestImports(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	for _, name := range files {
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			p := strings.Trim(imp.Path.Value, `"`)
			if p == "meshmeet" || strings.HasPrefix(p, "meshmeet/") {
				t.Errorf("%s imports %s", name, p)
			}
		}
	}
}

// fakeTrackContext binds a sinkTrack to a writer that discards.
type fakeTrackContext struct {
	codecs []webrtc.RTPCodecParameters
	w      webrtc.TrackLocalWriter
}

func (c fakeTrackContext) CodecParameters() []webrtc.RTPCodecParameters           { return c.codecs }
func (c fakeTrackContext) HeaderExtensions() []webrtc.RTPHeaderExtensionParameter { return nil }
func (c fakeTrackContext) SSRC() webrtc.SSRC                                      { return 1234 }
func (c fakeTrackContext) SSRCRetransmission() webrtc.SSRC                        { return 0 }
func (c fakeTrackContext) SSRCForwardErrorCorrection() webrtc.SSRC                { return 0 }
func (c fakeTrackContext) WriteStream() webrtc.TrackLocalWriter                   { return c.w }
func (c fakeTrackContext) ID() string                                             { return "ctx" }
func (c fakeTrackContext) RTCPReader() interceptor.RTCPReader                     { return nil }

type discardWriter struct{ n atomic.Int64 }

func (d *discardWriter) WriteRTP(h *rtp.Header, p []byte) (int, error) {
	d.n.Add(1)
	return len(p), nil
}
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }

// BenchmarkDispatch is the engine's own share of forwarding one packet (parse, keyframe
// check, fan-out: written inline, or queued for the writer goroutine while it lags;
// sinkTrack to a discarding writer), without pion's interceptors, SRTP and sockets.
func BenchmarkDispatch(b *testing.B) {
	cfg := DefaultConfig()
	f := newForwarder("p", slotCamera, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, 1, &cfg,
		func([]rtcp.Packet) error { return nil })
	sk, _ := newSink(f, "p")
	sk.waitKey = false
	if _, err := sk.track.Bind(fakeTrackContext{codecs: []webrtc.RTPCodecParameters{{RTPCodecCapability: f.codec, PayloadType: 96}}, w: &discardWriter{}}); err != nil {
		b.Fatal(err)
	}
	go sk.writeLoop()
	f.addSink(sk)
	raw, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, Extension: true, ExtensionProfile: 0xBEDE,
		Extensions: []rtp.Extension{{}}}, Payload: make([]byte, 1100)}).Marshal()
	var h rtp.Header
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		p := forwardPacket(raw, &h)
		for len(sk.q) > cap(sk.q)/2 {
			runtime.Gosched()
		}
		f.dispatch(p, f.isKey(p.Payload), 0)
	}
	for sk.packets.Load()+sk.dropped.Load() < uint64(b.N) {
		runtime.Gosched()
	}
	b.StopTimer()
	f.close()
}

// recordWriter keeps the sequence numbers written.
type recordWriter struct {
	mu   sync.Mutex
	seqs []uint16
}

func (w *recordWriter) WriteRTP(h *rtp.Header, p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seqs = append(w.seqs, h.SequenceNumber)
	return len(p), nil
}
func (w *recordWriter) Write(b []byte) (int, error) { return len(b), nil }

func (w *recordWriter) written() []uint16 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.seqs)
}

// TestSinkInlineKeepsOrder: the read loop writes a packet itself only when nothing is
// queued before it; packets queued while the writer lagged go out first, in order.
func TestSinkInlineKeepsOrder(t *testing.T) {
	cfg := DefaultConfig()
	f := newForwarder("p", slotMic, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000}, 1, &cfg,
		func([]rtcp.Packet) error { return nil })
	sk, _ := newSink(f, "p")
	w := &recordWriter{}
	if _, err := sk.track.Bind(fakeTrackContext{codecs: []webrtc.RTPCodecParameters{{RTPCodecCapability: f.codec, PayloadType: 111}}, w: w}); err != nil {
		t.Fatal(err)
	}
	f.addSink(sk)
	send := func(seq uint16) {
		f.dispatch(&rtp.Packet{Header: rtp.Header{SequenceNumber: seq}, Payload: []byte{1}}, false, 0)
	}
	send(1) // no writer goroutine yet: written inline
	if got := w.written(); !slices.Equal(got, []uint16{1}) {
		t.Fatalf("inline: %v", got)
	}
	sk.wmu.Lock() // the writer is busy: 2 and 3 queue
	send(2)
	send(3)
	sk.wmu.Unlock()
	send(4) // 2 and 3 still queued: 4 queues behind them, not inline
	if got := w.written(); !slices.Equal(got, []uint16{1}) {
		t.Fatalf("written past the queue: %v", got)
	}
	go sk.writeLoop()
	defer sk.close()
	deadline := time.Now().Add(5 * time.Second)
	for sk.pending.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	send(5) // drained: inline again
	if got := w.written(); !slices.Equal(got, []uint16{1, 2, 3, 4, 5}) {
		t.Fatalf("order: %v", got)
	}
}

func TestKeyframeVP9H264(t *testing.T) {
	tests := []struct {
		name string
		f    func([]byte) bool
		b    []byte
		want bool
	}{
		{"vp9Key", isVP9Keyframe, []byte{0x08, 0}, true},
		{"vp9KeyPictureID", isVP9Keyframe, []byte{0x88, 0x12, 0}, true},
		{"vp9Inter", isVP9Keyframe, []byte{0x48, 0}, false},
		{"vp9NotStart", isVP9Keyframe, []byte{0x04, 0}, false},
		{"vp9KeyLayer0", isVP9Keyframe, []byte{0xa8, 0x81, 0x02, 0x00, 0}, true},
		{"vp9KeyLayer1", isVP9Keyframe, []byte{0xa8, 0x05, 0x02, 0}, false},
		{"vp9Truncated", isVP9Keyframe, []byte{0xa8, 0x81}, false},
		{"h264IDRAlone", isH264Keyframe, []byte{0x65, 0x88}, false},
		{"h264SPS", isH264Keyframe, []byte{0x67, 0x42}, true},
		{"h264Slice", isH264Keyframe, []byte{0x41, 0x9a}, false},
		{"h264StapSPS", isH264Keyframe, []byte{0x78, 0, 2, 0x09, 0x10, 0, 2, 0x67, 0x42}, true},
		{"h264StapNoKey", isH264Keyframe, []byte{0x78, 0, 2, 0x09, 0x10, 0, 2, 0x41, 0x42}, false},
		{"h264StapBadSize", isH264Keyframe, []byte{0x78, 0, 9, 0x67}, false},
		{"h264FUStartSPS", isH264Keyframe, []byte{0x7c, 0x87, 0}, true},
		{"h264FUMiddleSPS", isH264Keyframe, []byte{0x7c, 0x07, 0}, false},
		{"h264FUStartIDR", isH264Keyframe, []byte{0x7c, 0x85, 0}, false},
		{"h264FUStartSlice", isH264Keyframe, []byte{0x7c, 0x81, 0}, false},
		{"empty", isH264Keyframe, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.f(tt.b); got != tt.want {
				t.Fatalf("keyframe(%x) = %v", tt.b, got)
			}
		})
	}
	if keyframeFunc(webrtc.MimeTypeOpus) != nil || keyframeFunc("video/vp9") == nil {
		t.Fatal("keyframeFunc by MIME type")
	}
}

// TestForwardPacket: extensions are dropped, padding and CSRCs kept, payload copied.
func TestForwardPacket(t *testing.T) {
	in := &rtp.Packet{Header: rtp.Header{Version: 2, Marker: true, PayloadType: 96, SequenceNumber: 7,
		Timestamp: 9, SSRC: 5, CSRC: []uint32{1, 2}, Padding: true, PaddingSize: 4}, Payload: []byte{1, 2, 3}}
	if err := in.SetExtension(3, []byte{0xaa}); err != nil {
		t.Fatal(err)
	}
	raw, err := in.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var h rtp.Header
	p := forwardPacket(raw, &h)
	if p == nil {
		t.Fatal("not parsed")
	}
	raw[len(raw)-5] = 0xff // the copy does not alias the read buffer
	if p.Extension || len(p.Extensions) != 0 || p.Header.PaddingSize != 4 || !p.Marker || p.SequenceNumber != 7 ||
		p.Timestamp != 9 || len(p.CSRC) != 2 || string(p.Payload) != "\x01\x02\x03" {
		t.Fatalf("forwarded %+v", p)
	}
	out, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var back rtp.Packet
	if err := back.Unmarshal(out); err != nil || string(back.Payload) != "\x01\x02\x03" || back.PaddingSize != 4 {
		t.Fatalf("round trip %+v %v", back, err)
	}
	if forwardPacket(raw[:5], &h) != nil {
		t.Fatal("truncated packet accepted")
	}
}

func TestMatchCodec(t *testing.T) {
	have := []webrtc.RTPCodecParameters{
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, PayloadType: 96},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP9, SDPFmtpLine: "profile-id=0"}, PayloadType: 98},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, SDPFmtpLine: fmtpH264}, PayloadType: 102},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, SDPFmtpLine: fmtpH264CB}, PayloadType: 106},
	}
	tests := []struct {
		mime, fmtp string
		want       webrtc.PayloadType // 0: no match
	}{
		{"video/VP8", "", 96},
		{webrtc.MimeTypeVP9, "", 98},
		{webrtc.MimeTypeVP9, "profile-id=2", 0},
		{webrtc.MimeTypeH264, fmtpH264CB, 106},
		{webrtc.MimeTypeH264, "packetization-mode=1;profile-level-id=42e034", 106},
		{webrtc.MimeTypeH264, "packetization-mode=0;profile-level-id=42e01f", 0},
		{webrtc.MimeTypeH264, "packetization-mode=1;profile-level-id=64001f", 0},
		{webrtc.MimeTypeAV1, "", 0},
	}
	for _, tt := range tests {
		c, ok := matchCodec(webrtc.RTPCodecCapability{MimeType: tt.mime, SDPFmtpLine: tt.fmtp}, have)
		if ok != (tt.want != 0) || c.PayloadType != tt.want {
			t.Errorf("%s %q: got %d %v, want %d", tt.mime, tt.fmtp, c.PayloadType, ok, tt.want)
		}
	}
}
