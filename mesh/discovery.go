package mesh

import (
	"context"
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/protocol/circuitv2/client"
)

const (
	dialTimeout    = 10 * time.Second
	rendezvousTTL  = 5 * time.Minute
	discoverLimit  = 100
	rendezvousCall = 10 * time.Second
)

// ParsePeers turns multiaddr strings with /p2p/ into dialable peers.
func ParsePeers(addrs []string) ([]peer.AddrInfo, error) {
	var out []peer.AddrInfo
	for _, a := range addrs {
		pi, err := peer.AddrInfoFromString(a)
		if err != nil {
			return nil, fmt.Errorf("%w: peer address %q: %w", ErrInvalid, a, err)
		}
		out = append(out, *pi)
	}
	return out, nil
}

// track counts the caller into the goroutines Run waits for; false once
// Run is stopping.
func (m *Mesh) track() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopping {
		return false
	}
	m.wg.Add(1)
	return true
}

// spawn runs f in a goroutine that Run waits for, unless Run is stopping.
func (m *Mesh) spawn(f func(context.Context)) {
	if !m.track() {
		return
	}
	go func() {
		defer m.wg.Done()
		f(m.ctx)
	}()
}

// connect dials a peer in the background if it is not connected yet.
func (m *Mesh) connect(pi peer.AddrInfo) {
	if pi.ID == m.self || m.host.Network().Connectedness(pi.ID) == network.Connected {
		return
	}
	m.spawn(func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, dialTimeout)
		defer cancel()
		if err := m.host.Connect(ctx, pi); err != nil {
			m.log.Debug("dial failed", "peer", pi.ID.String(), "err", err)
		}
	})
}

// kickDiscovery asks for a discovery round now (after a join).
func (m *Mesh) kickDiscovery() {
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

func (m *Mesh) discoveryLoop(ctx context.Context) {
	static, _ := ParsePeers(m.cfg.Peers) // validated in New
	reservations := map[peer.ID]time.Time{}
	t := time.NewTicker(m.cfg.DiscoveryInterval)
	defer t.Stop()
	for {
		for _, pi := range static {
			m.connect(pi)
		}
		m.reserveRelays(ctx, reservations)
		if m.disc != nil {
			for _, ns := range m.namespaces() {
				m.rendezvous(ctx, ns)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-m.kick:
		}
	}
}

// namespaces are the rendezvous namespaces of every meeting and lobby this
// node is in; each is derived from a link key, so the server learns nothing.
func (m *Mesh) namespaces() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, mt := range m.meetings {
		out = append(out, mt.keys.ns)
	}
	for _, lb := range m.lobbies {
		out = append(out, lb.keys.ns)
	}
	return out
}

// rendezvous registers this node under a namespace and dials the others
// registered there.
func (m *Mesh) rendezvous(ctx context.Context, ns string) {
	ctx, cancel := context.WithTimeout(ctx, rendezvousCall)
	defer cancel()
	if err := m.disc.Register(ctx, ns, rendezvousTTL); err != nil {
		m.log.Debug("rendezvous register failed", "err", err)
	}
	peers, err := m.disc.Discover(ctx, ns, discoverLimit)
	if err != nil {
		m.log.Debug("rendezvous discover failed", "err", err)
		return
	}
	for _, pi := range peers {
		m.connect(pi)
	}
}

// reserveRelays keeps a slot on every relay, so peers that cannot dial this
// node directly reach it through a circuit. libp2p's autorelay only reserves
// once AutoNAT calls the node private, which a node on a routed office
// network behind a firewall may never be, so reserve explicitly.
func (m *Mesh) reserveRelays(ctx context.Context, have map[peer.ID]time.Time) {
	for _, pi := range m.cfg.Relays {
		if time.Until(have[pi.ID]) > 2*time.Minute {
			continue
		}
		rctx, cancel := context.WithTimeout(ctx, rendezvousCall)
		if err := m.host.Connect(rctx, pi); err == nil {
			if r, err := client.Reserve(rctx, m.host, pi); err == nil {
				have[pi.ID] = r.Expiration
			} else {
				m.log.Debug("relay reservation failed", "relay", pi.ID.String(), "err", err)
			}
		}
		cancel()
	}
}
