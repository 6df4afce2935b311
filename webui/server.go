package webui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"
)

// ErrClosed is returned by Run when the server was closed before or while it ran.
var ErrClosed = errors.New("webui server closed")

const (
	defaultAddr      = "127.0.0.1:7700"
	defaultRateLimit = rate.Limit(50)
	defaultBurst     = 200
	shutdownTimeout  = 5 * time.Second
)

// Config configures the local API server.
type Config struct {
	// Addr is the TCP address to listen on; default "127.0.0.1:7700". Use port 0 in tests.
	Addr string
	// Token is the per-node API token (see LoadToken). Required.
	Token string
	// Backend answers the API calls. Required.
	Backend Backend
	// Logger receives the server's logs; nil discards them.
	Logger *slog.Logger
	// Metrics, when set, is served at GET /metrics.
	Metrics prometheus.Gatherer
	// RateLimit is the sustained number of requests per second allowed to the
	// holder of Token (counted after authentication, so requests without it
	// never use this allowance up; they share a small bucket of their own);
	// zero means the default (50). Use rate.Inf to disable.
	RateLimit rate.Limit
	// Burst is the number of requests the token may send at once; zero means the default (200).
	Burst int
	// MaxUpload, when set, refuses a shared file that announces more bytes
	// (413) before reading it; the backend enforces its own limit anyway.
	MaxUpload int64
}

// DefaultConfig returns a Config with every optional field set to its default.
func DefaultConfig() Config {
	return Config{
		Addr:      defaultAddr,
		RateLimit: defaultRateLimit,
		Burst:     defaultBurst,
	}
}

// Server serves the local HTTP/WebSocket API and the embedded browser app.
type Server struct {
	cfg       Config
	log       *slog.Logger
	backend   Backend
	handler   http.Handler
	limits    limits
	tickets   *ticketStore
	ticketed  *http.ServeMux // the routes a ticket may open (see tickets.go)
	ws        wsDispatch
	wsTimeout time.Duration // per-write timeout on WebSockets

	ready     chan struct{}
	closeOnce sync.Once
	closed    chan struct{}

	mu       sync.Mutex
	running  bool   // Run was called
	addr     string // bound address once listening
	stopping bool   // no new WebSockets are accepted
	wsWG     sync.WaitGroup
}

// New checks cfg and builds a Server. It starts nothing.
func New(cfg Config) (*Server, error) {
	if cfg.Token == "" {
		return nil, errors.New("webui: config: Token is required")
	}
	if cfg.Backend == nil {
		return nil, errors.New("webui: config: Backend is required")
	}
	if cfg.Addr == "" {
		cfg.Addr = defaultAddr
	}
	if err := loopbackListen(cfg.Addr); err != nil {
		return nil, err
	}
	if cfg.RateLimit == 0 {
		cfg.RateLimit = defaultRateLimit
	}
	if cfg.Burst <= 0 {
		cfg.Burst = defaultBurst
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		cfg:       cfg,
		log:       logger,
		backend:   cfg.Backend,
		limits:    newLimits(cfg.RateLimit, cfg.Burst),
		tickets:   newTicketStore(),
		ws:        wsDispatch{},
		wsTimeout: wsWriteTimeout,
		ready:     make(chan struct{}),
		closed:    make(chan struct{}),
		addr:      cfg.Addr,
	}
	if sg, ok := cfg.Backend.(BrowserSignaller); ok {
		s.ws["signal"] = func(ctx context.Context, id string, data json.RawMessage) error {
			return sg.BrowserSignal(ctx, id, data)
		}
	}
	s.handler = s.secure(s.routes())
	return s, nil
}

// Handler returns the server's complete HTTP handler, with all security checks.
func (s *Server) Handler() http.Handler { return s.handler }

// Ready is closed once the server listens.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Addr returns the bound address once Ready is closed, else the configured one.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// URL returns the base URL of the UI, e.g. "http://127.0.0.1:7700".
func (s *Server) URL() string { return "http://" + s.Addr() }

// Close stops a running server (Run then returns) or keeps Run from starting.
// It is safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { close(s.closed) })
	return nil
}

// Run listens on Config.Addr and serves until ctx ends or Close is called,
// then shuts down and waits for every goroutine it started, WebSockets included.
func (s *Server) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.running {
		s.mu.Unlock()
		return errors.New("webui: Run called twice")
	}
	s.running = true
	s.mu.Unlock()

	select {
	case <-s.closed:
		return ErrClosed
	default:
	}

	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("webui: listen on %s: %w", s.cfg.Addr, err)
	}
	if a, ok := ln.Addr().(*net.TCPAddr); !ok || !a.IP.IsLoopback() { // "localhost" may resolve elsewhere
		_ = ln.Close()
		return loopbackListen(ln.Addr().String())
	}
	s.mu.Lock()
	s.addr = ln.Addr().String()
	s.mu.Unlock()

	baseCtx, cancelBase := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelBase()
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return baseCtx },
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	s.log.Info("webui listening", "addr", s.Addr())
	close(s.ready)

	var runErr error
	select {
	case <-ctx.Done():
	case <-s.closed:
	case err := <-serveErr:
		runErr = fmt.Errorf("webui: serve: %w", err)
		serveErr <- nil // let the shutdown path below read it again
	}

	s.mu.Lock()
	s.stopping = true
	s.mu.Unlock()

	shutCtx, cancelShut := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancelShut()
	if err := srv.Shutdown(shutCtx); err != nil {
		s.log.Warn("webui shutdown incomplete", "err", err)
		_ = srv.Close()
	}
	cancelBase() // ends the WebSockets, whose connections Shutdown does not track
	s.wsWG.Wait()
	if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) && runErr == nil {
		runErr = fmt.Errorf("webui: serve: %w", err)
	}
	s.log.Info("webui stopped")
	return runErr
}

// wsBegin registers a WebSocket with Run; it reports false once shutdown has begun.
func (s *Server) wsBegin() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping {
		return false
	}
	s.wsWG.Add(1)
	return true
}
