// Package mesh is the peer-to-peer side of a meshmeet node: the libp2p host,
// discovery, GossipSub topics, the meeting logs in Badger and their
// anti-entropy sync, and presence.
package mesh

import (
	"context"
	"crypto/ecdh"
	"fmt"
	"log/slog"
	"meshmeet/mesh/eventlog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/discovery/mdns"
	"golang.org/x/time/rate"
)

// Mesh is one node's membership in the meshmeet network.
type Mesh struct {
	cfg     Config
	name    atomic.Pointer[string] // the display name now: Config.Name, then SetName's
	log     *slog.Logger
	clock   *clock
	self    peer.ID
	metrics *metrics

	ready chan struct{}
	done  chan struct{}
	kick  chan struct{} // asks the discovery loop for a round now

	// Set by Run before ready closes, read-only after.
	host    host.Host
	ps      *pubsub.PubSub
	store   *store
	persist *persister
	disc    Discovery
	ctx     context.Context
	disk    *disk    // free space under DataDir
	blobs   blobs    // shared files, by hash
	fetches *fetches // shared files being fetched

	sessions   *sessions     // (peer, key) pairs proven by the membership challenge
	gossip     gossipOuts    // outgoing GossipSub streams, filtered by what each peer proved
	bounds     *bounds       // streams at once, per peer and in all
	frameIdle  time.Duration // see bounds.go
	strictDial bool          // dialFound refuses loopback even on a loopback-only node (tests)
	// foundDials limits the dials of peers a rendezvous named (dialFound).
	foundDials *rate.Limiter

	openMu sync.Mutex // serialises opening meetings and lobbies

	mu        sync.Mutex
	meetings  map[string]*meeting
	lobbies   map[string]*lobby
	attempts  map[string]*attempt // joins whose key is not proven yet, by its tag (attempt.go)
	health    health              // clock skew and a twin of this identity (health.go)
	limits    map[peer.ID]*rate.Limiter
	signals   map[peer.ID]*signalOut
	probing   map[peer.ID]bool      // Suspect
	lastSync  map[string]int64      // debounce of sync rounds, by peer and meeting
	syncDue   map[string]bool       // a round held back by the debounce will run
	heardDial map[peer.ID]time.Time // last dial of a member from its heartbeat
	cancel    context.CancelFunc
	stopping  bool

	wg        sync.WaitGroup
	closeOnce sync.Once
	box       *ecdh.PrivateKey // new meeting keys are sealed to it (epoch.go)
}

// New checks the configuration; it starts nothing.
func New(cfg Config) (*Mesh, error) {
	if cfg.PrivKey == nil {
		return nil, fmt.Errorf("%w: no identity key", ErrInvalid)
	}
	if cfg.DataDir == "" {
		return nil, fmt.Errorf("%w: no data dir", ErrInvalid)
	}
	if err := eventlog.ValidName(cfg.Name); err != nil {
		return nil, err
	}
	if _, err := ParsePeers(cfg.Peers); err != nil {
		return nil, err
	}
	cfg.fill()
	self, err := peer.IDFromPrivateKey(cfg.PrivKey)
	if err != nil {
		return nil, err
	}
	box, err := boxKey(cfg.PrivKey)
	if err != nil {
		return nil, fmt.Errorf("%w: identity key: %w", ErrInvalid, err)
	}
	m := &Mesh{
		cfg: cfg, log: cfg.Logger, clock: newClock(), self: self, box: box,
		ready: make(chan struct{}), done: make(chan struct{}), kick: make(chan struct{}, 1),
		meetings: map[string]*meeting{}, lobbies: map[string]*lobby{}, attempts: map[string]*attempt{}, limits: map[peer.ID]*rate.Limiter{},
		lastSync: map[string]int64{}, syncDue: map[string]bool{}, heardDial: map[peer.ID]time.Time{},
		signals: map[peer.ID]*signalOut{}, probing: map[peer.ID]bool{},
		fetches: newFetches(), sessions: newSessions(), bounds: newBounds(),
		foundDials: rate.NewLimiter(foundDialRate, foundDialBurst), frameIdle: frameIdle, disk: newDisk(cfg.DataDir.Path(), cfg.DiskReserve),
	}
	m.blobs = blobs{dir: cfg.DataDir.Files(), disk: m.disk}
	m.name.Store(&cfg.Name)
	m.metrics = newMetrics(cfg.Metrics, m.peerCount, m.meetingCount)
	return m, nil
}

// Self is this node's peer ID.
func (m *Mesh) Self() peer.ID { return m.self }

// Ready is closed once Run has the host, topics and history up.
func (m *Mesh) Ready() <-chan struct{} { return m.ready }

// Host is the libp2p host; valid after Ready.
func (m *Mesh) Host() host.Host { return m.host }

// Run opens the store, starts the host and every loop, and blocks until ctx
// ends; it then stops everything it started and waits for it.
func (m *Mesh) Run(ctx context.Context) error {
	defer close(m.done)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	m.mu.Lock()
	m.cancel = cancel
	m.mu.Unlock()

	st, err := openStore(m.cfg.DataDir.DB(), m.disk, m.log)
	if err != nil {
		return err
	}
	defer st.Close()
	m.store, m.persist = st, newPersister(st, m.log)
	go m.persist.run()
	// Runs after every goroutine that could still add is done (wg.Wait).
	defer m.persist.close()

	h, err := m.newHost()
	if err != nil {
		return fmt.Errorf("start libp2p host: %w", err)
	}
	defer h.Close()
	m.host, m.ctx = h, ctx

	// GossipSub sees the host through gossipHost, and picks peers through
	// gossipPeerFilter: a meeting's topics are spoken of only with peers that
	// proved its key (gossipgate.go).
	ps, err := pubsub.NewGossipSub(ctx, gossipHost{Host: h, m: m},
		m.gossipPeerFilter(),
		pubsub.WithMessageSignaturePolicy(pubsub.StrictSign),
		pubsub.WithMaxMessageSize(maxGossip),
		pubsub.WithPeerExchange(true),
		// Off by default since go-libp2p-pubsub v0.19: without it a message
		// published before the next heartbeat grafts a new member into the
		// topic mesh reaches nobody (gossip repairs it a second or more
		// later, or never once it left the message cache).
		pubsub.WithFloodPublish(true),
		pubsub.WithGossipSubParams(gossipParams()),
		pubsub.WithLogger(m.log.With("component", "pubsub")),
	)
	if err != nil {
		return fmt.Errorf("start gossipsub: %w", err)
	}
	m.ps = ps
	if m.cfg.NewDiscovery != nil {
		m.disc = m.cfg.NewDiscovery(h)
	}
	h.SetStreamHandler(authProtocol, m.serve(m.bounded("auth", maxAuthPerPeer, maxAuthAll, m.handleAuth)))
	h.SetStreamHandler(syncProtocol, m.serve(m.bounded("sync", maxSyncPerPeer, maxSyncAll, m.handleSync)))
	h.SetStreamHandler(signalProtocol, m.serve(m.bounded("signal", maxSignalPerPeer, maxSignalAll, m.handleSignal)))
	h.SetStreamHandler(fileProtocol, m.serve(m.bounded("file", maxFilePerPeer, maxFileAll, m.handleFile)))
	h.SetStreamHandler(timeProtocol, m.serve(m.handleTime))
	h.SetStreamHandler(keyCheckProtocol, m.serve(m.handleKeyCheck))
	h.SetStreamHandler(instanceProtocol, m.serve(m.handleInstance))
	h.Network().Notify(&network.NotifyBundle{ConnectedF: func(_ network.Network, c network.Conn) {
		m.onConnected(c.RemotePeer())
	}, DisconnectedF: func(_ network.Network, c network.Conn) {
		m.onDisconnected(c.RemotePeer())
		if m.host.Network().Connectedness(c.RemotePeer()) == network.NotConnected {
			m.forgetSessions(c.RemotePeer())
		}
	}})

	if err := m.loadMeetings(); err != nil {
		return err
	}
	if m.cfg.MDNS {
		svc := mdns.NewMdnsService(h, "meshmeet", mdnsNotifee{m})
		if err := svc.Start(); err != nil {
			m.log.Warn("mdns unavailable", "err", err)
		} else {
			defer svc.Close()
		}
	}
	m.goLoop(m.discoveryLoop)
	m.goLoop(m.syncLoop)
	m.goLoop(m.presenceLoop)
	m.goLoop(m.relayLoop)
	m.goLoop(m.clockLoop)
	m.goLoop(m.roamLoop)
	m.goLoop(m.fileLoop)
	close(m.ready)
	m.log.Info("mesh ready", "peerId", m.self.String(), "addrs", h.Addrs())

	<-ctx.Done()
	m.mu.Lock()
	m.stopping = true
	for _, mt := range m.meetings {
		mt.mu.Lock()
		for ch := range mt.listeners {
			delete(mt.listeners, ch)
			close(ch)
		}
		mt.mu.Unlock()
	}
	m.mu.Unlock()
	m.wg.Wait()
	return nil
}

func (m *Mesh) goLoop(f func(context.Context)) {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		f(m.ctx)
	}()
}

// Close stops Run and waits for it; it is safe to call more than once.
func (m *Mesh) Close() error {
	m.closeOnce.Do(func() {
		m.mu.Lock()
		cancel := m.cancel
		m.mu.Unlock()
		if cancel != nil {
			cancel()
			<-m.done
		}
	})
	return nil
}

func (m *Mesh) newHost() (host.Host, error) {
	opts := []libp2p.Option{
		libp2p.Identity(m.cfg.PrivKey),
		libp2p.ListenAddrStrings(m.cfg.ListenAddrs...),
		libp2p.EnableRelay(),
	}
	if m.cfg.Gater != nil {
		opts = append(opts, libp2p.ConnectionGater(m.cfg.Gater))
	}
	if len(m.cfg.Relays) == 0 {
		return libp2p.New(opts...)
	}
	rm, err := resources(m.cfg.Relays)
	if err != nil {
		return nil, err
	}
	opts = append(opts, libp2p.EnableAutoRelayWithStaticRelays(m.cfg.Relays), libp2p.EnableHolePunching(), libp2p.ResourceManager(rm))
	h, err := libp2p.New(opts...)
	if err != nil {
		_ = rm.Close()
	}
	return h, err
}

func (m *Mesh) running() error {
	select {
	case <-m.ready:
		return nil
	default:
		return ErrNotReady
	}
}

func (m *Mesh) peerCount() float64 {
	if m.running() != nil {
		return 0
	}
	return float64(len(m.host.Network().Peers()))
}

func (m *Mesh) meetingCount() float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return float64(len(m.meetings))
}

func (m *Mesh) meeting(id string) (*meeting, error) {
	if err := m.running(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	mt := m.meetings[id]
	if mt == nil {
		return nil, fmt.Errorf("%w %s", ErrNotFound, id)
	}
	return mt, nil
}

// allow applies the per-peer rate limit to inbound gossip and sync.
func (m *Mesh) allow(p peer.ID) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.limits[p]
	if l == nil {
		l = rate.NewLimiter(rate.Limit(m.cfg.PeerRate), m.cfg.PeerBurst)
		m.limits[p] = l
	}
	return l.Allow()
}

type mdnsNotifee struct{ m *Mesh }

func (n mdnsNotifee) HandlePeerFound(pi peer.AddrInfo) {
	if pi.ID == n.m.self {
		return
	}
	n.m.connect(pi)
}

// gossipParams: the origin floods to every subscriber it is connected to
// (GossipSub's default), which on a LAN or a shared rendezvous is everyone,
// so mesh forwarding mostly carries duplicates; a smaller mesh cuts that
// work while keeping a redundant path for peers the origin cannot reach.
func gossipParams() pubsub.GossipSubParams {
	p := pubsub.DefaultGossipSubParams()
	p.D, p.Dlo, p.Dhi, p.Dscore, p.Dout = 4, 3, 8, 2, 1
	return p
}
