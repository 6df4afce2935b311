package mesh

import (
	"sync"
	"time"
)

// HLC timestamps pack wall-clock milliseconds in the top 48 bits and a
// logical counter in the low 16, so plain integer order is causal order.
const hlcLogicalBits = 16

// maxClockSkew bounds how far ahead of our wall clock a peer's timestamp may
// be; a peer further ahead could otherwise drag every clock forward.
const maxClockSkew = time.Minute

type clock struct {
	mu   sync.Mutex
	last uint64
	now  func() time.Time
}

func newClock() *clock { return &clock{now: time.Now} }

func hlcFromTime(t time.Time) uint64 { return uint64(t.UnixMilli()) << hlcLogicalBits }

// hlcTime is the wall-clock part of an HLC timestamp.
func hlcTime(h uint64) time.Time { return time.UnixMilli(int64(h >> hlcLogicalBits)).UTC() }

// Now returns a timestamp greater than every one issued or observed before.
func (c *clock) Now() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	pt := hlcFromTime(c.now())
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
	return h <= hlcFromTime(c.now().Add(maxClockSkew))
}
