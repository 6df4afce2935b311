package mesh

import (
	"context"
	"fmt"
	"meshmeet/mesh/eventlog"
	"os"
	"path/filepath"
	"time"

	"github.com/dgraph-io/badger/v4"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
)

// Forget deletes this node's copy of a meeting: it leaves (if in), stops
// its topics and lobby, and removes its key, its log and its files from
// disk. Without the key neither gossip nor anti-entropy can bring the
// meeting back (both are keyed by it), and a tombstone drops writes still
// in flight; opening the join link again joins afresh. Other members keep
// their copies.
func (m *Mesh) Forget(ctx context.Context, id string) error {
	if err := m.running(); err != nil {
		return err
	}
	if !meetingIDPattern.MatchString(id) {
		return fmt.Errorf("%w: %q is not a meeting ID", ErrInvalid, id)
	}
	m.stopKnocking(id)
	// No key switch (epoch.go) or opening may put the meeting back meanwhile.
	m.openMu.Lock()
	defer m.openMu.Unlock()
	m.mu.Lock()
	mt, lb := m.meetings[id], m.lobbies[id]
	m.mu.Unlock()
	if mt == nil && lb == nil {
		return fmt.Errorf("%w %s", ErrNotFound, id)
	}
	if mt != nil {
		m.leaveQuietly(ctx, mt)
	}
	m.mu.Lock()
	delete(m.meetings, id)
	delete(m.lobbies, id)
	var prev *meeting
	if mt != nil {
		prev = mt.prev
		mt.older = nil
	}
	m.mu.Unlock()
	if mt != nil {
		m.stopMeeting(mt)
	}
	if prev != nil {
		m.stopMeeting(prev)
	}
	if lb != nil {
		lb.stop()
		lb.loop.Wait()
		m.closeTopic(lb.topic, topicName(lb.keys, kindLobby))
	}
	if err := m.store.forget(id, time.Now()); err != nil {
		return fmt.Errorf("delete meeting %s from the history: %w", id, err)
	}
	if err := os.RemoveAll(filepath.Join(m.blobs.dir, id)); err != nil {
		return fmt.Errorf("delete the files of meeting %s: %w", id, err)
	}
	return nil
}

// leaveQuietly publishes this node's leave if it is still in the meeting,
// so the others see it go; a failure only costs them the notice.
func (m *Mesh) leaveQuietly(ctx context.Context, mt *meeting) {
	mt.mu.Lock()
	me := mt.st().Members[m.self]
	in := mt.st().Record != nil && me != nil && me.Present() && !mt.st().Ended(time.Now())
	mt.mu.Unlock()
	if !in {
		return
	}
	if _, err := m.publishEvent(ctx, mt, TypeLeave, nil); err != nil {
		m.log.Warn("leave before delete failed", "meeting", mt.id, "err", err)
	}
}

func (m *Mesh) closeTopic(t *pubsub.Topic, name string) {
	if err := t.Close(); err != nil {
		m.log.Warn("cannot close topic", "err", err)
	}
	_ = m.ps.UnregisterTopicValidator(name)
}

// Forgotten reports whether this node deleted the meeting (and has not
// joined it again since).
func (m *Mesh) Forgotten(id string) bool {
	m.store.mu.RLock()
	defer m.store.mu.RUnlock()
	return m.store.gone[id]
}

// LastActivity is the time of the newest event in the meeting's log; with
// its scheduled time it tells how old a meeting is (retention).
func (m *Mesh) LastActivity(id string) (time.Time, error) {
	mt, err := m.known(id)
	if err != nil {
		return time.Time{}, err
	}
	mt.mu.Lock()
	defer mt.mu.Unlock()
	return eventlog.HLCTime(mt.log.Events()[len(mt.log.Events())-1].HLC), nil
}

// forget marks the meeting gone (later writes for it are dropped), then
// removes its key and log from Badger: DropPrefix deletes the data itself,
// not only hides it behind tombstones.
func (s *store) forget(id string, now time.Time) error {
	s.mu.Lock()
	s.gone[id] = true
	s.mu.Unlock()
	err := s.db.Update(func(txn *badger.Txn) error {
		return txn.Set([]byte("x/"+id), []byte(now.UTC().Format(time.RFC3339)))
	})
	if err != nil {
		return err
	}
	if err := s.db.DropPrefix([]byte("k/"+id), []byte("e/"+id+"/")); err != nil {
		return err
	}
	return s.db.Sync()
}

// tombstones lists the meetings this node deleted.
func (s *store) tombstones() (map[string]bool, error) {
	out := map[string]bool{}
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte("x/")})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			out[string(it.Item().Key()[2:])] = true
		}
		return nil
	})
	return out, err
}
