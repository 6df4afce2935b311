package mesh

import (
	"log/slog"
	"sync"
	"time"
)

// persister writes events that came from peers in the background, many per
// fsync. Such an event is already durable at its author, and anti-entropy
// fetches it again if this node dies before the write, so live delivery need
// not wait for the disk. This node's own events are written before they are
// acknowledged (Mesh.ingest with durable set).
type persister struct {
	store *store
	log   *slog.Logger

	mu      sync.Mutex
	pending map[string][]*Event
	failing bool // the last flush could not write everything (run only)
	wake    chan struct{}
	stop    chan struct{}
	done    chan struct{}
}

func newPersister(st *store, log *slog.Logger) *persister {
	return &persister{store: st, log: log, pending: map[string][]*Event{},
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
}

func (p *persister) add(meetingID string, evs []*Event) {
	p.mu.Lock()
	p.pending[meetingID] = append(p.pending[meetingID], evs...)
	p.mu.Unlock()
	p.kick()
}

// run writes until close is called, then writes what is left and returns.
func (p *persister) run() {
	defer close(p.done)
	for {
		select {
		case <-p.wake:
			p.flush()
		case <-p.stop:
			p.flush()
			return
		}
	}
}

// flush writes what is pending. What cannot be written (a full disk) stays pending and
// is tried again a second later: those events are in memory already, so anti-entropy
// would never fetch them again, and dropping them would lose them at the next restart.
func (p *persister) flush() {
	p.mu.Lock()
	batch := p.pending
	p.pending = map[string][]*Event{}
	p.mu.Unlock()
	failed := false
	for id, evs := range batch {
		if err := p.store.putEvents(id, evs, false); err != nil {
			if !p.failing {
				p.log.Error("cannot store received events; trying again each second", "meeting", id, "count", len(evs), "err", err)
			}
			failed = true
			p.mu.Lock()
			p.pending[id] = append(evs, p.pending[id]...)
			p.mu.Unlock()
		}
	}
	if p.failing = failed; failed {
		time.AfterFunc(time.Second, p.kick)
	}
}

func (p *persister) kick() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// close flushes and stops; call it once nothing adds any more.
func (p *persister) close() {
	close(p.stop)
	<-p.done
}
