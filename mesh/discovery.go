package mesh

import (
	"context"
	"fmt"
	"net"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/protocol/circuitv2/client"
	ma "github.com/multiformats/go-multiaddr"
)

const (
	dialTimeout = 10 * time.Second
	// directDialTimeout bounds the direct attempt before a relayed one.
	directDialTimeout = 3 * time.Second
	rendezvousTTL     = 5 * time.Minute
	discoverLimit     = 100
	rendezvousCall    = 10 * time.Second
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

// connect dials a peer in the background if it is not connected yet: its
// direct addresses first, and only if none answers through a relay. libp2p
// dials relayed addresses at once beside private ones (it delays them only
// beside public ones), so two nodes of one LAN that met through the
// rendezvous opened a second connection through its relay as well.
func (m *Mesh) connect(pi peer.AddrInfo) {
	if pi.ID == m.self || m.host.Network().Connectedness(pi.ID) == network.Connected {
		return
	}
	m.spawn(func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, dialTimeout)
		defer cancel()
		direct := peer.AddrInfo{ID: pi.ID}
		for _, a := range pi.Addrs {
			if !isRelayed(a) {
				direct.Addrs = append(direct.Addrs, a)
			}
		}
		if len(direct.Addrs) > 0 && len(direct.Addrs) < len(pi.Addrs) {
			dctx, dcancel := context.WithTimeout(ctx, directDialTimeout)
			err := m.host.Connect(network.WithForceDirectDial(dctx, "direct first"), direct)
			dcancel()
			if err == nil {
				return
			}
		}
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

// quickRounds are the waits between the discovery rounds that follow a join
// (or a knock): who opened the link at the same moment is found within a
// second or two, and the rendezvous is not hammered after that.
var quickRounds = []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}

func (m *Mesh) discoveryLoop(ctx context.Context) {
	static, _ := ParsePeers(m.cfg.Peers) // validated in New
	reservations := map[peer.ID]time.Time{}
	watches := map[string]context.CancelFunc{}
	defer func() {
		for _, stop := range watches {
			stop()
		}
	}()
	t := time.NewTimer(0)
	defer t.Stop()
	quick := len(quickRounds) // none until a kick
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-m.kick:
			quick = 0
		}
		for _, pi := range static {
			m.connect(pi)
		}
		if m.disc != nil {
			live := m.liveNamespaces()
			m.watchNamespaces(live, watches)
			all := live
			if quick >= len(quickRounds) {
				all = m.namespaces() // meetings left or over too, now and then
			}
			for _, ns := range all {
				m.rendezvous(ctx, ns)
			}
		}
		m.reserveRelays(ctx, reservations)
		next := m.cfg.DiscoveryInterval
		if quick < len(quickRounds) {
			next = min(next, quickRounds[quick])
			quick++
		}
		t.Reset(next)
	}
}

// maxWatches bounds the namespaces this node long-polls the rendezvous on
// (its servers cap waiting requests per peer).
const maxWatches = 8

// liveNamespaces are the rendezvous namespaces of the meetings this node is
// in now or joining (waiting for the record), and of the lobbies it waits in
// or keeps, at most maxWatches.
func (m *Mesh) liveNamespaces() []string {
	now := time.Now()
	var out []string
	for _, mt := range m.snapshot() {
		mt.mu.Lock()
		mb := mt.st().Members[m.self]
		in := mt.st().Record == nil || mb != nil && mb.Present() && !mt.st().Ended(now)
		mt.mu.Unlock()
		if in {
			out = append(out, mt.keys.ns)
		}
	}
	m.mu.Lock()
	for _, lb := range m.lobbies {
		out = append(out, lb.keys.ns)
	}
	m.mu.Unlock()
	slices.Sort(out)
	out = slices.Compact(out)
	return out[:min(len(out), maxWatches)]
}

// watchNamespaces keeps one long poll of the rendezvous running per live
// namespace, so a peer registering there is dialled the moment the server
// stores it; watches of namespaces no longer live stop.
func (m *Mesh) watchNamespaces(live []string, watches map[string]context.CancelFunc) {
	w, ok := m.disc.(Watcher)
	if !ok {
		return
	}
	for ns, stop := range watches {
		if !slices.Contains(live, ns) {
			stop()
			delete(watches, ns)
		}
	}
	for _, ns := range live {
		if watches[ns] != nil {
			continue
		}
		ctx, stop := context.WithCancel(m.ctx)
		watches[ns] = stop
		m.spawn(func(context.Context) { m.watchNamespace(ctx, w, ns) })
	}
}

const (
	watchWait    = 25 * time.Second // one long poll; servers cap it (30 s by default)
	watchSpacing = 200 * time.Millisecond
	watchBackoff = 30 * time.Second
)

// watchNamespace long-polls the rendezvous for ns until ctx ends, dialling
// every peer it answers with; failures back off from a second to 30 s.
func (m *Mesh) watchNamespace(ctx context.Context, w Watcher, ns string) {
	backoff := time.Second
	for {
		start := time.Now()
		peers, err := w.Watch(ctx, ns, discoverLimit, watchWait)
		if ctx.Err() != nil {
			return
		}
		pause := watchSpacing - time.Since(start) // a few answers a second at most
		if err != nil {
			m.log.Debug("rendezvous watch failed", "err", err)
			pause, backoff = backoff, min(2*backoff, watchBackoff)
		} else {
			backoff = time.Second
		}
		m.dialFound(peers)
		if pause > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(pause):
			}
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
	m.dialFound(peers)
}

// A rendezvous is not trusted with this node's dialer: of what it answers,
// at most maxFoundPeers peers and maxFoundAddrs addresses each are dialled,
// never one that reaches this machine or its link (loopback — unless this
// node listens on loopback only, a test on one machine —, link-local,
// multicast, unspecified, a name), and at most foundDialRate a second
// (foundDialBurst at once) over all rendezvous answers.
const (
	maxFoundPeers  = 32
	maxFoundAddrs  = 8
	foundDialRate  = 2
	foundDialBurst = 20
)

// dialFound dials the peers a rendezvous answered with, within the bounds above.
func (m *Mesh) dialFound(peers []peer.AddrInfo) {
	local := m.loopbackOnly() && !m.strictDial
	for _, pi := range peers[:min(len(peers), maxFoundPeers)] {
		if pi.ID == m.self || pi.ID.Validate() != nil || m.host.Network().Connectedness(pi.ID) == network.Connected {
			continue
		}
		out := peer.AddrInfo{ID: pi.ID}
		for _, a := range pi.Addrs {
			if len(out.Addrs) < maxFoundAddrs && foundDialable(a, local) {
				out.Addrs = append(out.Addrs, a)
			}
		}
		if len(out.Addrs) == 0 {
			continue
		}
		if !m.foundDials.Allow() {
			m.metrics.refused.WithLabelValues("dial").Inc()
			return // the rest next round
		}
		m.connect(out)
	}
}

// foundDialable: an address whose IP (the relay's, for a circuit) is one a
// rendezvous may have this node dial; loopback ones only when local.
func foundDialable(a ma.Multiaddr, local bool) bool {
	if len(a) == 0 {
		return false
	}
	var ip net.IP
	switch a[0].Protocol().Code {
	case ma.P_IP4, ma.P_IP6:
		ip = net.IP(a[0].RawValue())
	default:
		return false // names, unix sockets and the like: not from a rendezvous
	}
	if ip.IsLoopback() {
		return local
	}
	return !ip.IsLinkLocalUnicast() && !ip.IsLinkLocalMulticast() && !ip.IsMulticast() &&
		!ip.IsUnspecified() && !ip.IsInterfaceLocalMulticast()
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
