package mesh

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"meshmeet/mesh/eventlog"
	"testing"
	"time"
)

// TestRemovedStopsReceiving (issue 9, row 5): a removed member keeps running
// the normal binary with the old key. The meeting moves to a new key sealed
// to the others; the removed node, even syncing on its own, gets none of
// the chat, presence or file names that follow, and the old link opens
// nothing new.
func TestRemovedStopsReceiving(t *testing.T) {
	ctx := context.Background()
	host := startMesh(t, testConfig(t, "host"))
	bob := startMesh(t, testConfig(t, "bob", host))
	carol := startMesh(t, testConfig(t, "carol", host, bob))
	mallory := startMesh(t, testConfig(t, "mallory", host, bob, carol))
	id, oldLink := meetingOf(t, host, bob, carol, mallory)
	for _, m := range []*Mesh{host, bob, carol, mallory} {
		eventually(t, 10*time.Second, m.cfg.Name+" sees four", liveCount(m, id, 4))
	}
	oldKey, _, _ := host.ShareKey(id)

	if err := host.Remove(ctx, id, mallory.self.String()); err != nil {
		t.Fatal(err)
	}
	for _, m := range []*Mesh{host, bob, carol} {
		eventually(t, 15*time.Second, m.cfg.Name+" moves to a new key", func() error {
			k, _, err := m.ShareKey(id)
			if err != nil || bytes.Equal(k, oldKey) {
				return fmt.Errorf("still the old key (%v)", err)
			}
			return nil
		})
	}
	newKey, _, _ := host.ShareKey(id)
	if k, _, _ := mallory.ShareKey(id); bytes.Equal(k, newKey) {
		t.Fatal("the removed node got the new key")
	}

	// What the meeting says now reaches the members, and not mallory.
	for i := range 3 {
		if _, err := bob.PostMessage(ctx, id, fmt.Sprint("after the removal ", i)); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 15*time.Second, "carol has the new chat", func() error {
		return hasText(carol, id, "after the removal 2")()
	})
	mm, _ := mallory.meeting(id)
	for _, p := range []*Mesh{host, bob, carol} {
		_ = mallory.syncWith(ctx, p.self, mm) // the removed node asks on its own
	}
	if hasText(mallory, id, "after the removal 0")() == nil || hasText(mallory, id, "after the removal 2")() == nil {
		t.Fatal("the removed node reads chat written after its removal")
	}
	mm.mu.Lock()
	_, hearsBob := mm.presence[bob.self]
	mm.mu.Unlock()
	eventually(t, 10*time.Second, "mallory stops hearing presence", func() error {
		mm.mu.Lock()
		defer mm.mu.Unlock()
		if hb := mm.presence[bob.self]; hb != nil && hearsBob {
			return errors.New("bob's heartbeats still arrive")
		}
		return nil
	})

	// The old link opens nothing new (the removed node may still hand out
	// what it had); the new one opens everything.
	late := startMesh(t, testConfig(t, "late", host, bob))
	lctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if _, err := late.Join(lctx, oldLink); err == nil {
		lm, _ := late.meeting(id)
		for _, p := range []*Mesh{host, bob, carol} {
			_ = late.syncWith(ctx, p.self, lm)
		}
		if hasText(late, id, "after the removal 0")() == nil {
			t.Fatal("the old link reads chat written after the removal")
		}
	}
	late2 := startMesh(t, testConfig(t, "late2", host, bob))
	if _, err := late2.Join(ctx, FormatJoinLink("http://127.0.0.1:7700", id, newKey)); err != nil {
		t.Fatalf("the new link: %v", err)
	}
	eventually(t, 15*time.Second, "the new member reads the chat", func() error {
		return hasText(late2, id, "after the removal 2")()
	})

	// The host asks for a new key: everyone in the meeting follows, the
	// new member too; a participant cannot ask.
	if _, err := late2.Rekey(ctx, id); !errors.Is(err, ErrForbidden) {
		t.Fatalf("a participant changed the key: %v", err)
	}
	if _, err := host.Rekey(ctx, id); err != nil {
		t.Fatal(err)
	}
	for _, m := range []*Mesh{bob, carol, late2} {
		eventually(t, 20*time.Second, m.cfg.Name+" follows the host's new key", func() error {
			k, _, _ := m.ShareKey(id)
			if hk, _, _ := host.ShareKey(id); bytes.Equal(hk, newKey) || !bytes.Equal(k, hk) {
				desc := func(x *Mesh) string {
					mt, _ := x.meeting(id)
					mt.mu.Lock()
					defer mt.mu.Unlock()
					st := mt.st()
					boxes := 0
					sealedMe := false
					if st.KeyEvent != nil {
						b := eventlog.BodyOf[eventlog.Rekey](st.KeyEvent)
						boxes = len(b.Boxes)
						sealedMe = b.Sealed(m.self) != nil
					}
					return fmt.Sprintf("%s: epoch %d boxes %d sealed-to-%s %v stranded %v holds-check %v", x.cfg.Name, st.Epoch, boxes, m.cfg.Name, sealedMe, mt.log.Stranded(),
						st.KeyEvent != nil && eventlog.BodyOf[eventlog.Rekey](st.KeyEvent).Check == eventlog.KeyCheck(mt.keys.secret))
				}
				return fmt.Errorf("not yet: %s | %s", desc(host), desc(m))
			}
			return nil
		})
	}
}

func TestSealedKeyOpensOnlyForItsMember(t *testing.T) {
	a, b := testConfig(t, "a"), testConfig(t, "b")
	boxA, _ := boxKey(a.PrivKey)
	boxB, _ := boxKey(b.PrivKey)
	ma, _ := New(a)
	secret := newSecret()
	sealed, err := sealKey(boxA.PublicKey().Bytes(), "0123456789abcdef0123456789abcdef", ma.self, secret)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := openKey(boxA, sealed, "0123456789abcdef0123456789abcdef", ma.self); err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("its member cannot open it: %v", err)
	}
	if _, err := openKey(boxB, sealed, "0123456789abcdef0123456789abcdef", ma.self); err == nil {
		t.Fatal("another box opens it")
	}
	if _, err := openKey(boxA, sealed, "fedcba9876543210fedcba9876543210", ma.self); err == nil {
		t.Fatal("it opens for another meeting")
	}
	if again, _ := boxKey(a.PrivKey); !bytes.Equal(again.Bytes(), boxA.Bytes()) {
		t.Fatal("the box key is not stable across restarts")
	}
}
