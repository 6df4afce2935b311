package rendezvous

import (
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"golang.org/x/time/rate"
)

// limiters holds one token bucket per peer, guarded by mu.
type limiters struct {
	limit rate.Limit
	burst int

	mu sync.Mutex
	m  map[peer.ID]*peerLimiter
}

type peerLimiter struct {
	lim      *rate.Limiter
	lastSeen time.Time
}

func newLimiters(limit rate.Limit, burst int) *limiters {
	return &limiters{limit: limit, burst: burst, m: make(map[peer.ID]*peerLimiter)}
}

// allow reports whether p may make one more request now.
func (l *limiters) allow(p peer.ID, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	pl, ok := l.m[p]
	if !ok {
		pl = &peerLimiter{lim: rate.NewLimiter(l.limit, l.burst)}
		l.m[p] = pl
	}
	pl.lastSeen = now
	return pl.lim.AllowN(now, 1)
}

// sweep forgets peers idle for longer than it takes their bucket to refill,
// which loses nothing: a fresh bucket is full too.
func (l *limiters) sweep(now time.Time) {
	refill := time.Duration(float64(l.burst) / float64(l.limit) * float64(time.Second))
	l.mu.Lock()
	defer l.mu.Unlock()
	for p, pl := range l.m {
		if now.Sub(pl.lastSeen) > refill {
			delete(l.m, p)
		}
	}
}
