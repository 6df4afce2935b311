package rendezvous

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

const testTimeout = 20 * time.Second

func testLogger() *slog.Logger {
	if os.Getenv("RENDEZVOUS_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func newKey(t testing.TB) crypto.PrivKey {
	t.Helper()
	k, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// testConfig is a config listening on loopback ports chosen by the kernel.
func testConfig(t testing.TB) Config {
	cfg := DefaultConfig()
	cfg.PrivKey = newKey(t)
	cfg.ListenAddrs = []string{"/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1"}
	cfg.Logger = testLogger()
	return cfg
}

// startServer runs a server until the test ends.
func startServer(t testing.TB, mutate func(*Config)) *Server {
	t.Helper()
	cfg := testConfig(t)
	if mutate != nil {
		mutate(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	runServer(t, srv)
	return srv
}

// runServer runs srv until the test ends and waits until it is ready.
func runServer(t testing.TB, srv *Server) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	select {
	case <-srv.Ready():
	case err := <-errc:
		errc <- err
		t.Fatalf("server stopped before ready: %v", err)
	case <-time.After(testTimeout):
		t.Fatal("server not ready")
	}
}

// serverInfo returns the server's AddrInfo, restricted to addresses
// matching keep (all if nil).
func serverInfo(t testing.TB, srv *Server, keep func(ma.Multiaddr) bool) peer.AddrInfo {
	t.Helper()
	infos, err := peer.AddrInfosFromP2pAddrs(srv.Addrs()...)
	if err != nil || len(infos) != 1 {
		t.Fatalf("server addrs %v: %v", srv.Addrs(), err)
	}
	ai := infos[0]
	var addrs []ma.Multiaddr
	for _, a := range ai.Addrs {
		if keep == nil || keep(a) {
			addrs = append(addrs, a)
		}
	}
	ai.Addrs = addrs
	return ai
}

func isTCP(a ma.Multiaddr) bool {
	_, err := a.ValueForProtocol(ma.P_TCP)
	return err == nil
}

// newHost returns a libp2p host on a loopback TCP port, closed when the test
// ends.
func newHost(t testing.TB, opts ...libp2p.Option) host.Host {
	t.Helper()
	base := []libp2p.Option{
		libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"),
		libp2p.DisableMetrics(),
	}
	h, err := libp2p.New(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close() })
	return h
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// fakeClock is a settable clock for the store.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Unix(1_700_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

var errNotFound = errors.New("not found")

// findPeer returns the AddrInfo of id in infos.
func findPeer(infos []peer.AddrInfo, id peer.ID) (peer.AddrInfo, error) {
	for _, ai := range infos {
		if ai.ID == id {
			return ai, nil
		}
	}
	return peer.AddrInfo{}, errNotFound
}
