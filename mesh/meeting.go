package mesh

import (
	"context"
	"time"

	"encoding/hex"
	"sync"

	"meshmeet/mesh/eventlog"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"
	"golang.org/x/time/rate"
)

// bucketMillis is the width of one anti-entropy digest bucket.
const bucketMillis = 60_000

type bucket struct {
	N int      `json:"n"`
	X [32]byte `json:"x"`
}

func bucketOf(hlc uint64) int64 { return int64(hlc>>eventlog.HLCLogicalBits) / bucketMillis }

// meeting is one meeting this node holds the key of. mu guards everything
// below it; no network I/O happens while it is held.
type meeting struct {
	id     string
	keys   keys
	topics map[string]*pubsub.Topic // by topic kind, set once at open
	joinMu sync.Mutex               // serialises this node's own joins
	stop   context.CancelFunc       // ends the meeting's topic loops (Forget)
	loops  sync.WaitGroup           // those loops

	mu           *sync.Mutex   // shared with the meeting's other epochs
	prev         *meeting      // the previous key epoch, heard until the next rekey
	older        []*meeting    // epochs before it, topics closed: anti-entropy only (epoch.go)
	log          *eventlog.Log // the events and the state they fold into
	buckets      map[int64]*bucket
	presence     map[peer.ID]*heartbeat
	heldOff      map[peer.ID]time.Time     // heartbeats sent before this are ignored (dropPresence)
	selfMedia    MediaState                // this node's own media state here
	reactions    map[peer.ID]*rate.Limiter // reactions shown, by sender (reaction.go)
	selfCapacity int                       // this node's relay capacity, as its heartbeats say
	selfSite     string                    // this node's site, as its last heartbeat said
	listeners    map[chan Notice]struct{}
	announced    map[peer.ID]bool // presence-based online view, for left/joined notices
	timedOut     bool             // its time limit passed and the pages were told
	beatSoon     bool             // a heartbeat is due in a moment (heartbeatSoon)
	opened       time.Time        // when this node began to hear the meeting's presence
	// pending is set while the meeting's key is not proven by its genesis
	// (attempt.go): nothing of it is written to disk.
	pending *pendingKey
}

func newMeeting(id string, k keys) *meeting {
	return &meeting{
		id: id, keys: k, topics: map[string]*pubsub.Topic{},
		mu: new(sync.Mutex), log: eventlog.New(id), buckets: map[int64]*bucket{},
		presence: map[peer.ID]*heartbeat{}, heldOff: map[peer.ID]time.Time{}, listeners: map[chan Notice]struct{}{},
		announced: map[peer.ID]bool{}, opened: time.Now(),
	}
}

// unknownLocked filters evs down to those not yet in the log, without duplicates.
func (m *meeting) unknownLocked(evs []*Event) []*Event {
	seen := map[string]bool{}
	var out []*Event
	for _, ev := range evs {
		if m.log.Get(ev.ID) != nil || seen[ev.ID] {
			continue
		}
		seen[ev.ID] = true
		out = append(out, ev)
	}
	return out
}

// addLocked takes events into the log; it returns those it took (to be
// stored) and those that became valid (to be announced).
func (m *meeting) addLocked(evs []*Event) (added, valid []*Event) {
	added, valid = m.log.Add(evs)
	for _, ev := range added {
		b := m.buckets[bucketOf(ev.HLC)]
		if b == nil {
			b = &bucket{}
			m.buckets[bucketOf(ev.HLC)] = b
		}
		b.N++
		id, _ := hex.DecodeString(ev.ID)
		for i := range b.X {
			b.X[i] ^= id[i]
		}
	}
	return added, valid
}

// digestLocked copies the bucket digest for anti-entropy.
func (m *meeting) digestLocked() map[int64]bucket {
	out := make(map[int64]bucket, len(m.buckets))
	for k, b := range m.buckets {
		out[k] = *b
	}
	return out
}

// eventsInLocked returns the events that fall in the given buckets.
func (m *meeting) eventsInLocked(want map[int64]bool) []*Event {
	var out []*Event
	for _, ev := range m.log.Events() {
		if want[bucketOf(ev.HLC)] {
			out = append(out, ev)
		}
	}
	return out
}
