package rendezvous

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
	}{
		{"no key", func(c *Config) { c.PrivKey = nil }},
		{"no listen", func(c *Config) { c.ListenAddrs = nil }},
		{"bad listen", func(c *Config) { c.ListenAddrs = []string{"not-an-addr"} }},
		{"zero ttl", func(c *Config) { c.MaxTTL = 0 }},
		{"ns too long", func(c *Config) { c.MaxNamespaceLen = 129 }},
		{"zero rate", func(c *Config) { c.RateLimit = 0 }},
		{"huge discover", func(c *Config) { c.MaxDiscoverLimit = maxDiscoverLimit + 1 }},
		{"zero wait", func(c *Config) { c.MaxWait = 0 }},
		{"no waits per peer", func(c *Config) { c.MaxWaitsPerPeer = 0 }},
		{"no waits", func(c *Config) { c.MaxWaits = 0 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t)
			tt.mutate(&cfg)
			if _, err := New(cfg); !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("New = %v, want ErrInvalidConfig", err)
			}
		})
	}
	if _, err := New(testConfig(t)); err != nil {
		t.Fatalf("New(valid) = %v", err)
	}
}

func TestServerLifecycle(t *testing.T) {
	srv, err := New(testConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	if srv.Addrs() != nil {
		t.Fatal("Addrs before Run should be nil")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- srv.Run(ctx) }()
	select {
	case <-srv.Ready():
	case <-time.After(testTimeout):
		t.Fatal("not ready")
	}
	addrs := srv.Addrs()
	if len(addrs) == 0 {
		t.Fatal("no addrs")
	}
	for _, a := range addrs {
		if id, err := a.ValueForProtocol(ma.P_P2P); err != nil || id != srv.ID().String() {
			t.Fatalf("addr %s lacks /p2p/%s", a, srv.ID())
		}
	}
	if err := srv.Run(ctx); err == nil {
		t.Fatal("second Run should fail")
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("Run = %v", err)
	}
	if srv.Addrs() != nil {
		t.Fatal("Addrs after Run should be nil")
	}
}

func TestAddrsExpandUnspecified(t *testing.T) {
	srv := startServer(t, func(c *Config) { c.ListenAddrs = []string{"/ip4/0.0.0.0/tcp/0"} })
	for _, a := range srv.Addrs() {
		if strings.HasPrefix(a.String(), "/ip4/0.0.0.0") {
			t.Fatalf("unspecified address %s in Addrs", a)
		}
	}
	if len(srv.Addrs()) == 0 {
		t.Fatal("no addrs")
	}
}

func TestCloseBeforeRun(t *testing.T) {
	srv, err := New(testConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	_ = srv.Close()
	if err := srv.Run(context.Background()); err != nil {
		t.Fatalf("Run after Close = %v", err)
	}
}

func TestRegisterDiscover(t *testing.T) {
	srv := startServer(t, nil)
	servers := []peer.AddrInfo{serverInfo(t, srv, nil)}
	ha, hb := newHost(t), newHost(t)
	ca, cb := NewClient(ha, servers, nil), NewClient(hb, servers, nil)
	ctx := testCtx(t)
	const ns = "0123abcdef"

	for _, c := range []*Client{ca, cb} {
		if err := c.Register(ctx, ns, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		c    *Client
		want peer.ID
	}{{"a finds b", ca, hb.ID()}, {"b finds a", cb, ha.ID()}} {
		t.Run(tc.name, func(t *testing.T) {
			found, err := tc.c.Discover(ctx, ns, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(found) != 1 || found[0].ID != tc.want {
				t.Fatalf("found %v, want only %s", found, tc.want)
			}
			var direct, circuit bool
			for _, a := range found[0].Addrs {
				if isCircuit(a) {
					circuit = true
				} else {
					direct = true
				}
			}
			if !direct || !circuit {
				t.Fatalf("addrs %v: want direct and circuit", found[0].Addrs)
			}
		})
	}

	// The discovered direct address works.
	found, err := ca.Discover(ctx, ns, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := ha.Connect(ctx, found[0]); err != nil {
		t.Fatalf("connect to discovered peer: %v", err)
	}

	if err := cb.Unregister(ctx, ns); err != nil {
		t.Fatal(err)
	}
	found, err = ca.Discover(ctx, ns, 0)
	if err != nil || len(found) != 0 {
		t.Fatalf("after unregister: %v, %v", found, err)
	}
	if found, _ := ca.Discover(ctx, "otherns", 0); len(found) != 0 {
		t.Fatalf("other namespace: %v", found)
	}
}

func TestDiscoverExcludesSelf(t *testing.T) {
	srv := startServer(t, nil)
	servers := []peer.AddrInfo{serverInfo(t, srv, nil)}
	ha, hb := newHost(t), newHost(t)
	ca, cb := NewClient(ha, servers, nil), NewClient(hb, servers, nil)
	ctx := testCtx(t)
	if err := ca.Register(ctx, "ns", 0); err != nil {
		t.Fatal(err)
	}
	if found, err := ca.Discover(ctx, "ns", 0); err != nil || len(found) != 0 {
		t.Fatalf("self discover = %v, %v; want empty", found, err)
	}
	if found, err := cb.Discover(ctx, "ns", 0); err != nil || len(found) != 1 || found[0].ID != ha.ID() {
		t.Fatalf("other discover = %v, %v; want a", found, err)
	}
}

func TestDiscoverLimit(t *testing.T) {
	srv := startServer(t, nil)
	servers := []peer.AddrInfo{serverInfo(t, srv, nil)}
	ctx := testCtx(t)
	for range 3 {
		if err := NewClient(newHost(t), servers, nil).Register(ctx, "ns", 0); err != nil {
			t.Fatal(err)
		}
	}
	c := NewClient(newHost(t), servers, nil)
	for _, tc := range []struct{ limit, want int }{{0, 3}, {1, 1}, {2, 2}, {10, 3}} {
		found, err := c.Discover(ctx, "ns", tc.limit)
		if err != nil || len(found) != tc.want {
			t.Fatalf("limit %d: %d peers, %v; want %d", tc.limit, len(found), err, tc.want)
		}
	}
}

func TestUnionAcrossServers(t *testing.T) {
	s1, s2 := startServer(t, nil), startServer(t, nil)
	i1, i2 := serverInfo(t, s1, nil), serverInfo(t, s2, nil)
	ctx := testCtx(t)
	ha, hb, hc := newHost(t), newHost(t), newHost(t)
	if err := NewClient(ha, []peer.AddrInfo{i1}, nil).Register(ctx, "ns", 0); err != nil {
		t.Fatal(err)
	}
	if err := NewClient(hb, []peer.AddrInfo{i1, i2}, nil).Register(ctx, "ns", 0); err != nil {
		t.Fatal(err)
	}
	found, err := NewClient(hc, []peer.AddrInfo{i1, i2}, nil).Discover(ctx, "ns", 0)
	if err != nil || len(found) != 2 {
		t.Fatalf("found %v, %v; want a and b", found, err)
	}
	b, err := findPeer(found, hb.ID())
	if err != nil {
		t.Fatal(err)
	}
	relays := make(map[string]bool)
	for _, a := range b.Addrs {
		if isCircuit(a) {
			id, _ := a.ValueForProtocol(ma.P_P2P) // first /p2p/ is the relay
			relays[id] = true
		}
	}
	if !relays[s1.ID().String()] || !relays[s2.ID().String()] {
		t.Fatalf("b's circuit addrs %v should go through both servers", b.Addrs)
	}
}

func TestRegisterSucceedsWithOneServerDown(t *testing.T) {
	srv := startServer(t, nil)
	down := peer.AddrInfo{ID: srv.ID(), Addrs: nil}
	downKey := newKey(t)
	down.ID, _ = peer.IDFromPrivateKey(downKey)
	down.Addrs = []ma.Multiaddr{ma.StringCast("/ip4/127.0.0.1/tcp/1")}
	ctx := testCtx(t)
	c := NewClient(newHost(t), []peer.AddrInfo{down, serverInfo(t, srv, nil)}, nil)
	if err := c.Register(ctx, "ns", 0); err != nil {
		t.Fatalf("register with one server up: %v", err)
	}
	c = NewClient(newHost(t), []peer.AddrInfo{down}, nil)
	if err := c.Register(ctx, "ns", 0); err == nil {
		t.Fatal("register with no server up should fail")
	}
	if err := NewClient(newHost(t), nil, nil).Register(ctx, "ns", 0); !errors.Is(err, ErrNoServers) {
		t.Fatalf("no servers: %v", err)
	}
}

func TestTTLExpiry(t *testing.T) {
	clock := newFakeClock()
	srv, err := New(func() Config {
		c := testConfig(t)
		c.MaxTTL = time.Hour
		return c
	}())
	if err != nil {
		t.Fatal(err)
	}
	srv.store.now = clock.Now // before Run: no goroutine reads it yet
	runServer(t, srv)
	servers := []peer.AddrInfo{serverInfo(t, srv, nil)}
	ctx := testCtx(t)
	ca, cb := NewClient(newHost(t), servers, nil), NewClient(newHost(t), servers, nil)
	count := func() int {
		found, err := cb.Discover(ctx, "ns", 0)
		if err != nil {
			t.Fatal(err)
		}
		return len(found)
	}

	if err := ca.Register(ctx, "ns", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	clock.Advance(9 * time.Second)
	if n := count(); n != 1 {
		t.Fatalf("before expiry: %d peers", n)
	}
	clock.Advance(time.Second)
	if n := count(); n != 0 {
		t.Fatalf("after expiry: %d peers", n)
	}
	if srv.store.size() != 0 {
		t.Fatal("expired registration not dropped lazily")
	}

	// A TTL above MaxTTL is capped.
	if err := ca.Register(ctx, "ns", 100*time.Hour); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour - time.Second)
	if n := count(); n != 1 {
		t.Fatalf("before capped expiry: %d peers", n)
	}
	clock.Advance(time.Second)
	if n := count(); n != 0 {
		t.Fatalf("after capped expiry: %d peers", n)
	}
}

func TestInvalidNamespace(t *testing.T) {
	srv := startServer(t, nil)
	c := NewClient(newHost(t), []peer.AddrInfo{serverInfo(t, srv, nil)}, nil)
	ctx := testCtx(t)
	tests := []struct {
		ns      string
		wantErr bool
	}{
		{"", true},
		{strings.Repeat("a", 129), true},
		{"has space", true},
		{"a/b", true},
		{"a.b", true},
		{"ümlaut", true},
		{"nul\x00", true},
		{strings.Repeat("f", 128), false},
		{"A-z_09", false},
	}
	for _, tt := range tests {
		t.Run(tt.ns, func(t *testing.T) {
			err := c.Register(ctx, tt.ns, 0)
			if tt.wantErr != (err != nil) {
				t.Fatalf("Register(%q) = %v, wantErr %v", tt.ns, err, tt.wantErr)
			}
			if tt.wantErr && !errors.Is(err, ErrInvalidNamespace) {
				t.Fatalf("Register(%q) = %v, want ErrInvalidNamespace", tt.ns, err)
			}
			_, err = c.Discover(ctx, tt.ns, 0)
			if tt.wantErr != errors.Is(err, ErrInvalidNamespace) {
				t.Fatalf("Discover(%q) = %v", tt.ns, err)
			}
		})
	}
}

func TestRateLimit(t *testing.T) {
	srv := startServer(t, func(c *Config) {
		c.RateLimit = 0.001 // effectively no refill during the test
		c.RateBurst = 3
	})
	servers := []peer.AddrInfo{serverInfo(t, srv, nil)}
	ctx := testCtx(t)
	c := NewClient(newHost(t), servers, nil)
	for i := range 3 {
		if _, err := c.Discover(ctx, "ns", 0); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	if _, err := c.Discover(ctx, "ns", 0); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("request over burst = %v, want ErrRateLimited", err)
	}
	// Other peers are not affected.
	if _, err := NewClient(newHost(t), servers, nil).Discover(ctx, "ns", 0); err != nil {
		t.Fatalf("other peer: %v", err)
	}
}

func TestRegistrationCap(t *testing.T) {
	srv := startServer(t, func(c *Config) { c.MaxRegistrationsPerPeer = 2 })
	c := NewClient(newHost(t), []peer.AddrInfo{serverInfo(t, srv, nil)}, nil)
	ctx := testCtx(t)
	for _, ns := range []string{"ns1", "ns2", "ns1"} { // refreshing ns1 is no new registration
		if err := c.Register(ctx, ns, 0); err != nil {
			t.Fatalf("register %s: %v", ns, err)
		}
	}
	if err := c.Register(ctx, "ns3", 0); !errors.Is(err, ErrTooManyRegistrations) {
		t.Fatalf("third namespace = %v, want ErrTooManyRegistrations", err)
	}
	if err := c.Unregister(ctx, "ns1"); err != nil {
		t.Fatal(err)
	}
	if err := c.Register(ctx, "ns3", 0); err != nil {
		t.Fatalf("after unregister: %v", err)
	}
}
