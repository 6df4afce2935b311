package mesh

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"log/slog"
	"meshmeet/mesh/eventlog"
	"strings"
	"sync"

	"github.com/dgraph-io/badger/v4"
)

// store keeps meeting keys and logs in Badger. Keys:
//
//	k/<meetingID>                 -> link secret
//	e/<meetingID>/<hlc><id bytes> -> signed event envelope
//	x/<meetingID>                 -> deletion time (RFC 3339) of a meeting this node forgot
//
// so iterating e/<meetingID>/ yields the log in (HLC, ID) order.
type store struct {
	db   *badger.DB
	disk *disk // every write first checks there is room

	// mu guards gone; putEvents holds it for reading while it writes, so
	// once forget has marked a meeting no write for it is under way.
	mu   sync.RWMutex
	gone map[string]bool // meetings deleted here: late writes for them are dropped
}

func openStore(dir string, d *disk, log *slog.Logger) (*store, error) {
	if err := d.room(0); err != nil {
		return nil, fmt.Errorf("cannot open the history: %w", err)
	}
	// Badger's defaults reserve hundreds of MB (64 MB memtables, 256 MB block
	// cache); a meeting log is small, so keep the footprint near a few MB.
	opts := badger.DefaultOptions(dir).
		WithSyncWrites(false). // fsync only what is acknowledged: see putEvents
		WithLogger(badgerLogger{log}).
		WithMemTableSize(4 << 20).
		WithNumMemtables(2).
		WithNumLevelZeroTables(2).
		WithNumLevelZeroTablesStall(4).
		WithBaseTableSize(2 << 20).
		WithValueThreshold(64 << 10).
		WithValueLogFileSize(16 << 20).
		WithBlockCacheSize(4 << 20).
		WithIndexCacheSize(2 << 20).
		WithNumCompactors(2).
		WithCompactL0OnClose(false)
	db, err := badger.Open(opts)
	if err != nil {
		if strings.Contains(err.Error(), "Cannot acquire directory lock") {
			return nil, fmt.Errorf("%w: %s is in use by another meshmeet process", ErrDataDir, dir)
		}
		return nil, fmt.Errorf("%w: open %s: %w", ErrDataDir, dir, err)
	}
	st := &store{db: db, disk: d}
	if st.gone, err = st.tombstones(); err != nil {
		db.Close()
		return nil, fmt.Errorf("%w: read %s: %w", ErrDataDir, dir, err)
	}
	return st, nil
}

func (s *store) Close() error { return s.db.Close() }

func eventKey(meetingID string, ev *Event) []byte {
	id, _ := hex.DecodeString(ev.ID)
	k := make([]byte, 0, 2+len(meetingID)+1+8+len(id))
	k = append(k, "e/"...)
	k = append(k, meetingID...)
	k = append(k, '/')
	k = binary.BigEndian.AppendUint64(k, ev.HLC)
	return append(k, id...)
}

// putSecret stores a meeting's key, once the meeting's genesis proves it
// (attempt.go); joining a meeting deleted before
// (its link opened again) lifts its tombstone.
func (s *store) putSecret(meetingID string, secret []byte) error {
	if err := s.disk.room(0); err != nil {
		return err
	}
	err := s.db.Update(func(txn *badger.Txn) error {
		if err := txn.Delete([]byte("x/" + meetingID)); err != nil {
			return err
		}
		return txn.Set([]byte("k/"+meetingID), secret)
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.gone, meetingID)
	s.mu.Unlock()
	return s.db.Sync()
}

// dropSecret deletes a meeting's key (one its genesis does not prove).
func (s *store) dropSecret(meetingID string) error {
	if err := s.db.Update(func(txn *badger.Txn) error { return txn.Delete([]byte("k/" + meetingID)) }); err != nil {
		return err
	}
	return s.db.Sync()
}

// secrets returns every meeting this node holds a key for.
func (s *store) secrets() (map[string][]byte, error) {
	out := map[string][]byte{}
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte("k/")})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			out[string(it.Item().Key()[2:])] = v
		}
		return nil
	})
	return out, err
}

// putEvents writes events; with durable set they are fsynced before it
// returns. Without it they reach the OS at once (a killed process loses
// nothing) and the disk at Badger's pace: events from peers are durable at
// their author already, and anti-entropy refetches what a power cut loses.
func (s *store) putEvents(meetingID string, evs []*Event, durable bool) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.gone[meetingID] {
		return nil // a sync round or the persister finishing after Forget
	}
	var size int64
	for _, ev := range evs {
		size += int64(len(ev.Raw()))
	}
	if err := s.disk.room(size); err != nil {
		return err
	}
	wb := s.db.NewWriteBatch()
	defer wb.Cancel()
	for _, ev := range evs {
		if err := wb.Set(eventKey(meetingID, ev), ev.Raw()); err != nil {
			return err
		}
	}
	if err := wb.Flush(); err != nil {
		return err
	}
	if durable {
		return s.db.Sync()
	}
	return nil
}

// events loads a meeting's log in order. Events were verified before they
// were stored, but decoding again keeps a corrupted disk from poisoning state.
func (s *store) events(meetingID string, log *slog.Logger) ([]*Event, error) {
	var out []*Event
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte("e/" + meetingID + "/"), PrefetchValues: true, PrefetchSize: 100})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			raw, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			ev, err := eventlog.Decode(raw)
			if err != nil {
				log.Warn("skipping corrupt stored event", "meeting", meetingID, "err", err)
				continue
			}
			out = append(out, ev)
		}
		return nil
	})
	return out, err
}

type badgerLogger struct{ log *slog.Logger }

func (l badgerLogger) Errorf(f string, a ...any) {
	l.log.Error("badger", "msg", strings.TrimSpace(fmt.Sprintf(f, a...)))
}
func (l badgerLogger) Warningf(f string, a ...any) {
	l.log.Warn("badger", "msg", strings.TrimSpace(fmt.Sprintf(f, a...)))
}
func (l badgerLogger) Infof(f string, a ...any) {
	l.log.Debug("badger", "msg", strings.TrimSpace(fmt.Sprintf(f, a...)))
}
func (l badgerLogger) Debugf(string, ...any) {}
