// Package media is the node's WebRTC (pion) side: the browser↔node session, node↔node
// links of a meeting (full mesh) and the RTP forwarding between them.
package media

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pion/webrtc/v4"
)

// Signaller carries signalling out of the engine; the node implements it (peer messages
// over a libp2p stream, browser messages over the local WebSocket). The engine never
// dials anything itself. Calls may block briefly; they are made outside engine locks.
type Signaller interface {
	SendToPeer(peerID string, msg []byte) error
	SendToBrowser(meetingID string, msg []byte) error
}

// socketBuffer is the requested kernel buffer size of the media socket, each direction.
const socketBuffer = 4 << 20

// Engine is the media side of one node.
type Engine struct {
	cfg Config
	log *slog.Logger

	ready     chan struct{}
	closed    chan struct{}
	closeOnce sync.Once
	done      chan struct{} // closed when Run returns

	// set before ready is closed, read-only afterwards
	api        *webrtc.API // node↔node links
	apiBrowser *webrtc.API // the browser session (simulcast)
	ctx        context.Context
	addr       net.Addr

	mu       sync.Mutex
	running  bool
	stopping bool
	meetings map[string]*meeting
	wg       sync.WaitGroup

	batch *batchConn // the media socket; set before ready is closed

	extraICE atomic.Pointer[[]webrtc.ICEServer] // SetICEServers: e.g. TURN from the rendezvous
	turnDial turnDialer                         // TCP and TLS to TURN relays, TLS pinned (turntls.go)
}

// New checks cfg and returns an engine; it starts nothing.
func New(cfg Config) (*Engine, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Engine{
		cfg: cfg, log: cfg.Logger,
		ready: make(chan struct{}), closed: make(chan struct{}), done: make(chan struct{}),
		meetings: map[string]*meeting{},
	}, nil
}

// Ready is closed once Run has opened the media socket.
func (e *Engine) Ready() <-chan struct{} { return e.ready }

// UDPAddr is the media socket's address; nil before Ready.
func (e *Engine) UDPAddr() net.Addr {
	select {
	case <-e.ready:
		return e.addr
	default:
		return nil
	}
}

// Run opens the UDP mux and serves until ctx ends or Close is called; then it closes every
// PeerConnection and waits for all goroutines.
func (e *Engine) Run(ctx context.Context) error {
	e.mu.Lock()
	if e.running || e.stopping {
		e.mu.Unlock()
		return fmt.Errorf("run: %w", ErrClosed)
	}
	e.running = true
	e.mu.Unlock()
	defer close(e.done)

	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.ParseIP(e.cfg.ListenIP), Port: e.cfg.UDPPort})
	if err != nil {
		return fmt.Errorf("listen media port %d: %w", e.cfg.UDPPort, err)
	}
	// Room for bursts (a keyframe is tens of packets per stream, arriving at once from
	// every peer); the kernel caps these at net.core.{r,w}mem_max.
	_ = conn.SetReadBuffer(socketBuffer)
	_ = conn.SetWriteBuffer(socketBuffer)
	bc, err := newBatchConn(conn)
	if err != nil {
		_ = conn.Close()
		return err
	}
	e.batch = bc
	var pc net.PacketConn = bc
	if e.cfg.WrapConn != nil {
		pc = e.cfg.WrapConn(conn)
	}
	lf := pionLoggerFactory{log: e.log}
	mux := webrtc.NewICEUDPMux(lf.NewLogger("udpmux"), pc)
	api, err := newAPI(e.cfg, mux, lf, &e.turnDial, false)
	if err != nil {
		_ = mux.Close()
		return fmt.Errorf("media api: %w", err)
	}
	apiBrowser, err := newAPI(e.cfg, mux, lf, &e.turnDial, true)
	if err != nil {
		_ = mux.Close()
		return fmt.Errorf("media api: %w", err)
	}
	e.apiBrowser = apiBrowser
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	e.api, e.ctx, e.addr = api, runCtx, conn.LocalAddr()
	close(e.ready)
	e.log.Info("media engine listening", "udpAddr", e.addr.String())

	select {
	case <-ctx.Done():
	case <-e.closed:
	}
	e.mu.Lock()
	e.stopping = true
	ms := e.meetings
	e.meetings = map[string]*meeting{}
	e.mu.Unlock()
	cancel()
	for _, m := range ms {
		m.close()
	}
	e.wg.Wait()
	_ = mux.Close()
	return nil
}

// Close stops Run (if running) and waits for it; safe to call twice.
func (e *Engine) Close() error {
	e.closeOnce.Do(func() { close(e.closed) })
	e.mu.Lock()
	running := e.running
	e.stopping = true
	e.mu.Unlock()
	if running {
		<-e.done
	}
	return nil
}

// spawn runs f as a goroutine owned by Run; it refuses once Run is stopping.
func (e *Engine) spawn(f func()) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stopping {
		return false
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		f()
	}()
	return true
}

func (e *Engine) checkRunning() error {
	select {
	case <-e.ready:
	default:
		return ErrNotRunning
	}
	select {
	case <-e.closed:
		return ErrClosed
	case <-e.ctx.Done():
		return ErrClosed
	default:
		return nil
	}
}

// Join starts the media session of meetingID for this node, whose peer ID is self.
// Joining again is harmless.
func (e *Engine) Join(meetingID, self string) error {
	if meetingID == "" || self == "" {
		return fmt.Errorf("join meeting: %w", ErrConfig)
	}
	if err := e.checkRunning(); err != nil {
		return fmt.Errorf("join meeting %s: %w", meetingID, err)
	}
	m, err := e.join(meetingID, self)
	if m != nil {
		e.spawn(func() { m.loud.run(m.ctx) })
	}
	if m != nil && e.cfg.Synthetic {
		m.synthesize()
	}
	return err
}

// join adds the meeting; it returns it when it is new.
func (e *Engine) join(meetingID, self string) (*meeting, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stopping {
		return nil, fmt.Errorf("join meeting %s: %w", meetingID, ErrClosed)
	}
	if m := e.meetings[meetingID]; m != nil {
		if m.self != self {
			return nil, fmt.Errorf("join meeting %s as %s: %w", meetingID, self, ErrProtocol)
		}
		return nil, nil
	}
	m := newMeeting(e, meetingID, self)
	e.meetings[meetingID] = m
	e.log.Info("media meeting joined", "meetingId", meetingID)
	return m, nil
}

// SetPeers sets the remote nodes currently in the meeting (from presence), as a mesh: a
// link is opened to each new peer and closed to each removed one.
func (e *Engine) SetPeers(meetingID string, peers []string) error {
	return e.SetTopology(meetingID, peers, "")
}

// SetTopology sets the remote nodes in the meeting and its one relay: "" for a mesh,
// where every node sends to every other; else every node sends only to the relay (which
// may be this node), which forwards each node's tracks to all others.
func (e *Engine) SetTopology(meetingID string, peers []string, relay string) error {
	via := map[string]string{}
	if relay != "" {
		for _, p := range peers {
			via[p] = relay
		}
		via[e.selfIn(meetingID)], via[relay] = relay, relay
	}
	return e.SetSites(meetingID, peers, via)
}

// SetSites sets the remote nodes in the meeting and, for each node (this one too), the
// relay its media goes through: its site's (topology.go). Empty: a mesh.
func (e *Engine) SetSites(meetingID string, peers []string, via map[string]string) error {
	e.mu.Lock()
	m := e.meetings[meetingID]
	e.mu.Unlock()
	if m == nil {
		return fmt.Errorf("set peers of %s: %w", meetingID, ErrUnknownMeeting)
	}
	m.setPeers(peers, maps.Clone(via))
	return nil
}

// selfIn is this node's peer ID in a meeting, "" when it is in none.
func (e *Engine) selfIn(meetingID string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if m := e.meetings[meetingID]; m != nil {
		return m.self
	}
	return ""
}

// SetVideo says whose camera video this node forwards (last-N: the most recent
// speakers, the pinned); nil forwards everyone's. Microphones and screens are
// always forwarded; a camera let through again starts at its next keyframe.
func (e *Engine) SetVideo(meetingID string, peers []string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	m := e.meetings[meetingID]
	if m == nil {
		return fmt.Errorf("set video of %s: %w", meetingID, ErrUnknownMeeting)
	}
	m.video = nil
	if peers != nil {
		m.video = map[string]bool{}
		for _, p := range peers {
			m.video[p] = true
		}
	}
	m.gateAllLocked()
	return nil
}

// Leave ends the media session of meetingID: every link and the browser session close.
func (e *Engine) Leave(meetingID string) error {
	e.mu.Lock()
	m := e.meetings[meetingID]
	delete(e.meetings, meetingID)
	e.mu.Unlock()
	if m == nil {
		return fmt.Errorf("leave meeting %s: %w", meetingID, ErrUnknownMeeting)
	}
	m.sendBrowser(Signal{Type: TypeBye})
	m.close()
	e.log.Info("media meeting left", "meetingId", meetingID)
	return nil
}

func (e *Engine) meeting(id string) (*meeting, error) {
	if err := e.checkRunning(); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	m := e.meetings[id]
	if m == nil {
		return nil, ErrUnknownMeeting
	}
	return m, nil
}

// HandlePeerSignal takes a signalling message from node fromPeer (authenticated by the
// transport) for meetingID.
func (e *Engine) HandlePeerSignal(meetingID, fromPeer string, msg []byte) error {
	s, err := DecodeSignal(msg)
	if err != nil {
		return fmt.Errorf("peer signal from %s: %w", fromPeer, err)
	}
	if s.MeetingID != meetingID {
		return fmt.Errorf("peer signal from %s: meeting mismatch: %w", fromPeer, ErrProtocol)
	}
	m, err := e.meeting(meetingID)
	if err != nil {
		return fmt.Errorf("peer signal from %s for %s: %w", fromPeer, meetingID, err)
	}
	if err := m.handlePeer(fromPeer, s); err != nil {
		return fmt.Errorf("peer signal from %s for %s: %w", fromPeer, meetingID, err)
	}
	return nil
}

// HandleBrowserSignal takes a signalling message from the local browser for meetingID.
func (e *Engine) HandleBrowserSignal(meetingID string, msg []byte) error {
	s, err := DecodeSignal(msg)
	if err != nil {
		return fmt.Errorf("browser signal: %w", err)
	}
	if s.MeetingID != meetingID {
		return fmt.Errorf("browser signal: meeting mismatch: %w", ErrProtocol)
	}
	m, err := e.meeting(meetingID)
	if err != nil {
		return fmt.Errorf("browser signal for %s: %w", meetingID, err)
	}
	if err := m.handleBrowser(s); err != nil {
		return fmt.Errorf("browser signal for %s: %w", meetingID, err)
	}
	return nil
}

// newPeerConnection makes a PeerConnection; one to another node (peer) gets the
// STUN/TURN servers, one to the browser on loopback needs none.
func (e *Engine) newPeerConnection(peer bool) (*webrtc.PeerConnection, error) {
	var c webrtc.Configuration
	if peer {
		c.ICEServers = e.iceServers()
		if e.cfg.RelayOnly {
			c.ICETransportPolicy = webrtc.ICETransportPolicyRelay
		}
	}
	if !peer {
		return e.apiBrowser.NewPeerConnection(c)
	}
	return e.api.NewPeerConnection(c)
}

// SetICEServers sets STUN/TURN servers used next to Config.ICEServers by links
// made from now on (the node hands in TURN credentials from its rendezvous
// servers and renews them).
func (e *Engine) SetICEServers(servers []webrtc.ICEServer) {
	s := slices.Clone(servers)
	e.extraICE.Store(&s)
	// Links made before (say, while the first credentials were on their way) take
	// them too: the next ICE restart gathers with them.
	e.mu.Lock()
	var links []*peerLink
	for _, m := range e.meetings {
		for _, l := range m.links {
			links = append(links, l)
		}
	}
	e.mu.Unlock()
	for _, l := range links {
		l.lp.do(func() {
			c := l.pc.GetConfiguration()
			c.ICEServers = e.iceServers()
			l.logErr(l.pc.SetConfiguration(c))
		})
	}
}

func (e *Engine) iceServers() []webrtc.ICEServer {
	out := slices.Clone(e.cfg.ICEServers)
	if p := e.extraICE.Load(); p != nil {
		out = append(out, *p...)
	}
	if e.cfg.TURNTLSOnly {
		for i := range out {
			out[i].URLs = slices.DeleteFunc(slices.Clone(out[i].URLs), func(u string) bool { return !strings.HasPrefix(u, "turns:") })
		}
		out = slices.DeleteFunc(out, func(s webrtc.ICEServer) bool { return len(s.URLs) == 0 })
	}
	return out
}
