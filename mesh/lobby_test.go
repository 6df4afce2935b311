package mesh

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// TestLobby: with requireApproval the link only reaches the lobby; the
// host sees who waits and admits them; only then can they read and post.
func TestLobby(t *testing.T) {
	ctx := context.Background()
	host := startMesh(t, testConfig(t, "host"))
	bob := startMesh(t, testConfig(t, "bob", host))
	carol := startMesh(t, testConfig(t, "carol", host, bob))
	v, _, err := host.CreateMeeting(ctx, []byte(`{"title":"Board","settings":{"requireApproval":true}}`))
	if err != nil {
		t.Fatal(err)
	}
	key, lobby, err := host.ShareKey(v.ID)
	if err != nil || !lobby {
		t.Fatalf("share key: lobby=%v err=%v", lobby, err)
	}
	link := FormatLobbyLink("http://127.0.0.1:7700", v.ID, key)
	if _, err := host.Join(ctx, link); err != nil {
		t.Fatalf("host joins with the lobby link: %v", err)
	}
	if _, err := host.PostMessage(ctx, v.ID, "agenda"); err != nil {
		t.Fatal(err)
	}

	for _, m := range []*Mesh{bob, carol} {
		if _, err := m.Join(ctx, link); !errors.Is(err, ErrWaiting) {
			t.Fatalf("%s: join gave %v, want ErrWaiting", m.cfg.Name, err)
		}
		if _, err := m.Messages(v.ID, "", 0); !errors.Is(err, ErrNotFound) {
			t.Fatalf("%s reads the meeting from the lobby: %v", m.cfg.Name, err)
		}
	}
	eventually(t, 10*time.Second, "host sees two knocks", func() error {
		l, err := host.Lobby(v.ID)
		if err != nil || len(l) != 2 {
			return fmt.Errorf("lobby %+v %v", l, err)
		}
		return nil
	})
	if err := host.Admit(ctx, v.ID, bob.self.String()); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "bob is in", func() error {
		mv, err := bob.Meeting(v.ID)
		if err != nil || !mv.Joined {
			return fmt.Errorf("bob: %+v %v", mv.Joined, err)
		}
		return nil
	})
	if bob.Waiting(v.ID) || !carol.Waiting(v.ID) {
		t.Fatal("waiting flags wrong")
	}
	eventually(t, 10*time.Second, "bob has the history", hasMessages(bob, v.ID, 1))
	// A participant cannot admit; carol still waits.
	if err := bob.Admit(ctx, v.ID, carol.self.String()); !errors.Is(err, ErrForbidden) && !errors.Is(err, ErrNotFound) {
		t.Fatalf("participant admitted: %v", err)
	}
	if _, err := carol.Messages(v.ID, "", 0); !errors.Is(err, ErrNotFound) {
		t.Fatal("carol got in without being admitted")
	}
	// Carol gives up: she leaves the host's lobby list.
	if err := carol.Leave(ctx, v.ID); err != nil || carol.Waiting(v.ID) {
		t.Fatalf("leave the lobby: %v, waiting %v", err, carol.Waiting(v.ID))
	}
	eventually(t, 10*time.Second, "carol's knock expires", func() error {
		if l, _ := host.Lobby(v.ID); len(l) != 0 {
			return fmt.Errorf("lobby %+v", l)
		}
		return nil
	})
	eventually(t, 10*time.Second, "audit on the host", func() error {
		a, _ := host.Audit(v.ID)
		var kinds []string
		for _, e := range a {
			kinds = append(kinds, e.Type)
		}
		if fmt.Sprint(kinds) != "[created join admit join]" {
			return fmt.Errorf("audit %v", kinds)
		}
		return nil
	})
}

// TestConcurrentJoins: the same link joined many times at once is one join.
func TestConcurrentJoins(t *testing.T) {
	a := startMesh(t, testConfig(t, "alice"))
	b := startMesh(t, testConfig(t, "bob", a))
	v, secret, err := a.CreateMeeting(context.Background(), []byte(`{"title":"t"}`))
	if err != nil {
		t.Fatal(err)
	}
	link := FormatJoinLink("http://127.0.0.1:7700", v.ID, secret)
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			_, err := b.Join(context.Background(), link)
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent join: %v", err)
		}
	}
	eventually(t, 5*time.Second, "one join", func() error {
		if log, _ := b.Audit(v.ID); len(log) != 2 {
			return fmt.Errorf("audit %+v", log)
		}
		return nil
	})
}
