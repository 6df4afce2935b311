package mesh

import (
	"sync"
	"time"

	"meshmeet/mesh/eventlog"
)

// maxClockSkew bounds how far ahead of our wall clock a peer's timestamp may
// be; a peer further ahead could otherwise drag every clock forward.
const maxClockSkew = time.Minute

type clock struct {
	mu   sync.Mutex
	last uint64
	now  func() time.Time
}

func newClock() *clock { return &clock{now: time.Now} }

// Now returns a timestamp greater than every one issued or observed before.
func (c *clock) Now() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	pt := eventlog.HLCFromTime(c.now())
	if pt > c.last {
		c.last = pt
	} else {
		c.last++
	}
	return c.last
}

// Observe moves the clock past a timestamp seen from a peer.
func (c *clock) Observe(h uint64) {
	c.mu.Lock()
	if h > c.last {
		c.last = h
	}
	c.mu.Unlock()
}

// plausible reports whether a peer's timestamp is not too far in the future.
func (c *clock) plausible(h uint64) bool {
	return h <= eventlog.HLCFromTime(c.now().Add(maxClockSkew))
}
