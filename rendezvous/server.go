package rendezvous

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/protocol/circuitv2/proto"
	ma "github.com/multiformats/go-multiaddr"
)

// Server is a rendezvous server with a circuit relay v2 service.
type Server struct {
	cfg    Config
	listen []ma.Multiaddr
	log    *slog.Logger
	store  *store
	limits *limiters

	ready     chan struct{} // closed once listening
	closing   chan struct{} // closed by Close
	done      chan struct{} // closed when Run has returned
	closeOnce sync.Once

	mu       sync.Mutex
	started  bool      // Run was called
	stopping bool      // no new stream handlers
	h        host.Host // set while serving
	runCtx   context.Context
	handlers sync.WaitGroup // stream handlers in flight
	turn     *turnRelay     // set before the stream handler, when configured
	since    time.Time      // when it began serving (Health)
}

// New validates cfg and returns a Server. It starts nothing.
func New(cfg Config) (*Server, error) {
	listen, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	st := newStore(cfg.MaxRegistrationsPerPeer, cfg.MaxRegistrations)
	st.waits.maxPerPeer, st.waits.maxTotal = cfg.MaxWaitsPerPeer, cfg.MaxWaits
	return &Server{
		cfg:     cfg,
		listen:  listen,
		log:     log,
		store:   st,
		limits:  newLimiters(cfg.RateLimit, cfg.RateBurst),
		ready:   make(chan struct{}),
		closing: make(chan struct{}),
		done:    make(chan struct{}),
	}, nil
}

// TURNURLs are the TURN relay's URLs (UDP, TCP) once Ready; none without one.
func (s *Server) TURNURLs() []string {
	if s.turn == nil {
		return nil
	}
	return s.turn.urls
}

// Ready is closed once the server listens and its relay runs.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// ID returns the server's peer ID.
func (s *Server) ID() peer.ID {
	id, _ := peer.IDFromPrivateKey(s.cfg.PrivKey) // validated key: cannot fail
	return id
}

// Addrs returns the server's full multiaddrs (with /p2p/<id>) while it
// serves, unspecified listen addresses expanded to the interface addresses;
// nil before Ready and after Run returned.
func (s *Server) Addrs() []ma.Multiaddr {
	s.mu.Lock()
	h := s.h
	s.mu.Unlock()
	if h == nil {
		return nil
	}
	var direct []ma.Multiaddr
	for _, a := range h.Addrs() {
		if !isCircuit(a) {
			direct = append(direct, a)
		}
	}
	full, err := peer.AddrInfoToP2pAddrs(&peer.AddrInfo{ID: h.ID(), Addrs: direct})
	if err != nil {
		return nil
	}
	return full
}

// Run starts the libp2p host and serves until ctx is done or Close is
// called, then closes everything and waits for its goroutines. It returns
// nil on such a stop; it may be called once.
func (s *Server) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return fmt.Errorf("run: %w: already started", ErrNotReady)
	}
	s.started = true
	s.mu.Unlock()
	defer close(s.done)
	select {
	case <-s.closing:
		return nil
	default:
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	h, err := libp2p.New(
		libp2p.Identity(s.cfg.PrivKey),
		libp2p.ListenAddrs(s.listen...),
		libp2p.EnableRelayService(relayOptions(s.cfg.Relay)...),
		// The relay service only runs while the host believes it is
		// publicly reachable; a bootstrap server is, by definition.
		libp2p.ForceReachabilityPublic(),
		libp2p.DisableMetrics(), // no global Prometheus registry
	)
	if err != nil {
		return fmt.Errorf("run: start host: %w", err)
	}
	defer h.Close()

	if err := waitRelay(ctx, s.closing, h); err != nil {
		if errors.Is(err, errStopped) {
			return nil
		}
		return fmt.Errorf("run: wait for relay: %w", err)
	}
	if s.cfg.TURN != nil {
		t, err := startTURN(s.cfg.TURN, s.log)
		if err != nil {
			return fmt.Errorf("run: %w", err)
		}
		defer t.close()
		s.turn = t
		s.log.Info("TURN relay listening", "urls", strings.Join(t.urls, " "))
	}

	s.mu.Lock()
	s.h = h
	s.runCtx = ctx
	s.since = time.Now()
	s.mu.Unlock()
	h.SetStreamHandler(ProtocolID, s.handleStream)
	close(s.ready)
	s.log.Info("rendezvous server listening", "peerId", h.ID().String(), "addrs", fmt.Sprint(s.Addrs()))

	var wg sync.WaitGroup
	wg.Go(func() { s.sweepLoop(ctx) })

	select {
	case <-ctx.Done():
	case <-s.closing:
	}
	cancel()

	s.mu.Lock()
	s.stopping = true
	s.h = nil
	s.mu.Unlock()
	h.RemoveStreamHandler(ProtocolID)
	err = h.Close() // resets every stream, so handlers return
	s.handlers.Wait()
	wg.Wait()
	s.log.Info("rendezvous server stopped")
	if err != nil {
		return fmt.Errorf("run: close host: %w", err)
	}
	return nil
}

// Close stops a running server and waits for Run to return. It is safe to
// call more than once, and before Run (Run then returns at once).
func (s *Server) Close() error {
	s.closeOnce.Do(func() { close(s.closing) })
	s.mu.Lock()
	started := s.started
	s.mu.Unlock()
	if started {
		<-s.done
	}
	return nil
}

// errStopped reports a stop requested while the server was starting.
var errStopped = errors.New("stopped while starting")

// waitRelay waits until the relay service (started by the host once the
// forced public reachability is announced) handles the hop protocol.
func waitRelay(ctx context.Context, closing <-chan struct{}, h host.Host) error {
	sub, err := h.EventBus().Subscribe(new(event.EvtLocalProtocolsUpdated))
	if err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	defer sub.Close()
	timeout := time.NewTimer(30 * time.Second)
	defer timeout.Stop()
	for !slices.Contains(h.Mux().Protocols(), proto.ProtoIDv2Hop) {
		select {
		case <-sub.Out():
		case <-ctx.Done():
			return errStopped
		case <-closing:
			return errStopped
		case <-timeout.C:
			return errors.New("relay service did not start")
		}
	}
	return nil
}

// sweepLoop drops expired registrations and idle rate limiters.
func (s *Server) sweepLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if n := s.store.sweep(); n > 0 {
				s.log.Debug("expired registrations dropped", "count", n)
			}
			s.limits.sweep(now)
		}
	}
}

// startHandler registers a stream handler in flight; it returns the host
// and the run context, or ok false once the server is stopping.
func (s *Server) startHandler() (h host.Host, ctx context.Context, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping || s.h == nil {
		return nil, nil, false
	}
	s.handlers.Add(1)
	return s.h, s.runCtx, true
}
