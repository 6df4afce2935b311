package media

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
	"github.com/pion/webrtc/v4/pkg/media/oggreader"
)

const testMeeting = "meeting-1"

// clips are the test media, read once.
var clips = sync.OnceValues(func() ([][]byte, [][]byte) {
	var audio [][]byte
	video, err := ReadIVF("../testdata/clip-vp8-640x360-30fps.ivf")
	if err != nil {
		panic(err)
	}
	g, err := os.Open("../testdata/clip-opus-48k.ogg")
	if err != nil {
		panic(err)
	}
	defer g.Close()
	o, _, err := oggreader.NewWith(g)
	if err != nil {
		panic(err)
	}
	for {
		p, _, err := o.ParseNextPage()
		if err != nil {
			break
		}
		audio = append(audio, p)
	}
	return video, audio
})

// net is the in-memory signalling of a test: ordered delivery per destination.
type testNet struct {
	t       testing.TB
	mu      sync.Mutex
	engines map[string]*Engine
	brow    map[string]*fakeBrowser
	queues  map[string]chan func()
	ctx     context.Context
	wg      sync.WaitGroup

	// remote, when set, carries messages to engines and browsers of another process
	// (BenchmarkMeshNode): kind is "peer" (node → node), "browser" (node → its browser)
	// or "node" (browser → its node); to is the node's peer ID. inject is its other end.
	remote func(kind, to, from string, msg []byte)
	// config, when set, adjusts the configuration of the engines startEngine starts.
	config func(*Config)
	// spawnRun, when set, starts an engine's Run (go run() otherwise): a test puts one
	// engine's socket in a network namespace of its own with it.
	spawnRun func(id string, run func())
}

func newTestNet(t testing.TB) *testNet {
	ctx, cancel := context.WithCancel(context.Background())
	n := &testNet{t: t, engines: map[string]*Engine{}, brow: map[string]*fakeBrowser{}, queues: map[string]chan func(){}, ctx: ctx}
	t.Cleanup(func() { cancel(); n.wg.Wait() })
	return n
}

func (n *testNet) deliver(dest string, f func()) {
	n.mu.Lock()
	q := n.queues[dest]
	if q == nil {
		q = make(chan func(), 1024)
		n.queues[dest] = q
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			for {
				select {
				case f := <-q:
					f()
				case <-n.ctx.Done():
					return
				}
			}
		}()
	}
	n.mu.Unlock()
	select {
	case q <- f:
	case <-n.ctx.Done():
	}
}

type nodeSignaller struct {
	n    *testNet
	self string
}

func (s nodeSignaller) SendToPeer(peerID string, msg []byte) error {
	sig, err := DecodeSignal(msg)
	if err != nil {
		s.n.t.Errorf("engine sent bad signal: %v", err)
		return err
	}
	s.n.deliver(peerID, func() {
		s.n.mu.Lock()
		e := s.n.engines[peerID]
		s.n.mu.Unlock()
		if e != nil {
			_ = e.HandlePeerSignal(sig.MeetingID, s.self, msg)
		} else if s.n.remote != nil {
			s.n.remote("peer", peerID, s.self, msg)
		}
	})
	return nil
}

func (s nodeSignaller) SendToBrowser(meetingID string, msg []byte) error {
	s.n.deliver("browser-"+s.self, func() {
		s.n.mu.Lock()
		b := s.n.brow[s.self]
		s.n.mu.Unlock()
		if b != nil {
			b.handle(msg)
		} else if s.n.remote != nil {
			s.n.remote("browser", s.self, "", msg)
		}
	})
	return nil
}

// inject delivers a message that came from another process (see testNet.remote).
func (n *testNet) inject(kind, to, from string, msg []byte) {
	switch kind {
	case "peer":
		n.deliver(to, func() {
			n.mu.Lock()
			e := n.engines[to]
			n.mu.Unlock()
			if e != nil {
				_ = e.HandlePeerSignal(testMeeting, from, msg)
			}
		})
	case "browser":
		n.deliver("browser-"+to, func() {
			n.mu.Lock()
			b := n.brow[to]
			n.mu.Unlock()
			if b != nil {
				b.handle(msg)
			}
		})
	case "node":
		n.deliver("node-of-browser-"+to, func() {
			n.mu.Lock()
			e := n.engines[to]
			n.mu.Unlock()
			if e != nil {
				_ = e.HandleBrowserSignal(testMeeting, msg)
			}
		})
	}
}

func testConfig() Config {
	cfg := DefaultConfig()
	cfg.ListenIP = "127.0.0.1"
	cfg.MDNSQuery = false
	cfg.ICEDisconnectedTimeout = time.Second
	cfg.ICEFailedTimeout = 2 * time.Second
	cfg.ICEKeepalive = 200 * time.Millisecond
	cfg.RestartAfter = time.Second
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() && os.Getenv("MEDIA_LOG") != "" {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return cfg
}

// startEngine runs an engine for peer id, joined to testMeeting.
func (n *testNet) startEngine(id string, wrap func(net.PacketConn) net.PacketConn) *Engine {
	cfg := testConfig()
	cfg.Signaller = nodeSignaller{n: n, self: id}
	cfg.WrapConn = wrap
	if n.config != nil {
		n.config(&cfg)
	}
	e, err := New(cfg)
	if err != nil {
		n.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	run := func() { done <- e.Run(ctx) }
	if n.spawnRun != nil {
		n.spawnRun(id, run)
	} else {
		go run()
	}
	n.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			n.t.Errorf("run %s: %v", id, err)
		}
		_ = e.Close()
	})
	select {
	case <-e.Ready():
	case <-time.After(5 * time.Second):
		n.t.Fatal("engine not ready")
	}
	if err := e.Join(testMeeting, id); err != nil {
		n.t.Fatal(err)
	}
	n.mu.Lock()
	n.engines[id] = e
	n.mu.Unlock()
	return e
}

// fakeBrowser is a pion PeerConnection speaking the browser side of the protocol; it
// publishes the VP8 and Opus clips and counts what it receives per participant.
type fakeBrowser struct {
	t       testing.TB
	n       *testNet
	node    string
	e       *Engine
	pc      *webrtc.PeerConnection
	publish bool
	video   *webrtc.TrackLocalStaticSample // the VP8 clip
	synth   *webrtc.TrackLocalStaticRTP    // or synthetic VP9 / H.264 (videoCodec)
	vcodec  string
	audio   *webrtc.TrackLocalStaticSample
	layers  []*webrtc.TrackLocalStaticSample // simulcast camera: q, h, f (startSimulcastBrowser)
	stamper *RIDStamper                      // marks the simulcast layers
	plis    atomic.Int64
	// simulcast: a layer's "encoder" restarts (keyframe), and the requests per layer
	layerKey  [numLayers]atomic.Bool
	layerPLIs [numLayers]atomic.Int64
	restart   atomic.Bool
	// talker: publishes only a microphone, on talk, at the audio level in level (dBov
	// below 0; -1: muted, no packets) (loudest_test.go)
	talk    *webrtc.TrackLocalStaticRTP
	level   atomic.Int32
	closing atomic.Bool

	mu        sync.Mutex
	started   bool
	offers    int
	links     []LinkStats // from the last "links" message
	lastMeta  map[string]TrackInfo
	recv      map[string]*recvCount // "<peerID>/<kind>"
	connected time.Time
}

type recvCount struct {
	height    int32 // of the last VP8 keyframe
	jumps     int   // sequence numbers or timestamps out of line: not one stream
	lastSeq   uint16
	lastTS    uint32
	codec     string
	first     byte // first payload byte of the first packet
	packets   int
	keyframes int
	firstKey  time.Time
	maxGap    int // the most sequence numbers missing in a row (count)
	highest   uint16
	missing   map[uint16]bool // not received (yet: NACK may bring them)
	level     int             // the audio level extension of the last packet, -1: none
}

func (n *testNet) startBrowser(node string, publish bool) *fakeBrowser {
	return n.startBrowserCodec(node, publish, webrtc.MimeTypeVP8)
}

// startBrowserCodec starts a browser that publishes its video with codec mime: the VP8 clip,
// or synthetic VP9 or H.264 frames (see playSynthetic).
func (n *testNet) startBrowserCodec(node string, publish bool, mime string) *fakeBrowser {
	return n.startBrowserOpts(node, publish, mime, false, nil)
}

// startSimulcastBrowserWith starts a publishing VP8 browser that negotiates the simulcast
// header extensions and that setup adjusts before it says hello.
func (n *testNet) startSimulcastBrowserWith(node string, setup func(*fakeBrowser)) *fakeBrowser {
	return n.startBrowserOpts(node, true, webrtc.MimeTypeVP8, true, setup)
}

func (n *testNet) startBrowserOpts(node string, publish bool, mime string, simulcast bool, setup func(*fakeBrowser)) *fakeBrowser {
	me := &webrtc.MediaEngine{}
	if err := me.RegisterDefaultCodecs(); err != nil {
		n.t.Fatal(err)
	}
	// As browsers do: the level of each audio packet (the talker stamps it; every
	// browser reads what it receives, recvCount.level).
	if err := me.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: sdp.AudioLevelURI}, webrtc.RTPCodecTypeAudio); err != nil {
		n.t.Fatal(err)
	}
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	// A lean interceptor registry (pion's defaults otherwise): only what marks a
	// simulcast layer, as browsers do.
	if simulcast {
		if err := webrtc.ConfigureSimulcastExtensionHeaders(me); err != nil {
			n.t.Fatal(err)
		}
	}
	stamper := &RIDStamper{}
	reg := &interceptor.Registry{}
	reg.Add(stamper)
	api := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se),
		webrtc.WithInterceptorRegistry(reg))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		n.t.Fatal(err)
	}
	n.mu.Lock()
	e := n.engines[node]
	n.mu.Unlock()
	b := &fakeBrowser{t: n.t, n: n, node: node, e: e, pc: pc, publish: publish, recv: map[string]*recvCount{}, vcodec: mime, stamper: stamper}
	n.t.Cleanup(func() { b.closing.Store(true); _ = pc.Close() })
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c == nil {
			return
		}
		init := c.ToJSON()
		b.send(Signal{Type: TypeCandidate, Candidate: &init})
	})
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		if st == webrtc.PeerConnectionStateConnected {
			b.mu.Lock()
			b.connected = time.Now()
			b.mu.Unlock()
		}
	})
	pc.OnTrack(b.onTrack)
	if publish {
		switch mime {
		case webrtc.MimeTypeVP8:
			b.video, _ = webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "v", "self")
		case webrtc.MimeTypeVP9:
			b.synth, _ = webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: mime, ClockRate: 90000, SDPFmtpLine: fmtpVP9}, "v", "self")
		case webrtc.MimeTypeH264:
			b.synth, _ = webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: mime, ClockRate: 90000, SDPFmtpLine: fmtpH264CB}, "v", "self")
		default:
			n.t.Fatal("no synthetic video for", mime)
		}
		b.audio, _ = webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus}, "a", "self")
	}
	if setup != nil {
		setup(b)
	}
	n.mu.Lock()
	n.brow[node] = b
	n.mu.Unlock()
	b.send(Signal{Type: TypeHello, Simulcast: simulcast})
	return b
}

func (b *fakeBrowser) send(s Signal) {
	s.MeetingID = testMeeting
	msg := encodeSignal(s)
	b.n.deliver("node-of-browser-"+b.node, func() {
		if b.e == nil && b.n.remote != nil {
			b.n.remote("node", b.node, "", msg)
			return
		}
		if err := b.e.HandleBrowserSignal(testMeeting, msg); err != nil {
			b.t.Logf("HandleBrowserSignal: %v", err)
		}
	})
}

func (b *fakeBrowser) handle(msg []byte) {
	if b.closing.Load() {
		return
	}
	s, err := DecodeSignal(msg)
	if err != nil {
		b.fail("browser got bad signal: %v", err)
		return
	}
	switch s.Type {
	case TypeOffer:
		b.mu.Lock()
		first := !b.started
		b.started = true
		b.mu.Unlock()
		if first && b.publish {
			// Sendonly transceivers added before the first offer take its mic and camera slots.
			var video webrtc.TrackLocal = b.video
			if b.synth != nil {
				video = b.synth
			}
			if b.layers != nil {
				video = b.layers[0]
			}
			publish := []webrtc.TrackLocal{b.audio, video}
			if b.talk != nil {
				publish = publish[:1]
				publish[0] = b.talk
			}
			for _, tr := range publish {
				t, err := b.pc.AddTransceiverFromTrack(tr, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
				if err != nil {
					b.fail("%v", err)
					return
				}
				if b.layers != nil && tr == video {
					for _, l := range b.layers[1:] {
						if err := t.Sender().AddEncoding(l); err != nil {
							b.fail("%v", err)
							return
						}
						b.n.wg.Add(1)
						go b.readRTCPOf(t.Sender(), l.RID())
					}
				}
				b.n.wg.Add(1)
				go b.readRTCP(t.Sender())
			}
			b.n.wg.Add(2)
			if b.talk != nil {
				b.n.wg.Done()
				go b.playTalk()
			} else if b.layers != nil {
				go b.playLayers()
			} else if b.synth != nil {
				go b.playSynthetic()
			} else {
				go b.playVideo()
			}
			if b.talk == nil {
				go b.playAudio()
			}
		}
		if err := b.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: s.SDP}); err != nil {
			b.fail("browser SRD: %v", err)
			return
		}
		if first && b.publish {
			for _, tr := range b.pc.GetTransceivers() {
				if b.layers != nil && tr.Sender() != nil && tr.Sender().Track() == b.layers[0] {
					b.stamper.Stamp(tr)
				}
				if tr.Sender() != nil && tr.Mid() != s.Publish[map[webrtc.RTPCodecType]string{webrtc.RTPCodecTypeAudio: "mic", webrtc.RTPCodecTypeVideo: "camera"}[tr.Kind()]] {
					b.fail("publishing on mid %s, want the offer's publish slots %v", tr.Mid(), s.Publish)
				}
			}
		}
		a, err := b.pc.CreateAnswer(nil)
		if err == nil {
			err = b.pc.SetLocalDescription(a)
		}
		if err != nil {
			b.fail("browser answer: %v", err)
			return
		}
		b.mu.Lock()
		b.offers++
		b.lastMeta = s.Tracks
		b.mu.Unlock()
		b.send(Signal{Type: TypeAnswer, SDP: a.SDP})
	case TypeCandidate:
		_ = b.pc.AddICECandidate(*s.Candidate)
	case TypeLinks:
		b.mu.Lock()
		b.links = s.Links
		b.mu.Unlock()
	}
}

// linkStatus is the status of the node's link to peer, as the node last told the page.
func (b *fakeBrowser) linkStatus(peer string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, l := range b.links {
		if l.PeerID == peer {
			return l.Status
		}
	}
	return ""
}

// fail reports an error unless the test is already tearing the browser down.
func (b *fakeBrowser) fail(format string, args ...any) {
	if !b.closing.Load() {
		b.t.Errorf(format, args...)
	}
}

func (b *fakeBrowser) readRTCP(s *webrtc.RTPSender) {
	b.readRTCPOf(s, "")
}

// readRTCPOf reads the RTCP of one simulcast layer (rid), or of the sender's only one.
func (b *fakeBrowser) readRTCPOf(s *webrtc.RTPSender, rid string) {
	defer b.n.wg.Done()
	for {
		read := s.ReadRTCP
		if rid != "" {
			read = func() ([]rtcp.Packet, interceptor.Attributes, error) { return s.ReadSimulcastRTCP(rid) }
		}
		pkts, _, err := read()
		if err != nil {
			return
		}
		for _, p := range pkts {
			if pli, ok := p.(*rtcp.PictureLossIndication); ok {
				b.plis.Add(1)
				b.restart.Store(true) // the "encoder" answers with a keyframe
				b.layerPLI(s, pli.MediaSSRC)
			}
		}
	}
}

func (b *fakeBrowser) playVideo() {
	defer b.n.wg.Done()
	video, _ := clips()
	t := time.NewTicker(33 * time.Millisecond)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-b.n.ctx.Done():
			return
		case <-t.C:
		}
		if b.restart.Swap(false) {
			i = 0
		}
		if err := b.video.WriteSample(media.Sample{Data: video[i%len(video)], Duration: 33 * time.Millisecond}); err != nil {
			return
		}
	}
}

// synthFrame returns the RTP payloads of one synthetic frame of codec mime: a keyframe or
// not, as the keyframe detectors (and RFC 9628 / RFC 6184 packetization) see them.
func synthFrame(mime string, key bool) [][]byte {
	body := make([]byte, 400)
	switch mime {
	case webrtc.MimeTypeVP9: // descriptor I|P|L|F|B|E|V|Z, two packets per frame
		first, last := byte(0x08), byte(0x04)
		if !key {
			first, last = first|0x40, last|0x40
		}
		return [][]byte{append([]byte{first}, body...), append([]byte{last}, body...)}
	default: // H.264: STAP-A(SPS, PPS) + IDR, or one non-IDR slice
		if !key {
			return [][]byte{append([]byte{0x41}, body...)}
		}
		sps, pps := []byte{0x67, 0x42, 0xe0, 0x1f}, []byte{0x68, 0xce, 0x3c, 0x80}
		stap := []byte{0x78, 0, byte(len(sps))}
		stap = append(stap, sps...)
		stap = append(stap, 0, byte(len(pps)))
		stap = append(stap, pps...)
		return [][]byte{stap, append([]byte{0x65}, body...)}
	}
}

// playSynthetic sends synthetic frames at 30 fps, a keyframe every second and in answer to a PLI.
func (b *fakeBrowser) playSynthetic() {
	defer b.n.wg.Done()
	t := time.NewTicker(33 * time.Millisecond)
	defer t.Stop()
	var seq uint16
	for i := 0; ; i++ {
		select {
		case <-b.n.ctx.Done():
			return
		case <-t.C:
		}
		key := i%30 == 0 || b.restart.Swap(false)
		pkts := synthFrame(b.vcodec, key)
		for j, payload := range pkts {
			seq++
			p := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: uint32(i) * 3000,
				Marker: j == len(pkts)-1}, Payload: payload}
			if err := b.synth.WriteRTP(p); err != nil {
				return
			}
		}
	}
}

func (b *fakeBrowser) playAudio() {
	defer b.n.wg.Done()
	_, audio := clips()
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-b.n.ctx.Done():
			return
		case <-t.C:
		}
		if err := b.audio.WriteSample(media.Sample{Data: audio[i%len(audio)], Duration: 20 * time.Millisecond}); err != nil {
			return
		}
	}
}

func (b *fakeBrowser) onTrack(track *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
	levelID := levelExtID(recv)
	key := track.StreamID() + "/" + track.Kind().String()
	isKey := keyframeFunc(track.Codec().MimeType)
	b.mu.Lock()
	if b.recv[key] == nil {
		b.recv[key] = &recvCount{missing: map[uint16]bool{}}
	}
	c := b.recv[key]
	c.codec = track.Codec().MimeType
	b.mu.Unlock()
	for {
		p, _, err := track.ReadRTP()
		if err != nil {
			return
		}
		kf := isKey != nil && isKey(p.Payload)
		b.mu.Lock()
		if c.packets > 0 {
			if d := p.SequenceNumber - c.lastSeq; d > 100 && d < 65436 {
				c.jumps++
			}
			if d := int32(p.Timestamp - c.lastTS); d < -90000 || d > 10*90000 {
				c.jumps++
			}
		}
		switch d := p.SequenceNumber - c.highest; {
		case c.packets == 0 || d >= 0x8000:
			delete(c.missing, p.SequenceNumber) // first, or a retransmission
		case d <= 100:
			for s := c.highest + 1; s != p.SequenceNumber; s++ {
				c.missing[s] = true
			}
		}
		if d := p.SequenceNumber - c.highest; c.packets == 0 || d < 0x8000 {
			c.highest = p.SequenceNumber
		}
		c.level = -1
		if ext := p.GetExtension(levelID); levelID != 0 && len(ext) == 1 {
			c.level = int(ext[0] & 0x7f)
		}
		c.lastSeq, c.lastTS = p.SequenceNumber, p.Timestamp
		if _, h, ok := VP8KeyframeSize(p.Payload); kf && ok {
			c.height = int32(h)
		}
		if c.packets == 0 && len(p.Payload) > 0 {
			c.first = p.Payload[0]
		}
		c.packets++
		if kf {
			if c.keyframes == 0 {
				c.firstKey = time.Now()
			}
			c.keyframes++
		}
		b.mu.Unlock()
	}
}

func (b *fakeBrowser) count(peer, kind string) recvCount {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c := b.recv[peer+"/"+kind]; c != nil {
		cp := *c
		cp.missing = nil
		for s := range c.missing {
			if !c.missing[s-1] {
				n := 1
				for c.missing[s+uint16(n)] {
					n++
				}
				cp.maxGap = max(cp.maxGap, n)
			}
		}
		return cp
	}
	return recvCount{}
}

// forgetGaps clears what count reports missing and jumps so far (a test's steady state
// starts).
func (b *fakeBrowser) forgetGaps() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range b.recv {
		c.missing, c.jumps = map[uint16]bool{}, 0
	}
}

func (b *fakeBrowser) meta() map[string]TrackInfo {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.lastMeta
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
