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

// store holds the registrations. It is guarded by mu; the ...Locked helpers
// expect it held. It does no I/O.
type store struct {
	maxPerPeer int
	maxTotal   int
	now        func() time.Time // tests replace it

	mu      sync.Mutex
	byNS    map[string]map[peer.ID]registration
	perPeer map[peer.ID]int
	total   int
}

func newStore(maxPerPeer, maxTotal int) *store {
	return &store{
		maxPerPeer: maxPerPeer,
		maxTotal:   maxTotal,
		now:        time.Now,
		byNS:       make(map[string]map[peer.ID]registration),
		perPeer:    make(map[peer.ID]int),
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
	return nil
}

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
	}
	s.total--
	if s.perPeer[p]--; s.perPeer[p] <= 0 {
		delete(s.perPeer, p)
	}
}
