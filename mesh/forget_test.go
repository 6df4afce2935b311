package mesh

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// storedKeys counts the Badger keys under prefix, tombstoned ones excluded.
func storedKeys(t *testing.T, m *Mesh, prefix string) int {
	t.Helper()
	n := 0
	err := m.store.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefix)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestForget: deleting a meeting removes its key, log and files from this
// node, and neither gossip nor anti-entropy brings it back while the other
// members go on; its link joins it again.
func TestForget(t *testing.T) {
	ctx := context.Background()
	a := startMesh(t, testConfig(t, "alice"))
	b := startMesh(t, testConfig(t, "bob", a))
	id, link := meetingOf(t, a, b)
	msg, err := b.ShareFile(ctx, id, "notes.txt", "text/plain", "", bytes.NewReader([]byte("the notes")))
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "alice gets the file", hasFile(a, id, *msg.File))
	if storedKeys(t, a, "e/"+id+"/") == 0 || storedKeys(t, a, "k/"+id) != 1 {
		t.Fatal("the meeting is not in alice's store before the delete")
	}

	if err := a.Forget(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Meeting(id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Meeting after Forget: %v, want ErrNotFound", err)
	}
	if n := storedKeys(t, a, "e/"+id+"/") + storedKeys(t, a, "k/"+id); n != 0 {
		t.Fatalf("%d keys of the meeting are left in Badger", n)
	}
	if _, err := os.Stat(filepath.Join(a.cfg.DataDir.Files(), id)); !os.IsNotExist(err) {
		t.Fatalf("the meeting's files dir is left: %v", err)
	}
	eventually(t, 10*time.Second, "bob sees alice leave", func() error {
		v, err := b.Meeting(id)
		if err != nil || v.Participants[0].LeftAt == nil && v.Participants[1].LeftAt == nil {
			return errors.New("alice still in")
		}
		return nil
	})
	if _, err := b.PostMessage(ctx, id, "after alice deleted it"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * a.cfg.SyncInterval) // sync rounds run; none may bring the meeting back
	if _, err := a.Meeting(id); !errors.Is(err, ErrNotFound) || storedKeys(t, a, "e/"+id+"/") != 0 || !a.Forgotten(id) {
		t.Fatalf("the meeting came back: %v", err)
	}
	if err := a.Forget(ctx, id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleting twice: %v, want ErrNotFound", err)
	}

	// Its link is the way back: history comes from bob again.
	if _, err := a.Join(ctx, link); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "alice has the history again", hasMessages(a, id, 2))
	if a.Forgotten(id) {
		t.Fatal("joining again should lift the tombstone")
	}
}
