package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
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

	pc  *webrtc.PeerConnection
	ws  *websocket.Conn
	mux io.Closer

	video    []*webrtc.TrackLocalStaticRTP // one per layer sent: layers[len(layers)-len(video):]
	audio    *webrtc.TrackLocalStaticRTP
	sent     [4]atomic.Int64 // packets sent per layer (index as in layers), audio last
	restart  atomic.Bool     // a PLI came: start the clip again at its keyframe
	started  bool
	simulcst bool // the node's offer takes simulcast: three layers sent

	mu      sync.Mutex
	offered map[string]time.Time // "<peer>/<kind>" → when an offer first listed that track
	subs    map[string]*sub      // "<peer>/<kind>"
	rxBytes int64
}

// sub is one remote track a participant receives.
type sub struct {
	peer, kind string
	offered    time.Time
	packets    int64
	layer      int // the layer of the last keyframe, -1 before one
	switches   int
	inKey      bool
	firstFrame time.Time // the end (marker) of the first keyframe
}

func peerKey(peer, kind string) string { return peer + "/" + kind }

// clientAPI is one participant's WebRTC stack: as lean as media's test browsers (no
// interceptors: no NACK, so delivery counts what the path delivered first time), with
// the RID header extensions a simulcast sender needs, on a socket of its own with a
// receive buffer as large as the nodes' (a default one overflows on a loaded machine
// and the loss would be the test rig's, not the relay's).
func clientAPI() (*webrtc.API, io.Closer, error) {
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
	return webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se),
		webrtc.WithInterceptorRegistry(&interceptor.Registry{})), mux, nil
}

// connect opens the PeerConnection and the events WebSocket and says hello: the node
// then offers.
func (p *participant) connect(ctx context.Context) error {
	api, mux, err := clientAPI()
	if err != nil {
		return err
	}
	p.mux = mux
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return err
	}
	p.pc = pc
	p.offered, p.subs = map[string]time.Time{}, map[string]*sub{}
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c != nil {
			init := c.ToJSON()
			p.signal(ctx, media.Signal{Type: media.TypeCandidate, Candidate: &init})
		}
	})
	pc.OnTrack(p.onTrack)
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
	go p.readEvents(ctx)
	p.signal(ctx, media.Signal{Type: media.TypeHello})
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

func (p *participant) readEvents(ctx context.Context) {
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
		s, err := media.DecodeSignal(ev.Data)
		if err != nil {
			continue
		}
		switch s.Type {
		case media.TypeOffer:
			if err := p.answer(ctx, s); err != nil {
				return
			}
		case media.TypeCandidate:
			_ = p.pc.AddICECandidate(*s.Candidate)
		}
	}
}

// answer takes an offer: the first adds the microphone and camera senders (they take
// the offer's publish mids, as the page's transceivers do), every one notes which
// tracks it lists and when.
func (p *participant) answer(ctx context.Context, s *media.Signal) error {
	if !p.started {
		p.started = true
		if err := p.addSenders(ctx, s.SDP); err != nil {
			return err
		}
	}
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: s.SDP}); err != nil {
		return err
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
	return nil
}

// addSenders adds the camera (three simulcast layers when the node's offer asks for
// them, else the full one) and the microphone (unless it is off), and starts playing.
func (p *participant) addSenders(ctx context.Context, offer string) error {
	p.simulcst = strings.Contains(offer, "a=simulcast:recv")
	first := len(layers) - 1
	if p.simulcst {
		first = 0
	}
	vp8 := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}
	var sender *webrtc.RTPSender
	for _, l := range layers[first:] {
		var opts []func(*webrtc.TrackLocalStaticRTP)
		if p.simulcst {
			opts = append(opts, webrtc.WithRTPStreamID(l.rid))
		}
		t, err := webrtc.NewTrackLocalStaticRTP(vp8, "camera", p.name, opts...)
		if err != nil {
			return err
		}
		p.video = append(p.video, t)
		if sender == nil {
			tr, err := p.pc.AddTransceiverFromTrack(t, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
			if err != nil {
				return err
			}
			sender = tr.Sender()
		} else if err := sender.AddEncoding(t); err != nil {
			return err
		}
	}
	for _, l := range layers[first:] {
		rid := ""
		if p.simulcst {
			rid = l.rid
		}
		go p.readRTCP(sender, rid)
	}
	go p.playVideo(ctx, first)
	if !p.mic {
		return nil
	}
	t, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "mic", p.name)
	if err != nil {
		return err
	}
	p.audio = t
	tr, err := p.pc.AddTransceiverFromTrack(t, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		return err
	}
	go p.readRTCP(tr.Sender(), "")
	go p.playAudio(ctx)
	return nil
}

// readRTCP answers a keyframe request as an encoder does: the next frame is a keyframe
// (the clips start with one, in every layer).
func (p *participant) readRTCP(s *webrtc.RTPSender, rid string) {
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
				p.restart.Store(true)
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
	}
	return nil
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
	at := 0 // the clip's frame: back to its first keyframe on a PLI
	pace(ctx, frameGap, func(int) error {
		if p.restart.Swap(false) {
			at = 0
		}
		for i, t := range p.video {
			if err := p.write(t, pz[i].Packetize(p.cl.video[first+i][at%p.cl.frames], videoTicks), first+i); err != nil {
				return err
			}
		}
		at++
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
		s = &sub{peer: track.StreamID(), kind: track.Kind().String(), layer: -1, offered: p.offered[k]}
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
		s.packets++
		p.rxBytes += int64(n)
		if video {
			if w, _, ok := vp8PayloadSize(pk.Payload); ok {
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
