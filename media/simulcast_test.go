package media

import (
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
)

// layerClips are the VP8 clip at 160x90, 320x180 and 640x360: a simulcast camera's q, h, f.
var layerClips = sync.OnceValue(func() [numLayers][][]byte {
	var out [numLayers][][]byte
	for i, name := range []string{"clip-vp8-160x90-30fps.ivf", "clip-vp8-320x180-30fps.ivf", "clip-vp8-640x360-30fps.ivf"} {
		frames, err := ReadIVF("../testdata/" + name)
		if err != nil {
			panic(err)
		}
		out[i] = frames
	}
	return out
})

// startSimulcastBrowser starts a browser that publishes its camera as three simulcast
// layers (RIDs q, h, f) and the microphone.
func (n *testNet) startSimulcastBrowser(node string) *fakeBrowser {
	b := n.startSimulcastBrowserWith(node, func(b *fakeBrowser) {
		for _, rid := range layerRID {
			l, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "v", "self", webrtc.WithRTPStreamID(rid))
			if err != nil {
				n.t.Fatal(err)
			}
			b.layers = append(b.layers, l)
		}
		b.video = nil
	})
	return b
}

// layerPLI marks the layer whose SSRC a keyframe request names: its "encoder" restarts.
func (b *fakeBrowser) layerPLI(s *webrtc.RTPSender, ssrc uint32) {
	if b.layers == nil {
		return
	}
	for _, enc := range s.GetParameters().Encodings {
		if uint32(enc.SSRC) == ssrc {
			if i := layerOf(enc.RID); i >= 0 {
				b.layerKey[i].Store(true)
				b.layerPLIs[i].Add(1)
			}
		}
	}
}

// playLayers plays the three clips in step, each layer from its keyframe again when asked.
func (b *fakeBrowser) playLayers() {
	defer b.n.wg.Done()
	clips := layerClips()
	t := time.NewTicker(33 * time.Millisecond)
	defer t.Stop()
	var pos [numLayers]int
	for {
		select {
		case <-b.n.ctx.Done():
			return
		case <-t.C:
		}
		for i, l := range b.layers {
			if b.layerKey[i].Swap(false) {
				pos[i] = 0
			}
			if err := l.WriteSample(media.Sample{Data: clips[i][pos[i]%len(clips[i])], Duration: 33 * time.Millisecond}); err != nil {
				return
			}
			pos[i]++
		}
	}
}

// sentLayer is the RID of the layer engine e sends of origin's camera to peer ("" for its browser).
func sentLayer(e *Engine, peer, origin string) string {
	st, _ := e.Stats(testMeeting).(*MeetingStats)
	if st == nil {
		return ""
	}
	for _, ts := range st.TracksSent {
		if ts.PeerID == peer && ts.Source == "camera" && ts.Origin == origin {
			return ts.Layer
		}
	}
	return ""
}

// view sends the page's tile of peer's camera at height h (width 16:9).
func (b *fakeBrowser) view(peer string, h int) {
	b.send(Signal{Type: TypeView, Tiles: []ViewTile{{Peer: peer, Source: "camera", W: h * 16 / 9, H: h}}})
}

// TestSimulcastLayers: A's browser sends three layers; B's page shows A small and C's
// large, so B gets the quarter-size layer and C the full one, each as one stream. When
// C's tile shrinks, C moves to the half-size layer at its keyframe, which A's node asks
// A's browser for. In a mesh A's node chooses per link; with a relay, A's node sends the
// relay all three layers and the relay chooses.
func TestSimulcastLayers(t *testing.T) {
	for _, tc := range []struct{ name, relay string }{{"mesh", ""}, {"relay", "peerR"}} {
		t.Run(tc.name, func(t *testing.T) { testSimulcastLayers(t, tc.relay) })
	}
}

func testSimulcastLayers(t *testing.T, relay string) {
	n := newTestNet(t)
	ids := []string{"peerA", "peerB", "peerC"}
	chooser := "peerA" // the node that picks B's and C's layer
	if relay != "" {
		ids = append(ids, relay)
		chooser = relay
	}
	engines := map[string]*Engine{}
	for _, id := range ids {
		engines[id] = n.startEngine(id, nil)
	}
	a := n.startSimulcastBrowser("peerA")
	b, c := n.startBrowser("peerB", false), n.startBrowser("peerC", false)
	b.view("peerA", 90) // before any link: B's node passes it on once its links are up
	for _, id := range ids {
		if err := engines[id].SetTopology(testMeeting, ids, relay); err != nil {
			t.Fatal(err)
		}
	}
	receiving := func(br *fakeBrowser) func() bool {
		return func() bool { return br.count("peerA", "video").keyframes > 0 }
	}
	eventually(t, 20*time.Second, "B receives A's camera", receiving(b))
	eventually(t, 20*time.Second, "C receives A's camera", receiving(c))
	if relay != "" {
		eventually(t, 10*time.Second, "A's node sends the relay all three layers", func() bool {
			return len(sentLayers(engines["peerA"], relay, "peerA")) == numLayers
		})
	}

	c.view("peerA", 360)
	for _, tc := range []struct {
		br   *fakeBrowser
		peer string
		rid  string
		h    int32
	}{{b, "peerB", "q", 90}, {c, "peerC", "f", 360}} {
		eventually(t, 10*time.Second, tc.peer+" gets layer "+tc.rid, func() bool {
			return sentLayer(engines[chooser], tc.peer, "peerA") == tc.rid && tc.br.count("peerA", "video").height == tc.h
		})
	}

	// C's tile shrinks: the half-size layer, from its keyframe, asked for by a PLI.
	plis := a.layerPLIs[1].Load()
	keys := c.count("peerA", "video").keyframes
	start := time.Now()
	c.view("peerA", 180)
	eventually(t, 5*time.Second, "C switches to h", func() bool {
		got := c.count("peerA", "video")
		return got.height == 180 && got.keyframes > keys
	})
	t.Logf("C switched to the half-size layer in %v", time.Since(start))
	if a.layerPLIs[1].Load() == plis {
		t.Error("no keyframe request for the h layer on the switch")
	}
	// One stream throughout: packets keep flowing and nothing jumped.
	before := c.count("peerA", "video").packets
	eventually(t, 5*time.Second, "C keeps receiving", func() bool { return c.count("peerA", "video").packets > before+30 })
	for _, br := range []*fakeBrowser{b, c} {
		if got := br.count("peerA", "video"); got.jumps != 0 {
			t.Errorf("%s: %d jumps in sequence numbers or timestamps", br.node, got.jumps)
		}
	}
	if got := sentLayer(engines[chooser], "peerB", "peerA"); got != "q" {
		t.Errorf("B gets layer %q, want q", got)
	}
}

// sentLayers lists the layers engine e sends of origin's camera to peer.
func sentLayers(e *Engine, peer, origin string) []string {
	st, _ := e.Stats(testMeeting).(*MeetingStats)
	if st == nil {
		return nil
	}
	var out []string
	for _, ts := range st.TracksSent {
		if ts.PeerID == peer && ts.Source == "camera" && ts.Origin == origin && ts.Layer != "" {
			out = append(out, ts.Layer)
		}
	}
	return out
}

func TestOfferSimulcast(t *testing.T) {
	sdp := "v=0\r\nm=audio 9 UDP 111\r\na=mid:0\r\nm=video 9 UDP 96\r\na=mid:1\r\na=sendrecv\r\nm=video 9 UDP 96\r\na=mid:2\r\n"
	got := offerSimulcast(sdp, "1")
	want := "v=0\r\nm=audio 9 UDP 111\r\na=mid:0\r\nm=video 9 UDP 96\r\na=mid:1\r\na=sendrecv\r\na=rid:q recv\r\na=rid:h recv\r\na=rid:f recv\r\na=simulcast:recv q;h;f\r\nm=video 9 UDP 96\r\na=mid:2\r\n"
	if got != want {
		t.Fatalf("got %q", got)
	}
	if again := offerSimulcast(got, "1"); again != got {
		t.Fatalf("added twice: %q", again)
	}
	if last := offerSimulcast(sdp, "2"); last != sdp+"a=rid:q recv\r\na=rid:h recv\r\na=rid:f recv\r\na=simulcast:recv q;h;f\r\n" {
		t.Fatalf("last section: %q", last)
	}
}

// throttle is a media socket whose incoming RTP from one address (from()) is limited to
// bps, as a congested downlink drops what exceeds it (a token bucket of 100 ms).
type throttle struct {
	net.PacketConn
	from   func() net.Addr
	bps    float64
	tokens float64
	last   time.Time
}

func (c *throttle) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.PacketConn.ReadFrom(p)
		if err != nil || n < 2 || p[0] < 128 || p[0] > 191 || (p[1]&0x7f >= 72 && p[1]&0x7f <= 76) {
			return n, addr, err // not RTP (STUN, DTLS, RTCP)
		}
		if f := c.from(); f == nil || f.String() != addr.String() {
			return n, addr, err
		}
		now := time.Now()
		c.tokens = min(c.tokens+now.Sub(c.last).Seconds()*c.bps/8, c.bps/8/10)
		c.last = now
		if c.tokens < float64(n) {
			continue // dropped
		}
		c.tokens -= float64(n)
		return n, addr, err
	}
}

// TestSimulcastBandwidth: B and C show A's camera equally large, but C's downlink from
// A's node carries only 300 kbit/s: C's reception reports show the loss, and A's node
// sends C a lower layer while B keeps the full one; C keeps receiving.
func TestSimulcastBandwidth(t *testing.T) {
	n := newTestNet(t)
	ids := []string{"peerA", "peerB", "peerC"}
	engines := map[string]*Engine{}
	engines["peerA"] = n.startEngine("peerA", nil)
	engines["peerB"] = n.startEngine("peerB", nil)
	aAddr := engines["peerA"].UDPAddr()
	engines["peerC"] = n.startEngine("peerC", func(c net.PacketConn) net.PacketConn {
		return &throttle{PacketConn: c, from: func() net.Addr { return aAddr }, bps: 300_000, last: time.Now()}
	})
	n.startSimulcastBrowser("peerA")
	b, c := n.startBrowser("peerB", false), n.startBrowser("peerC", false)
	for _, id := range ids {
		if err := engines[id].SetPeers(testMeeting, ids); err != nil {
			t.Fatal(err)
		}
	}
	b.view("peerA", 360)
	c.view("peerA", 360)
	eventually(t, 20*time.Second, "B gets the full layer", func() bool {
		return sentLayer(engines["peerA"], "peerB", "peerA") == "f" && b.count("peerA", "video").height == 360
	})
	start := time.Now()
	eventually(t, 20*time.Second, "C gets a lower layer", func() bool {
		l := sentLayer(engines["peerA"], "peerC", "peerA")
		return (l == "q" || l == "h") && c.count("peerA", "video").height < 360 && c.count("peerA", "video").height > 0
	})
	t.Logf("C on layer %s after %v", sentLayer(engines["peerA"], "peerC", "peerA"), time.Since(start))
	before := c.count("peerA", "video").packets
	eventually(t, 5*time.Second, "C keeps receiving", func() bool { return c.count("peerA", "video").packets > before+30 })
	if l := sentLayer(engines["peerA"], "peerB", "peerA"); l != "f" {
		t.Errorf("B gets layer %q, want f", l)
	}
}

// TestRewriter: after a switch the new layer continues the old one's sequence numbers,
// timestamps, picture IDs and TL0PICIDX, and the forwarder's packets stay untouched.
func TestRewriter(t *testing.T) {
	// VP8 descriptor: X, S; I and L; 15-bit picture ID; TL0PICIDX.
	vp8 := func(pid uint16, tl0 byte, key bool) []byte {
		b := []byte{0x90, 0xc0, 0x80 | byte(pid>>8), byte(pid), tl0, 0x00, 0, 0}
		if !key {
			b[5] = 0x01
		}
		return b
	}
	pkt := func(seq uint16, ts uint32, pid uint16, tl0 byte, key bool) *rtp.Packet {
		return &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: ts}, Payload: vp8(pid, tl0, key)}
	}
	var r rewriter
	t0 := time.Now()
	first := pkt(1000, 50000, 300, 7, true)
	r.start(first, true, t0)
	if out := r.apply(first, true, t0); out != first {
		t.Fatal("the first layer is rewritten")
	}
	last := r.apply(pkt(1001, 53000, 301, 7, false), true, t0.Add(33*time.Millisecond))
	// Switch to a layer with other origins, 33 ms later.
	in := pkt(20, 900, 12000, 200, true)
	orig := slices.Clone(in.Payload)
	r.start(in, true, t0.Add(66*time.Millisecond))
	out := r.apply(in, true, t0.Add(66*time.Millisecond))
	d, _ := parseVP8Desc(out.Payload)
	if out.SequenceNumber != last.SequenceNumber+1 || out.Timestamp != last.Timestamp+33*90 || d.pid != 302 || d.tl0 != 8 {
		t.Fatalf("after the switch: seq %d ts %d pid %d tl0 %d (last seq %d ts %d)", out.SequenceNumber, out.Timestamp, d.pid, d.tl0, last.SequenceNumber, last.Timestamp)
	}
	if !slices.Equal(in.Payload, orig) || in.SequenceNumber != 20 {
		t.Fatal("the forwarder's packet was modified")
	}
	if !r.stale(pkt(19, 600, 11999, 200, false)) || r.stale(pkt(21, 3900, 12001, 200, false)) {
		t.Fatal("a packet of the new layer from before its keyframe is not told apart")
	}
	next := r.apply(pkt(21, 3900, 12001, 200, false), true, t0.Add(99*time.Millisecond))
	if d, _ := parseVP8Desc(next.Payload); next.SequenceNumber != out.SequenceNumber+1 || next.Timestamp != out.Timestamp+3000 || d.pid != 303 {
		t.Fatalf("next: seq %d ts %d pid %d", next.SequenceNumber, next.Timestamp, d.pid)
	}
}

// TestVP8KeyframeSize reads the height of each layer clip's first keyframe, as packetized.
func TestVP8KeyframeSize(t *testing.T) {
	for i, want := range []int{90, 180, 360} {
		frame := layerClips()[i][0]
		payload := append([]byte{0x90, 0x80, 0x81, 0x23}, frame[:20]...) // X, S; 15-bit picture ID
		if _, got, _ := VP8KeyframeSize(payload); got != want {
			t.Errorf("layer %d: height %d, want %d", i, got, want)
		}
	}
	if _, _, ok := VP8KeyframeSize([]byte{0x10, 0x01, 0, 0}); ok {
		t.Error("a delta frame has a height")
	}
}

// TestBWE: loss above 10 % cuts the estimate below the layer sent, so the sink aims
// lower; no increase during the hold, then 8 % a report until no limit is left; a cut
// after the hold, soon after the last, doubles the next hold.
// layeredSink is a sink of a simulcast forwarder whose layers measure 150 kbit/s,
// 500 kbit/s and 1.5 Mbit/s, sending f.
func layeredSink() (*forwarder, *sink) {
	cfg := DefaultConfig()
	f := newSimulcastForwarder("p", slotCamera, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, &cfg,
		func([]rtcp.Packet) error { return nil })
	for i, bps := range []uint64{150_000, 500_000, 1_500_000} {
		f.addLayer(i, uint32(i+1))
		f.layers[i].Load().bitrate.Store(bps)
	}
	sk, _ := newSink(f, "p")
	sk.rw.layer.Store(3)
	return f, sk
}

func TestBWE(t *testing.T) {
	f, sk := layeredSink()
	t0 := time.Now()
	sk.onLoss(0.3, t0)
	if got := sk.bw.Load(); got != 1_275_000 || f.bwLayer(got) != 1 {
		t.Fatalf("after 30 %% loss: %d bps, layer %d", got, f.bwLayer(got))
	}
	sk.rw.layer.Store(2) // now sending h
	sk.onLoss(0, t0.Add(time.Second))
	if got := sk.bw.Load(); got != 1_275_000 {
		t.Fatalf("grew during the hold: %d", got)
	}
	at := t0.Add(bweHold + time.Millisecond)
	sk.onLoss(0, at)
	if got := sk.bw.Load(); got != uint64(1_275_000*bweGrow) {
		t.Fatalf("after the hold: %d", got)
	}
	for i := 0; sk.bw.Load() != 0; i++ {
		if i > 100 {
			t.Fatal("never lifted")
		}
		at = at.Add(500 * time.Millisecond)
		sk.onLoss(0.01, at)
	}
	// Cut, hold, cut again after the hold: the next hold is twice as long.
	sk.rw.layer.Store(3)
	sk.onLoss(0.2, at)
	at = at.Add(bweHold + time.Second)
	sk.onLoss(0.2, at)
	if hold := sk.est.hold.Sub(at); hold != 2*bweHold {
		t.Fatalf("hold after a repeated cut: %v", hold)
	}
}
