package rendezvous

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	relayv2 "github.com/libp2p/go-libp2p/p2p/protocol/circuitv2/relay"
	ma "github.com/multiformats/go-multiaddr"
	"golang.org/x/time/rate"
)

// maxNamespaceLen is the hard upper bound for Config.MaxNamespaceLen.
const maxNamespaceLen = 128

// Config configures a Server. Zero values are not defaults: start from
// DefaultConfig and change what you need.
type Config struct {
	// PrivKey is the server's libp2p identity. Required.
	PrivKey crypto.PrivKey
	// ListenAddrs are the multiaddrs to listen on.
	ListenAddrs []string
	// Logger receives the server's logs. Nil discards them.
	Logger *slog.Logger

	// MaxTTL caps the TTL of a registration.
	MaxTTL time.Duration
	// DefaultTTL is used when a REGISTER carries ttl 0. Capped to MaxTTL.
	DefaultTTL time.Duration
	// MaxRegistrationsPerPeer caps the namespaces one peer may be registered
	// under at once.
	MaxRegistrationsPerPeer int
	// MaxRegistrations caps all registrations on the server.
	MaxRegistrations int
	// MaxNamespaceLen caps the length of a namespace in bytes (at most 128).
	MaxNamespaceLen int
	// MaxDiscoverLimit caps the number of peers in one DISCOVER answer; a
	// request with limit 0 gets this many at most. At most 200.
	MaxDiscoverLimit int

	// MaxWait caps how long a DISCOVER waits for a new registration.
	MaxWait time.Duration
	// MaxWaitsPerPeer caps the DISCOVERs one peer has waiting at once, and
	// MaxWaits those of all peers; past them a waiting DISCOVER is refused
	// (too_many_waits) at once.
	MaxWaitsPerPeer int
	MaxWaits        int

	// RateLimit is the sustained number of requests per second allowed per
	// peer, and RateBurst the burst above it.
	RateLimit rate.Limit
	RateBurst int

	// SweepInterval is how often expired registrations (and idle rate
	// limiters) are dropped; lookups also drop expired entries lazily.
	SweepInterval time.Duration
	// StreamIdleTimeout bounds the wait for the next request on a stream.
	StreamIdleTimeout time.Duration

	// Relay are the resources of the circuit relay v2 service. See
	// DefaultRelayResources for why Relay.Limit is nil by default.
	Relay relayv2.Resources

	// TURN, when set, runs a TURN relay for media next to the rendezvous.
	TURN *TURNConfig
}

// DefaultConfig returns a Config with every default filled in but PrivKey.
func DefaultConfig() Config {
	return Config{
		ListenAddrs:             []string{"/ip4/0.0.0.0/udp/7701/quic-v1", "/ip4/0.0.0.0/tcp/7701"},
		MaxTTL:                  2 * time.Hour,
		DefaultTTL:              2 * time.Hour,
		MaxRegistrationsPerPeer: 64,
		MaxRegistrations:        100_000,
		MaxNamespaceLen:         maxNamespaceLen,
		MaxDiscoverLimit:        100,
		MaxWait:                 30 * time.Second,
		MaxWaitsPerPeer:         16,
		MaxWaits:                10_000,
		RateLimit:               10,
		RateBurst:               30,
		SweepInterval:           time.Minute,
		StreamIdleTimeout:       30 * time.Second,
		Relay:                   DefaultRelayResources(),
	}
}

// validate checks cfg and returns the parsed listen addresses.
func (cfg *Config) validate() ([]ma.Multiaddr, error) {
	if cfg.PrivKey == nil {
		return nil, fmt.Errorf("%w: PrivKey is required", ErrInvalidConfig)
	}
	if len(cfg.ListenAddrs) == 0 {
		return nil, fmt.Errorf("%w: no ListenAddrs", ErrInvalidConfig)
	}
	addrs := make([]ma.Multiaddr, 0, len(cfg.ListenAddrs))
	for _, s := range cfg.ListenAddrs {
		a, err := ma.NewMultiaddr(s)
		if err != nil {
			return nil, fmt.Errorf("%w: listen address %q: %w", ErrInvalidConfig, s, err)
		}
		addrs = append(addrs, a)
	}
	checks := []struct {
		ok   bool
		what string
	}{
		{cfg.MaxTTL > 0, "MaxTTL must be positive"},
		{cfg.DefaultTTL > 0, "DefaultTTL must be positive"},
		{cfg.MaxRegistrationsPerPeer > 0, "MaxRegistrationsPerPeer must be positive"},
		{cfg.MaxRegistrations > 0, "MaxRegistrations must be positive"},
		{cfg.MaxNamespaceLen > 0 && cfg.MaxNamespaceLen <= maxNamespaceLen, "MaxNamespaceLen must be in 1..128"},
		{cfg.MaxDiscoverLimit > 0 && cfg.MaxDiscoverLimit <= maxDiscoverLimit, "MaxDiscoverLimit must be in 1..200"},
		{cfg.MaxWait > 0, "MaxWait must be positive"},
		{cfg.MaxWaitsPerPeer > 0, "MaxWaitsPerPeer must be positive"},
		{cfg.MaxWaits > 0, "MaxWaits must be positive"},
		{cfg.RateLimit > 0, "RateLimit must be positive"},
		{cfg.RateBurst > 0, "RateBurst must be positive"},
		{cfg.SweepInterval > 0, "SweepInterval must be positive"},
		{cfg.StreamIdleTimeout > 0, "StreamIdleTimeout must be positive"},
	}
	for _, c := range checks {
		if !c.ok {
			return nil, fmt.Errorf("%w: %s", ErrInvalidConfig, c.what)
		}
	}
	if cfg.TURN != nil {
		if err := cfg.TURN.validate(); err != nil {
			return nil, err
		}
	}
	return addrs, nil
}
