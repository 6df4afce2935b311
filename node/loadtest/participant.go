package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"meshmeet/media"
	"meshmeet/node"
)

const (
	socketBuffer = 4 << 20 // as media's engine asks for; the kernel caps it at rmem_max
	mtu          = 1200
	frameGap     = time.Second / 30
	audioGap     = 20 * time.Millisecond
	audioTicks   = 960 // 20 ms at 48 kHz
	videoTicks   = 3000
)

// participant is one synthetic person: what a meeting page does, in pion. It talks to
// its node like the page: the events WebSocket carries the media signalling (the node
// offers, the participant answers and publishes on the offer's "publish" mids), and
// every remote track arrives on the one PeerConnection.
type participant struct {
	name   string
	peerID string
	api    *node.Client
	id     string // the meeting
	cl     *clips
	mic    bool
	gate   *sync.RWMutex // held for writing while the run pauses publishing (counting windows)
	paused *atomic.Bool
	view   []media.ViewTile // the tiles the "page" shows, sent after each hello (nil: none)

	rtc   *webrtc.API
	mux   io.Closer
	stamp *media.RIDStamper // marks the camera's layers with their mid and RID
	ws    *websocket.Conn
	in    chan *media.Signal // the node's signalling, in order
	// run owns pc and answered; a failed or closed pc is sent on failed
	pc         *webrtc.PeerConnection
	answered   bool
	camera     *webrtc.RTPTransceiver
	failed     chan *webrtc.PeerConnection
	reconnects atomic.Int64

	video    []*webrtc.TrackLocalStaticRTP // one per layer sent: layers[len(layers)-len(video):]
	audio    *webrtc.TrackLocalStaticRTP
	sent     [4]atomic.Int64  // packets sent per layer (index as in layers), audio last
	sentB    [4]atomic.Int64  // their bytes as media counts them: payload and a 12-byte header
	last     [4]atomic.Uint64 // the signature (sig) of the packet last sent on each, 0 before any
	restart  [3]atomic.Bool   // per layer: a PLI came, start its clip again at its keyframe
	simulcst atomic.Bool      // the node's first offer took simulcast: three layers sent
	first    int              // the smallest layer sent

	mu      sync.Mutex
	offered map[string]time.Time // "<peer>/<kind>" → when an offer first listed that track
	answers map[string]time.Time // … and when the answer to it went out
	up      time.Time            // when a PeerConnection to the node first connected
	subs    map[string]*sub      // "<peer>/<kind>"
}

// sub is one remote track a participant receives.
type sub struct {
	peer, kind string
	offered    time.Time
	answered   time.Time // the answer to the offer that listed it went out
	firstPkt   time.Time
	packets    int64
	lastSig    uint64 // of the last packet
	layer      int    // the layer of the last keyframe, -1 before one
	switches   int
	inKey      bool
	firstFrame time.Time // the end (marker) of the first keyframe
}

func peerKey(peer, kind string) string { return peer + "/" + kind }

// clientAPI is one participant's WebRTC stack: as lean as media's test browsers (no
// NACK, so delivery counts what the path delivered first time; the one interceptor is
// stamp, which marks a simulcast camera's packets as browsers do), with the mid and RID
// header extensions a simulcast sender needs, on a socket of its own with a receive
// buffer as large as the nodes' (a default one overflows on a loaded machine and the
// loss would be the test rig's, not the relay's).
func clientAPI(stamp *media.RIDStamper) (*webrtc.API, io.Closer, error) {
	me := &webrtc.MediaEngine{}
	if err := me.RegisterDefaultCodecs(); err != nil {
		return nil, nil, err
	}
	for _, uri := range []string{sdp.SDESMidURI, sdp.SDESRTPStreamIDURI} {
		if err := me.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: uri}, webrtc.RTPCodecTypeVideo); err != nil {
			return nil, nil, err
		}
	}
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, nil, err
	}
	_ = conn.SetReadBuffer(socketBuffer)
	_ = conn.SetWriteBuffer(socketBuffer)
	mux := webrtc.NewICEUDPMux(nil, conn)
	se := webrtc.SettingEngine{}
	se.SetICEUDPMux(mux)
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	reg := &interceptor.Registry{}
	if stamp != nil {
		reg.Add(stamp)
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se),
		webrtc.WithInterceptorRegistry(reg)), mux, nil
}

// connect opens the events WebSocket and the first media session.
func (p *participant) connect(ctx context.Context) error {
	p.stamp = &media.RIDStamper{}
	api, mux, err := clientAPI(p.stamp)
	if err != nil {
		return err
	}
	p.rtc, p.mux = api, mux
	p.offered, p.answers, p.subs = map[string]time.Time{}, map[string]time.Time{}, map[string]*sub{}
	p.in, p.failed = make(chan *media.Signal, 64), make(chan *webrtc.PeerConnection, 1)
	var t struct {
		URL string `json:"url"`
	}
	events := "/api/meetings/" + p.id + "/events"
	if err := p.api.Do(ctx, http.MethodPost, "/api/tickets", map[string]string{"url": events}, &t); err != nil {
		return fmt.Errorf("ticket: %w", err)
	}
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(p.api.Base, "http")+t.URL, nil)
	if err != nil {
		return fmt.Errorf("events websocket: %w", err)
	}
	ws.SetReadLimit(media.MaxSignalSize * 2)
	p.ws = ws
	if err := p.session(ctx); err != nil {
		return err
	}
	go p.readEvents(ctx)
	go p.run(ctx)
	return nil
}

// session starts a media session as a page does: a new PeerConnection, then hello
// (the camera can send simulcast) and the page's view; the node offers.
func (p *participant) session(ctx context.Context) error {
	pc, err := p.rtc.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return err
	}
	p.pc, p.answered = pc, false
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c != nil {
			init := c.ToJSON()
			p.signal(ctx, media.Signal{Type: media.TypeCandidate, Candidate: &init})
		}
	})
	pc.OnTrack(p.onTrack)
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		if st == webrtc.PeerConnectionStateConnected {
			p.mu.Lock()
			if p.up.IsZero() {
				p.up = time.Now()
			}
			p.mu.Unlock()
		}
		if st == webrtc.PeerConnectionStateFailed || st == webrtc.PeerConnectionStateClosed && ctx.Err() == nil {
			select {
			case p.failed <- pc:
			default:
			}
		}
	})
	p.signal(ctx, media.Signal{Type: media.TypeHello, Simulcast: true})
	if p.view != nil {
		p.signal(ctx, media.Signal{Type: media.TypeView, Tiles: p.view})
	}
	return nil
}

func (p *participant) signal(ctx context.Context, s media.Signal) {
	s.V, s.MeetingID = media.WireVersion, p.id
	b, err := json.Marshal(map[string]any{"type": "signal", "data": s})
	if err != nil {
		return
	}
	_ = p.ws.Write(ctx, websocket.MessageText, b) // a lost connection ends readEvents
}

// run owns the PeerConnection: it takes the node's signalling and, when the
// connection fails or the node closes it, starts a new session as the page does.
func (p *participant) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case s, ok := <-p.in:
			if !ok {
				return
			}
			switch s.Type {
			case media.TypeOffer:
				if p.answer(ctx, s) != nil && p.renew(ctx) != nil {
					return
				}
			case media.TypeCandidate:
				_ = p.pc.AddICECandidate(*s.Candidate)
			}
		case pc := <-p.failed:
			if pc == p.pc && p.renew(ctx) != nil {
				return
			}
		}
	}
}

// renew replaces the session's PeerConnection with a new one.
func (p *participant) renew(ctx context.Context) error {
	p.reconnects.Add(1)
	_ = p.pc.Close()
	return p.session(ctx)
}

func (p *participant) readEvents(ctx context.Context) {
	defer close(p.in)
	for {
		_, b, err := p.ws.Read(ctx)
		if err != nil {
			return
		}
		var ev struct {
			Type string          `json:"type"`
			Data json.RawMessage `json:"data"`
		}
		if json.Unmarshal(b, &ev) != nil || ev.Type != "signal" {
			continue
		}
		if s, err := media.DecodeSignal(ev.Data); err == nil {
			select {
			case p.in <- s:
			case <-ctx.Done():
				return
			}
		}
	}
}

// answer takes an offer: a session's first adds the microphone and camera senders
// (they take the offer's publish mids, as the page's transceivers do) and marks a
// simulcast camera's layers, every one notes which tracks it lists and when.
func (p *participant) answer(ctx context.Context, s *media.Signal) error {
	first := !p.answered
	if first {
		p.answered = true
		if p.video == nil {
			if err := p.makeTracks(ctx, s.SDP); err != nil {
				return err
			}
		}
		if err := p.addSenders(); err != nil {
			return err
		}
	}
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: s.SDP}); err != nil {
		return err
	}
	if first && p.simulcst.Load() {
		p.stamp.Stamp(p.camera) // the camera has the offer's mid now
	}
	now := time.Now()
	p.mu.Lock()
	for _, ti := range s.Tracks {
		k := peerKey(ti.PeerID, ti.Kind)
		if _, ok := p.offered[k]; !ok {
			p.offered[k] = now
		}
	}
	p.mu.Unlock()
	a, err := p.pc.CreateAnswer(nil)
	if err == nil {
		err = p.pc.SetLocalDescription(a)
	}
	if err != nil {
		return err
	}
	p.signal(ctx, media.Signal{Type: media.TypeAnswer, SDP: a.SDP})
	now = time.Now()
	p.mu.Lock()
	for _, ti := range s.Tracks {
		if k := peerKey(ti.PeerID, ti.Kind); p.answers[k].IsZero() {
			p.answers[k] = now
		}
	}
	p.mu.Unlock()
	return nil
}

// makeTracks makes the camera (three simulcast layers when the node's offer asks
// for them, else the full one) and the microphone (unless it is off), and starts
// playing the clips on them.
func (p *participant) makeTracks(ctx context.Context, offer string) error {
	p.simulcst.Store(strings.Contains(offer, "a=simulcast:recv"))
	p.first = len(layers) - 1
	if p.simulcst.Load() {
		p.first = 0
	}
	vp8 := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}
	for _, l := range layers[p.first:] {
		var opts []func(*webrtc.TrackLocalStaticRTP)
		if p.simulcst.Load() {
			opts = append(opts, webrtc.WithRTPStreamID(l.rid))
		}
		t, err := webrtc.NewTrackLocalStaticRTP(vp8, "camera", p.name, opts...)
		if err != nil {
			return err
		}
		p.video = append(p.video, t)
	}
	go p.playVideo(ctx, p.first)
	if !p.mic {
		return nil
	}
	t, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "mic", p.name)
	if err != nil {
		return err
	}
	p.audio = t
	go p.playAudio(ctx)
	return nil
}

// addSenders puts the camera and microphone on the session's PeerConnection.
func (p *participant) addSenders() error {
	sendonly := webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}
	tr, err := p.pc.AddTransceiverFromTrack(p.video[0], sendonly)
	if err != nil {
		return err
	}
	p.camera = tr
	for _, t := range p.video[1:] {
		if err := tr.Sender().AddEncoding(t); err != nil {
			return err
		}
	}
	for i, t := range p.video {
		go p.readRTCP(tr.Sender(), t.RID(), p.first+i)
	}
	if p.audio == nil {
		return nil
	}
	if tr, err = p.pc.AddTransceiverFromTrack(p.audio, sendonly); err != nil {
		return err
	}
	go p.readRTCP(tr.Sender(), "", -1)
	return nil
}

// readRTCP answers a keyframe request as an encoder does: the next frame of layer li
// (-1: the microphone) is a keyframe (the clips start with one, in every layer).
func (p *participant) readRTCP(s *webrtc.RTPSender, rid string, li int) {
	for {
		var pkts []rtcp.Packet
		var err error
		if rid == "" {
			pkts, _, err = s.ReadRTCP()
		} else {
			pkts, _, err = s.ReadSimulcastRTCP(rid)
		}
		if err != nil {
			return
		}
		for _, pk := range pkts {
			switch pk.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				if li >= 0 {
					p.restart[li].Store(true)
				}
			}
		}
	}
}

// write sends one frame's packets on t and counts them in sent[i], unless the run has
// paused publishing.
func (p *participant) write(t *webrtc.TrackLocalStaticRTP, pkts []*rtp.Packet, i int) error {
	p.gate.RLock()
	defer p.gate.RUnlock()
	if p.paused.Load() {
		return nil
	}
	for _, pk := range pkts {
		if err := t.WriteRTP(pk); err != nil {
			return err
		}
		p.sent[i].Add(1)
		p.sentB[i].Add(int64(len(pk.Payload) + 12))
		p.last[i].Store(sig(pk.Payload, i < len(layers)))
	}
	return nil
}

// lastSig is the signature of the packet last sent on layer i (audio: len(layers)).
func (p *participant) lastSig(i int) (uint64, bool) {
	v := p.last[i].Load()
	return v, v != 0
}

// sig tells one packet from the others a publisher sent lately, by what the nodes pass
// on untouched: the end of its payload, for VP8 past the payload descriptor. (Sequence
// numbers would not do: a node that switches a receiver's layer rewrites them, and the
// VP8 picture ID, to make the layers one stream.) Never 0.
func sig(payload []byte, vp8 bool) uint64 {
	if vp8 {
		var d codecs.VP8Packet
		if b, err := d.Unmarshal(payload); err == nil {
			payload = b
		}
	}
	h := fnv.New64a()
	_, _ = h.Write(payload[max(0, len(payload)-32):])
	return (h.Sum64() ^ uint64(len(payload))) | 1
}

// pace calls frame every gap with a running frame number until ctx ends or frame fails.
func pace(ctx context.Context, gap time.Duration, frame func(n int) error) {
	tick := time.NewTicker(gap)
	defer tick.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if frame(n) != nil {
			return
		}
	}
}

func (p *participant) playVideo(ctx context.Context, first int) {
	pz := make([]rtp.Packetizer, len(p.video))
	for i := range pz {
		pz[i] = rtp.NewPacketizer(mtu, 0, 0, &codecs.VP8Payloader{EnablePictureID: true}, rtp.NewRandomSequencer(), 90000)
	}
	at := make([]int, len(p.video)) // each layer's frame: back to its first keyframe on a PLI
	pace(ctx, frameGap, func(int) error {
		for i := len(p.video) - 1; i >= 0; i-- { // the full layer first, as the one most receivers get
			t := p.video[i]
			if p.restart[first+i].Swap(false) {
				at[i] = 0
			}
			if err := p.write(t, pz[i].Packetize(p.cl.video[first+i][at[i]%p.cl.frames], videoTicks), first+i); err != nil {
				return err
			}
			at[i]++
		}
		return nil
	})
}

func (p *participant) playAudio(ctx context.Context) {
	pz := rtp.NewPacketizer(mtu, 0, 0, &codecs.OpusPayloader{}, rtp.NewRandomSequencer(), 48000)
	pace(ctx, audioGap, func(n int) error {
		return p.write(p.audio, pz.Packetize(p.cl.audio[n%len(p.cl.audio)], audioTicks), len(layers))
	})
}

// onTrack counts one remote track: packets, and for video the layer of each keyframe
// (by its width) and when the first whole keyframe arrived.
func (p *participant) onTrack(track *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	k := peerKey(track.StreamID(), track.Kind().String())
	video := track.Kind() == webrtc.RTPCodecTypeVideo
	p.mu.Lock()
	s := p.subs[k]
	if s == nil {
		s = &sub{peer: track.StreamID(), kind: track.Kind().String(), layer: -1, offered: p.offered[k], answered: p.answers[k]}
		p.subs[k] = s
	}
	p.mu.Unlock()
	buf := make([]byte, 1500)
	var pk rtp.Packet
	for {
		n, _, err := track.Read(buf)
		if err != nil {
			return
		}
		if pk.Unmarshal(buf[:n]) != nil {
			continue
		}
		now := time.Now()
		p.mu.Lock()
		if s.packets++; s.firstPkt.IsZero() {
			s.firstPkt = now
		}
		s.lastSig = sig(pk.Payload, video)
		if video {
			if w, _, ok := media.VP8KeyframeSize(pk.Payload); ok {
				l := p.cl.layerOf(w)
				if s.layer >= 0 && l != s.layer {
					s.switches++
				}
				s.layer, s.inKey = l, true
			}
			if pk.Marker && s.inKey {
				s.inKey = false
				if s.firstFrame.IsZero() {
					s.firstFrame = now
				}
			}
		}
		p.mu.Unlock()
	}
}

// connectedAt is when a PeerConnection to the node first connected (zero: never).
func (p *participant) connectedAt() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.up
}

// received is a copy of the participant's counts.
func (p *participant) received() map[string]sub {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]sub, len(p.subs))
	for k, s := range p.subs {
		out[k] = *s
	}
	return out
}

func (p *participant) close() {
	if p.ws != nil {
		_ = p.ws.Close(websocket.StatusNormalClosure, "load test over")
	}
	if p.pc != nil {
		_ = p.pc.Close()
	}
	if p.mux != nil {
		_ = p.mux.Close()
	}
}
