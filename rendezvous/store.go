package rendezvous

import (
	"fmt"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// registration is one peer registered under one namespace.
type registration struct {
	addrs   []ma.Multiaddr // addresses the server observed, at register time
	expires time.Time
}

// store holds the registrations and the discoverers waiting for new ones.
// It is guarded by mu; the ...Locked helpers expect it held. It does no I/O.
type store struct {
	maxPerPeer int
	maxTotal   int
	now        func() time.Time // tests replace it

	mu      sync.Mutex
	byNS    map[string]map[peer.ID]registration
	perPeer map[peer.ID]int
	total   int

	// seq numbers new registrations; version[ns] is the number of the
	// newest one under ns (a refresh keeps it), the cookie a discoverer
	// hands back to wait for the next.
	seq     uint64
	version map[string]uint64
	// changed[ns] is closed (and dropped) when a new registration arrives
	// under ns; it exists while someone waits there.
	changed map[string]chan struct{}
	waits   waitCount
}

// waitCount bounds the discoverers waiting at once, per peer and in all.
type waitCount struct {
	maxPerPeer, maxTotal int
	perPeer              map[peer.ID]int
	perNS                map[string]int
	total                int
}

func newStore(maxPerPeer, maxTotal int) *store {
	return &store{
		maxPerPeer: maxPerPeer,
		maxTotal:   maxTotal,
		now:        time.Now,
		byNS:       make(map[string]map[peer.ID]registration),
		perPeer:    make(map[peer.ID]int),
		version:    make(map[string]uint64),
		changed:    make(map[string]chan struct{}),
		waits:      waitCount{maxPerPeer: 8, maxTotal: 10_000, perPeer: make(map[peer.ID]int), perNS: make(map[string]int)},
	}
}

// register adds or refreshes p under ns for ttl.
func (s *store) register(ns string, p peer.ID, addrs []ma.Multiaddr, ttl time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	regs := s.byNS[ns]
	if old, ok := regs[p]; ok && now.Before(old.expires) {
		regs[p] = registration{addrs: addrs, expires: now.Add(ttl)}
		return nil
	}
	// A new registration (or one that expired but is still stored).
	s.removeLocked(ns, p)
	if s.perPeer[p] >= s.maxPerPeer {
		return fmt.Errorf("%w: peer holds %d", ErrTooManyRegistrations, s.perPeer[p])
	}
	if s.total >= s.maxTotal {
		return fmt.Errorf("%w: server holds %d", ErrTooManyRegistrations, s.total)
	}
	if regs == nil {
		regs = make(map[peer.ID]registration)
		s.byNS[ns] = regs
	}
	regs[p] = registration{addrs: addrs, expires: now.Add(ttl)}
	s.perPeer[p]++
	s.total++
	s.seq++
	s.version[ns] = s.seq
	if ch, ok := s.changed[ns]; ok {
		close(ch)
		delete(s.changed, ns)
	}
	return nil
}

// cookie is the version of ns a discoverer hands back to wait for news.
func (s *store) cookie(ns string) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.version[ns]
}

// watch counts p in as a discoverer waiting under ns for a registration
// newer than cookie. It returns a channel closed when one arrives (closed
// already if one has) and a release func that must be called once the wait
// is over; ErrTooManyWaits when p, or the server, has too many waiting.
func (s *store) watch(ns string, p peer.ID, cookie uint64) (<-chan struct{}, func(), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := &s.waits
	if w.perPeer[p] >= w.maxPerPeer {
		return nil, nil, fmt.Errorf("%w: peer waits on %d", ErrTooManyWaits, w.perPeer[p])
	}
	if w.total >= w.maxTotal {
		return nil, nil, fmt.Errorf("%w: server has %d waiting", ErrTooManyWaits, w.total)
	}
	w.perPeer[p]++
	w.perNS[ns]++
	w.total++
	ch := s.changed[ns]
	if ch == nil {
		ch = make(chan struct{})
		s.changed[ns] = ch
	}
	if s.version[ns] != cookie {
		ch = closedChan
	}
	release := func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if w.perPeer[p]--; w.perPeer[p] <= 0 {
			delete(w.perPeer, p)
		}
		if w.perNS[ns]--; w.perNS[ns] <= 0 {
			delete(w.perNS, ns)
			delete(s.changed, ns) // nobody waits here any more
		}
		w.total--
	}
	return ch, release, nil
}

// waiting returns how many discoverers wait, in all.
func (s *store) waiting() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waits.total
}

var closedChan = func() chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}()

// unregister removes p from ns; removing an absent entry is not an error.
func (s *store) unregister(ns string, p peer.ID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.removeLocked(ns, p)
}

// discover returns up to limit live registrations under ns other than
// exclude, dropping the expired ones it meets. The order is unspecified.
func (s *store) discover(ns string, exclude peer.ID, limit int) []peer.AddrInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var out []peer.AddrInfo
	for p, r := range s.byNS[ns] {
		if !now.Before(r.expires) {
			s.removeLocked(ns, p)
			continue
		}
		if p == exclude || len(out) >= limit {
			continue
		}
		out = append(out, peer.AddrInfo{ID: p, Addrs: append([]ma.Multiaddr(nil), r.addrs...)})
	}
	return out
}

// sweep drops every expired registration and returns how many it dropped.
func (s *store) sweep() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	n := 0
	for ns, regs := range s.byNS {
		for p, r := range regs {
			if !now.Before(r.expires) {
				s.removeLocked(ns, p)
				n++
			}
		}
	}
	return n
}

// size returns the number of stored registrations, expired or not.
func (s *store) size() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

func (s *store) removeLocked(ns string, p peer.ID) {
	regs := s.byNS[ns]
	if _, ok := regs[p]; !ok {
		return
	}
	delete(regs, p)
	if len(regs) == 0 {
		delete(s.byNS, ns)
		// A later registration gets a newer number, so a waiter's cookie
		// still differs from it.
		delete(s.version, ns)
	}
	s.total--
	if s.perPeer[p]--; s.perPeer[p] <= 0 {
		delete(s.perPeer, p)
	}
}
