package webui

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

const (
	limiterIdle    = 5 * time.Minute // forget a client after this long without requests
	limiterMaxKeys = 1024            // prune idle clients when more than this are known
)

// limiterSet holds one token bucket per client IP.
type limiterSet struct {
	limit rate.Limit
	burst int

	mu      sync.Mutex
	clients map[string]*clientLimiter
}

type clientLimiter struct {
	lim      *rate.Limiter
	lastSeen time.Time
}

func newLimiterSet(limit rate.Limit, burst int) *limiterSet {
	return &limiterSet{limit: limit, burst: burst, clients: make(map[string]*clientLimiter)}
}

// allow reports whether the client may make one more request now.
func (l *limiterSet) allow(key string) bool {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	c, ok := l.clients[key]
	if !ok {
		if len(l.clients) >= limiterMaxKeys {
			l.pruneLocked(now)
		}
		c = &clientLimiter{lim: rate.NewLimiter(l.limit, l.burst)}
		l.clients[key] = c
	}
	c.lastSeen = now
	return c.lim.AllowN(now, 1)
}

// pruneLocked forgets idle clients, or else the least recently seen one.
func (l *limiterSet) pruneLocked(now time.Time) {
	oldestKey, oldest := "", now
	for k, c := range l.clients {
		if now.Sub(c.lastSeen) > limiterIdle {
			delete(l.clients, k)
		} else if !c.lastSeen.After(oldest) {
			oldestKey, oldest = k, c.lastSeen
		}
	}
	if len(l.clients) >= limiterMaxKeys {
		delete(l.clients, oldestKey)
	}
}
