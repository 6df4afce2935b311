package media

import (
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

var (
	vp8Key   = []byte{0x10, 0x00}
	vp8Delta = []byte{0x10, 0x01}
)

// boundSink is a new sink of f, bound to a writer that records what it sends.
func boundSink(t *testing.T, f *forwarder) (*sink, *recordWriter) {
	t.Helper()
	sk, err := newSink(f, "p")
	if err != nil {
		t.Fatal(err)
	}
	w := &recordWriter{}
	if _, err := sk.track.Bind(fakeTrackContext{codecs: []webrtc.RTPCodecParameters{{RTPCodecCapability: f.codec, PayloadType: 96}}, w: w}); err != nil {
		t.Fatal(err)
	}
	return sk, w
}

func seqs(from, to uint16) []uint16 {
	var s []uint16
	for q := from; q <= to; q++ {
		s = append(s, q)
	}
	return s
}

// TestKeyframeReplay: a receiver that subscribes shortly after a keyframe starts with
// it and what followed, at the next packet, without asking the publisher; once the
// keyframe is older than the replay keeps (gopSpan), a new receiver asks and
// waits; a receiver that lost packets to a full queue waits for a fresh keyframe (no
// burst of old frames on a congested path); one whose PeerConnection is not connected
// yet starts from the replay once it is.
func TestKeyframeReplay(t *testing.T) {
	cfg := DefaultConfig()
	cfg.PLIInterval = time.Hour // a request is counted, never repeated
	cfg.VideoQueue = 4
	var plis atomic.Int64
	f := newForwarder("p", slotCamera, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, 1, &cfg,
		func(p []rtcp.Packet) error { plis.Add(int64(len(p))); return nil })
	defer f.close()
	seq, ts := uint16(100), uint32(0)
	send := func(payload []byte) {
		seq++
		ts += 500 // 30 frames a second, six packets a frame
		f.dispatch(&rtp.Packet{Header: rtp.Header{SequenceNumber: seq, Timestamp: ts}, Payload: payload}, isVP8Keyframe(payload), 0)
	}
	send(vp8Key) // 101
	send(vp8Delta)
	send(vp8Delta) // 103

	a, aw := boundSink(t, f)
	f.addSink(a)
	if plis.Load() != 0 {
		t.Fatalf("%d PLIs with a keyframe to replay", plis.Load())
	}
	send(vp8Delta) // 104: a starts with 101..104
	if got := aw.written(); !slices.Equal(got, seqs(101, 104)) || a.replays.Load() != 1 {
		t.Fatalf("replayed %v (%d replays), want 101..104", got, a.replays.Load())
	}
	send(vp8Delta) // 105: live
	if got := aw.written(); !slices.Equal(got, seqs(101, 105)) {
		t.Fatalf("after the replay %v", got)
	}

	// Not connected yet: waits (asking), then starts from the replay.
	var up atomic.Bool
	b, bw := boundSink(t, f)
	b.live = up.Load
	f.addSink(b)
	send(vp8Delta) // 106
	if len(bw.written()) != 0 || plis.Load() != 1 {
		t.Fatalf("unconnected: written %v, %d PLIs", bw.written(), plis.Load())
	}
	up.Store(true)
	send(vp8Delta) // 107
	if got := bw.written(); !slices.Equal(got, seqs(101, 107)) {
		t.Fatalf("connected: %v, want 101..107", got)
	}

	// A full queue: a's writer is stuck, packets queue until one is lost; then
	// a waits for the next keyframe, replaying nothing (the keyframe is still
	// kept: b would start with it).
	a.wmu.Lock()
	for len(a.q) < cap(a.q) {
		send(vp8Delta)
	}
	send(vp8Delta) // overflow
	if !a.waitKey {
		t.Fatal("no wait for a keyframe after an overflow")
	}
	for len(a.q) > 0 {
		<-a.q
		a.pending.Add(-1)
	}
	a.wmu.Unlock()
	n := len(aw.written())
	send(vp8Delta)
	if len(f.layers[0].Load().gop) == 0 {
		t.Fatal("the keyframe is no longer kept: the case is not tested")
	}
	if len(aw.written()) != n || a.replays.Load() != 1 {
		t.Fatalf("replayed to a congested receiver: %d more written, %d replays", len(aw.written())-n, a.replays.Load())
	}

	// gopSpan after the keyframe: nothing left to replay, a new receiver asks and waits.
	for ts < gopSpan+3000 {
		send(vp8Delta)
	}
	c, cw := boundSink(t, f)
	before := plis.Load()
	f.addSink(c)
	send(vp8Delta)
	f.mu.Lock()
	asked := plis.Load() > before || f.layers[0].Load().pliTimer != nil // sent, or due when the gap ends
	f.mu.Unlock()
	if len(cw.written()) != 0 || !asked {
		t.Fatalf("after gopSpan: written %v, asked %v", cw.written(), asked)
	}
	send(vp8Key)
	if got := cw.written(); !slices.Equal(got, []uint16{seq}) {
		t.Fatalf("at the keyframe: %v, want [%d]", got, seq)
	}
}

// TestKeyframeReplayLayer: a new receiver of a simulcast camera starts with the replay
// of the layer its tile needs, at a packet of any layer, and goes on with that layer.
func TestKeyframeReplayLayer(t *testing.T) {
	cfg := DefaultConfig()
	cfg.PLIInterval = time.Hour
	var plis atomic.Int64
	f := newSimulcastForwarder("p", slotCamera, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, &cfg,
		func(p []rtcp.Packet) error { plis.Add(int64(len(p))); return nil })
	defer f.close()
	for i := range numLayers {
		f.addLayer(i, uint32(i+1))
	}
	seq := [numLayers]uint16{100, 200, 300}
	send := func(li int, payload []byte) {
		seq[li]++
		f.dispatch(&rtp.Packet{Header: rtp.Header{SSRC: uint32(li + 1), SequenceNumber: seq[li], Timestamp: uint32(seq[li]) * 3000},
			Payload: payload}, isVP8Keyframe(payload), li)
	}
	for li := range numLayers {
		send(li, vp8Key)
		send(li, vp8Delta)
	}
	sk, w := boundSink(t, f)
	sk.viewH.Store(90) // a small tile: the lowest layer
	f.addSink(sk)
	send(2, vp8Delta) // a packet of another layer
	if got := w.written(); !slices.Equal(got, seqs(101, 102)) || plis.Load() != 0 {
		t.Fatalf("replayed %v with %d PLIs, want layer q's 101..102 and none", got, plis.Load())
	}
	send(0, vp8Delta)
	send(1, vp8Delta)
	if got := w.written(); !slices.Equal(got, seqs(101, 103)) {
		t.Fatalf("after the replay %v", got)
	}
}

// TestKeyframeNotConnected: a keyframe that comes while the receiver's PeerConnection
// is not connected yet is not taken as sent (pion would drop it unseen and the receiver
// would get only frames it cannot decode): the receiver starts once it is connected,
// from the replay or the next keyframe.
func TestKeyframeNotConnected(t *testing.T) {
	cfg := DefaultConfig()
	f := newForwarder("p", slotCamera, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, 1, &cfg,
		func([]rtcp.Packet) error { return nil })
	defer f.close()
	var up atomic.Bool
	sk, w := boundSink(t, f)
	sk.live = up.Load
	f.addSink(sk)
	seq, ts := uint16(0), uint32(0)
	send := func(payload []byte, step uint32) {
		seq++
		ts += step
		f.dispatch(&rtp.Packet{Header: rtp.Header{SequenceNumber: seq, Timestamp: ts}, Payload: payload}, isVP8Keyframe(payload), 0)
	}
	send(vp8Key, 0) // 1
	send(vp8Delta, 0)
	if got := w.written(); len(got) != 0 || !sk.waitKey {
		t.Fatalf("not connected: wrote %v, waiting %v", got, sk.waitKey)
	}
	up.Store(true)
	send(vp8Delta, 0) // 3: starts with the replay
	if got := w.written(); !slices.Equal(got, seqs(1, 3)) {
		t.Fatalf("connected: %v, want 1..3", got)
	}

	// Connected too late for the replay: the next keyframe.
	up.Store(false)
	late, lw := boundSink(t, f)
	late.live = up.Load
	f.addSink(late)
	send(vp8Key, 3000) // 4
	send(vp8Delta, 3000)
	up.Store(true)
	send(vp8Delta, gopSpan) // the keyframe is too old now
	if got := lw.written(); len(got) != 0 {
		t.Fatalf("late: wrote %v before a keyframe", got)
	}
	send(vp8Key, 3000) // 7
	if got := lw.written(); !slices.Equal(got, []uint16{7}) {
		t.Fatalf("late: %v, want [7]", got)
	}
}
