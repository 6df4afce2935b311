package mesh

import (
	"context"
	"log/slog"
	"meshmeet/mesh/datadir"
	"time"

	"github.com/libp2p/go-libp2p/core/connmgr"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/prometheus/client_golang/prometheus"
)

// Discovery finds peers by opaque namespace; the rendezvous client is one.
type Discovery interface {
	Register(ctx context.Context, ns string, ttl time.Duration) error
	Discover(ctx context.Context, ns string, limit int) ([]peer.AddrInfo, error)
}

// Watcher is a Discovery that can also wait for peers new under a namespace
// (the rendezvous client's long poll): the first call answers at once, each
// later one when a peer registered there since, or after wait.
type Watcher interface {
	Watch(ctx context.Context, ns string, limit int, wait time.Duration) ([]peer.AddrInfo, error)
}

// Config configures a Mesh. Zero durations take the defaults.
type Config struct {
	// DataDir holds the Badger history under DataDir/db.
	DataDir datadir.Dir
	// PrivKey is the node's identity (see datadir.Dir.Key). Required.
	PrivKey crypto.PrivKey
	// ListenAddrs are libp2p multiaddrs (QUIC and TCP by default).
	ListenAddrs []string
	// Name is the display name others see beside the peer ID fingerprint.
	Name string
	// Peers are multiaddrs (with /p2p/) dialled at start and kept connected.
	Peers []string
	// MDNS finds nodes on the local network.
	MDNS bool
	// Relays are circuit relays (the rendezvous servers) used when a peer
	// cannot be dialled directly.
	Relays []peer.AddrInfo
	// NewDiscovery builds the rendezvous client once the host exists; nil
	// means no rendezvous.
	NewDiscovery func(host.Host) Discovery
	// OnSignal receives media signalling from an authenticated peer. It
	// must not block for long: it runs on the peer's stream reader.
	OnSignal func(from peer.ID, msg []byte)
	// Gater filters connections; tests use it to cut partitions.
	Gater connmgr.ConnectionGater

	DiscoveryInterval time.Duration // rendezvous discover and peer redial period
	SyncInterval      time.Duration // periodic anti-entropy with a random peer
	HeartbeatInterval time.Duration // presence heartbeat period
	PresenceTimeout   time.Duration // silence after which a participant is gone
	JoinTimeout       time.Duration // how long a join waits for the meeting record
	ClockCheck        time.Duration // period of measuring this node's clock against its peers'

	// NoRelay says in presence that this node must not be elected to relay
	// media (a weak uplink, a battery).
	NoRelay bool

	// Site names the site (an office, a LAN) this node is in; each site of a
	// meeting has a media relay of its own (site.go). "": the /24 of the
	// node's private IPv4 address.
	Site string

	// MeshMax is the largest meeting whose nodes all send to each other (a
	// mesh); a larger one has a relay (relay.go). Every node of a meeting
	// must use the same.
	MeshMax int

	// FileBudget bounds the bytes of one meeting's shared files this node fetches
	// before anyone asks for them; beyond it, a file is fetched when downloaded.
	FileBudget int64

	// PeerRate and PeerBurst limit the gossip messages, sync sessions and
	// signals taken from one peer (per second, and at once).
	PeerRate  float64
	PeerBurst int

	// DiskReserve is the free space (bytes) under DataDir below which the node
	// stops writing and says the disk is full (0: DefaultDiskReserve).
	DiskReserve int64

	Logger  *slog.Logger
	Metrics prometheus.Registerer
}

// DefaultConfig returns the settings a node runs with unless told otherwise.
func DefaultConfig() Config {
	return Config{
		ListenAddrs:       []string{"/ip4/0.0.0.0/udp/0/quic-v1", "/ip4/0.0.0.0/tcp/0"},
		MDNS:              true,
		DiscoveryInterval: 10 * time.Second,
		SyncInterval:      15 * time.Second,
		HeartbeatInterval: 2 * time.Second,
		PresenceTimeout:   6 * time.Second,
		JoinTimeout:       20 * time.Second,
		ClockCheck:        time.Minute,
		FileBudget:        1 << 30,
		PeerRate:          50,
		PeerBurst:         200,
		MeshMax:           6,
	}
}

func (c *Config) fill() {
	d := DefaultConfig()
	if len(c.ListenAddrs) == 0 {
		c.ListenAddrs = d.ListenAddrs
	}
	for _, p := range []struct{ v, def *time.Duration }{
		{&c.DiscoveryInterval, &d.DiscoveryInterval}, {&c.SyncInterval, &d.SyncInterval},
		{&c.HeartbeatInterval, &d.HeartbeatInterval}, {&c.PresenceTimeout, &d.PresenceTimeout},
		{&c.JoinTimeout, &d.JoinTimeout}, {&c.ClockCheck, &d.ClockCheck},
	} {
		if *p.v <= 0 {
			*p.v = *p.def
		}
	}
	if c.MeshMax < 1 {
		c.MeshMax = d.MeshMax
	}
	if c.FileBudget <= 0 {
		c.FileBudget = d.FileBudget
	}
	if c.DiskReserve <= 0 {
		c.DiskReserve = DefaultDiskReserve
	}
	if c.PeerRate <= 0 || c.PeerBurst <= 0 {
		c.PeerRate, c.PeerBurst = d.PeerRate, d.PeerBurst
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}
