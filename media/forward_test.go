package media

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

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
	if !f.addSink(sk) {
		t.Fatal("addSink")
	}
	if plis.Load() != 1 {
		t.Fatalf("subscribe sent %d PLIs, want 1", plis.Load())
	}
	key, delta := []byte{0x10, 0x00}, []byte{0x10, 0x01}
	send := func(payload []byte) { f.dispatch(&rtp.Packet{Payload: payload}, isVP8Keyframe(payload)) }
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

// BenchmarkDispatch is the engine's own share of forwarding one packet (parse, keyframe
// check, fan-out to a queue, writer goroutine, TrackLocalStaticRTP with no binding),
// without pion's SRTP and sockets.
func BenchmarkDispatch(b *testing.B) {
	cfg := DefaultConfig()
	f := newForwarder("p", slotCamera, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, 1, &cfg,
		func([]rtcp.Packet) error { return nil })
	sk, _ := newSink(f, "p")
	sk.waitKey = false
	go sk.writeLoop()
	f.addSink(sk)
	raw, _ := (&rtp.Packet{Header: rtp.Header{Version: 2}, Payload: make([]byte, 1100)}).Marshal()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		p := &rtp.Packet{}
		_ = p.Unmarshal(raw)
		p.Payload = append([]byte(nil), p.Payload...)
		for len(sk.q) > cap(sk.q)/2 {
			runtime.Gosched()
		}
		p.SequenceNumber = uint16(i)
		f.dispatch(p, isVP8Keyframe(p.Payload))
	}
	for sk.packets.Load()+sk.dropped.Load() < uint64(b.N) {
		runtime.Gosched()
	}
	b.StopTimer()
	f.close()
}
