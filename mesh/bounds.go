package mesh

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Bounds on what a peer can make this node hold. A stranger gets the
// membership challenge and nothing else: fixed 32-byte frames (the 16-byte
// session ID on every other stream), authTimeout to say them, a few at once.
// A peer that proved a key gets frames of at most maxSyncFrame, rounds of at
// most roundBytes and roundEvents taken in syncTimeout, and a few streams of
// each kind at once; every node-wide cap keeps room for the user's own work
// (the rounds this node starts have their own cap); what this node opens to
// one peer stays within what that peer answers. libp2p's resource
// manager bounds connections and streams below all this.
const (
	maxAuthPerPeer   = 4
	maxAuthAll       = 64
	maxAuthOut       = 3 // challenges this node runs with one peer at once: below its maxAuthPerPeer
	maxSyncPerPeer   = 2 // rounds a peer runs with this node at once (answered)
	maxSyncAll       = 6
	maxSyncOut       = 4 // rounds this node runs at once as the initiator (and maxSyncPerPeer with one peer)
	maxFilePerPeer   = 2
	maxFileAll       = 32 // a transfer streams from disk: cheap in memory
	maxSignalPerPeer = 2
	maxSignalAll     = 128

	// roundBytes and roundEvents bound what one round takes in; a round
	// sends at most sendBytes of events (the rest of roundBytes is for the
	// digest and the offer) and roundEvents, so that an honest round never
	// hits the bound: the rest follows in the next round, which starts at once.
	roundBytes  = 6 << 20
	sendBytes   = 4 << 20
	roundEvents = maxOffer
	// frameIdle is the longest a sync round waits for the next bytes
	// (Mesh.frameIdle; tests shorten it).
	frameIdle = 15 * time.Second
)

// bounds counts the streams under way per kind, in all and per peer.
type bounds struct {
	mu     sync.Mutex
	all    map[string]int
	byPeer map[string]int // kind + peer
}

func newBounds() *bounds { return &bounds{all: map[string]int{}, byPeer: map[string]int{}} }

// take counts one more stream of kind with p if under both caps (perPeer 0:
// no per-peer cap); release gives it back.
func (b *bounds) take(kind string, p peer.ID, perPeer, all int) (release func(), ok bool) {
	key := kind + string(p)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.all[kind] >= all || perPeer > 0 && b.byPeer[key] >= perPeer {
		return nil, false
	}
	b.all[kind]++
	b.byPeer[key]++
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.all[kind]--
		if b.byPeer[key]--; b.byPeer[key] <= 0 {
			delete(b.byPeer, key)
		}
	}, true
}

// wait is take for this node's own work: it waits for room until ctx ends.
func (b *bounds) wait(ctx context.Context, kind string, p peer.ID, perPeer, all int) (func(), error) {
	for {
		if release, ok := b.take(kind, p, perPeer, all); ok {
			return release, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// bounded refuses a stream beyond the caps of its kind, and one from a peer
// over its rate limit, before reading a byte of it.
func (m *Mesh) bounded(kind string, perPeer, all int, h network.StreamHandler) network.StreamHandler {
	return func(s network.Stream) {
		from := s.Conn().RemotePeer()
		release, ok := m.bounds.take(kind, from, perPeer, all)
		if !ok || !m.allow(from) {
			if ok {
				release()
			}
			m.metrics.refused.WithLabelValues(kind).Inc()
			_ = s.Reset()
			return
		}
		defer release()
		h(s)
	}
}

// roundReader is a sync stream's reader for one round: bytes keep coming
// (frameIdle at most between two reads), the round ends within syncTimeout,
// and its frames together stay within roundBytes.
type roundReader struct {
	s    network.Stream
	left int64
	idle time.Duration
	end  time.Time
}

func (m *Mesh) newRoundReader(s network.Stream) *roundReader {
	return &roundReader{s: s, left: roundBytes, idle: m.frameIdle, end: time.Now().Add(syncTimeout)}
}

func (r *roundReader) Read(b []byte) (int, error) {
	if r.left <= 0 {
		return 0, fmt.Errorf("%w: a sync round beyond %d bytes", ErrTooLarge, roundBytes)
	}
	if int64(len(b)) > r.left {
		b = b[:r.left]
	}
	deadline := time.Now().Add(r.idle)
	if deadline.After(r.end) {
		deadline = r.end
	}
	_ = r.s.SetReadDeadline(deadline)
	n, err := r.s.Read(b)
	r.left -= int64(n)
	return n, err
}

var _ io.Reader = (*roundReader)(nil)

// trimRound keeps of evs what one round may carry (roundEvents and
// sendBytes); it says whether it cut.
func trimRound(evs []*Event) ([]*Event, bool) {
	size := 0
	for i, ev := range evs {
		size += len(ev.Raw()) + 1
		if i == roundEvents || size > sendBytes {
			return evs[:i], true
		}
	}
	return evs, false
}
