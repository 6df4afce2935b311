package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"meshmeet/media"
	"meshmeet/mesh"
	"meshmeet/mesh/datadir"
	"meshmeet/rendezvous"
	"meshmeet/webui"
)

// Node is one participant's meshmeet node.
type Node struct {
	nameMu sync.Mutex // one display-name change at a time (name.go)
	cfg    Config
	log    *slog.Logger
	mesh   *mesh.Mesh
	media  *media.Engine
	bridge *mediaBridge
	ui     *webui.Server
	ready  chan struct{}
	done   chan struct{}

	mu        sync.Mutex
	cancel    context.CancelFunc
	rdv       *rendezvous.Client // the mesh's rendezvous client, once it made one
	closeOnce sync.Once
}

// New checks the configuration and loads the identity; it starts nothing.
func New(cfg Config) (*Node, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	key, err := datadir.Dir(cfg.DataDir).Key()
	if err != nil {
		return nil, err
	}
	token, err := webui.LoadToken(datadir.Dir(cfg.DataDir).TokenFile())
	if err != nil {
		return nil, fmt.Errorf("api token: %w", err)
	}
	servers, err := rendezvous.ParseServers(cfg.Rendezvous)
	if err != nil {
		return nil, fmt.Errorf("%w: rendezvous: %w", mesh.ErrInvalid, err)
	}
	if saved, err := savedName(datadir.Dir(cfg.DataDir)); err != nil {
		return nil, err
	} else if saved != "" {
		cfg.Name = saved
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	mc := cfg.Mesh
	mc.DataDir, mc.PrivKey, mc.Name, mc.Logger, mc.Metrics = cfg.DataDir, key, cfg.Name, cfg.Logger.With("component", "mesh"), reg
	if len(servers) > 0 {
		mc.Relays = servers
	}
	n := &Node{cfg: cfg, log: cfg.Logger, ready: make(chan struct{}), done: make(chan struct{})}
	if len(servers) > 0 {
		mc.NewDiscovery = func(h host.Host) mesh.Discovery {
			c := rendezvous.NewClient(h, servers, cfg.Logger.With("component", "rendezvous"))
			n.mu.Lock()
			n.rdv = c
			n.mu.Unlock()
			return c
		}
	}
	n.bridge = newMediaBridge(n)
	mc.OnSignal = n.bridge.onPeerSignal
	msh, err := mesh.New(mc)
	if err != nil {
		return nil, err
	}
	n.mesh = msh
	md := cfg.Media
	md.Signaller, md.Logger = n.bridge, cfg.Logger.With("component", "media")
	md.OnLinkLost, md.OnSpeaking, md.DiskRoom = n.bridge.onLinkLost, n.bridge.onSpeaking, n.mesh.DiskRoom
	if n.media, err = media.New(md); err != nil {
		return nil, err
	}
	uc := webui.DefaultConfig()
	if cfg.UIAddr != "" {
		uc.Addr = cfg.UIAddr
	}
	uc.Token, uc.Backend, uc.Logger, uc.Metrics = token, &backend{n: n}, cfg.Logger.With("component", "webui"), reg
	uc.MaxUpload = mesh.MaxFile
	ui, err := webui.New(uc)
	if err != nil {
		return nil, err
	}
	n.ui = ui
	return n, nil
}

// Ready is closed once the mesh and the UI serve.
func (n *Node) Ready() <-chan struct{} { return n.ready }

// Mesh is the node's mesh, for tests and tools.
func (n *Node) Mesh() *mesh.Mesh { return n.mesh }

// UIURL is the address of the local UI and API, once ready.
func (n *Node) UIURL() string { return n.ui.URL() }

// LoginURL is the address that logs a browser in to the local UI (it carries the API
// token), once ready.
func (n *Node) LoginURL() string { return n.ui.LoginURL() }

// Run starts the mesh and the UI and blocks until ctx ends or either fails.
func (n *Node) Run(ctx context.Context) error {
	defer close(n.done)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	n.mu.Lock()
	n.cancel = cancel
	n.mu.Unlock()

	errs := make(chan error, 3)
	var wg sync.WaitGroup
	for _, run := range []func(context.Context) error{n.mesh.Run, n.media.Run, n.ui.Run} {
		wg.Go(func() {
			err := run(ctx)
			if err != nil && !errors.Is(err, context.Canceled) {
				errs <- err
			}
			cancel()
		})
	}
	if waitAll(ctx, n.mesh.Ready(), n.media.Ready(), n.ui.Ready()) {
		wg.Go(func() { n.bridge.follow(ctx) })
		wg.Go(func() { n.renewTURN(ctx) })
		wg.Go(func() { n.retain(ctx) })
		close(n.ready)
		n.log.Info("node ready", "ui", n.ui.URL(), "peerId", n.mesh.Self().String(), "media", n.media.UDPAddr().String())
	}
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

// Close stops Run and waits for it; safe to call twice.
func (n *Node) Close() error {
	n.closeOnce.Do(func() {
		n.mu.Lock()
		cancel := n.cancel
		n.mu.Unlock()
		if cancel != nil {
			cancel()
			<-n.done
		}
	})
	return nil
}

// waitAll reports whether every channel closed before ctx ended.
func waitAll(ctx context.Context, chans ...<-chan struct{}) bool {
	for _, c := range chans {
		select {
		case <-c:
		case <-ctx.Done():
			return false
		}
	}
	return true
}

// MediaAddr is the node's media UDP address, once ready.
func (n *Node) MediaAddr() string { return n.media.UDPAddr().String() }
