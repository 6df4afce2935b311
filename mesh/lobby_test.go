package mesh

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"meshmeet/mesh/eventlog"
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
	eventually(t, 10*time.Second, "audit on the host", auditIs(host, v.ID, "[created join admit join]"))
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

// TestLobbyDeny: the host turns one joiner away and a moderator another; each stops
// knocking and learns it (Denied), the lobby lists empty on every member, a denied node
// that knocks again is turned away again at once, and the audit log shows both denials.
func TestLobbyDeny(t *testing.T) {
	ctx := context.Background()
	host := startMesh(t, testConfig(t, "host"))
	bob := startMesh(t, testConfig(t, "bob", host))
	carol := startMesh(t, testConfig(t, "carol", host, bob))
	dave := startMesh(t, testConfig(t, "dave", host, bob))
	v, _, err := host.CreateMeeting(ctx, []byte(`{"title":"Board","settings":{"requireApproval":true}}`))
	if err != nil {
		t.Fatal(err)
	}
	key, _, _ := host.ShareKey(v.ID)
	link := FormatLobbyLink("http://127.0.0.1:7700", v.ID, key)
	if _, err := host.Join(ctx, link); err != nil {
		t.Fatal(err)
	}
	// Bob gets in and becomes a moderator.
	if _, err := bob.Join(ctx, link); !errors.Is(err, ErrWaiting) {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "bob knocks", lobbyHas(host, v.ID, bob))
	if err := host.Admit(ctx, v.ID, bob.self.String()); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "bob is in", func() error {
		if mv, err := bob.Meeting(v.ID); err != nil || !mv.Joined {
			return fmt.Errorf("bob not in: %v", err)
		}
		return nil
	})
	for _, m := range []*Mesh{carol, dave} {
		if _, err := m.Join(ctx, link); !errors.Is(err, ErrWaiting) {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, m.cfg.Name+" knocks", lobbyHas(bob, v.ID, m))
	}
	// A participant cannot deny; the host and a moderator can.
	if err := bob.Deny(ctx, v.ID, dave.self.String()); !errors.Is(err, ErrForbidden) {
		t.Fatalf("a participant denied: %v", err)
	}
	eventually(t, 10*time.Second, "host sees bob", func() error {
		_, err := host.SetRole(ctx, v.ID, bob.self.String(), RoleModerator)
		return err
	})
	if err := host.Deny(ctx, v.ID, carol.self.String()); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "bob knows bob is a moderator", func() error {
		return bob.Deny(ctx, v.ID, dave.self.String())
	})
	for _, m := range []*Mesh{carol, dave} {
		eventually(t, 10*time.Second, m.cfg.Name+" learns the denial", func() error {
			if !m.Denied(v.ID) || m.Waiting(v.ID) {
				return fmt.Errorf("denied %v, waiting %v", m.Denied(v.ID), m.Waiting(v.ID))
			}
			return nil
		})
	}
	for _, m := range []*Mesh{host, bob} {
		eventually(t, 10*time.Second, m.cfg.Name+"'s lobby empties", func() error {
			if l, _ := m.Lobby(v.ID); len(l) != 0 {
				return fmt.Errorf("lobby %+v", l)
			}
			return nil
		})
	}
	// Knocking again is turned away again, and never listed.
	if _, err := carol.Join(ctx, link); !errors.Is(err, ErrWaiting) {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "carol denied again", func() error {
		if !carol.Denied(v.ID) {
			return errors.New("still waiting")
		}
		return nil
	})
	if l, _ := host.Lobby(v.ID); len(l) != 0 {
		t.Fatalf("a denied node is listed: %+v", l)
	}
	if _, err := carol.Messages(v.ID, "", 0); !errors.Is(err, ErrNotFound) {
		t.Fatal("carol got in")
	}
	eventually(t, 10*time.Second, "audit", auditIs(host, v.ID, "[created join admit join role deny deny]"))
}

// auditIs checks the types in m's audit log of a meeting, e.g. "[created join]".
func auditIs(m *Mesh, id, want string) func() error {
	return func() error {
		a, _ := m.Audit(id)
		var kinds []string
		for _, e := range a {
			kinds = append(kinds, e.Type)
		}
		if fmt.Sprint(kinds) != want {
			return fmt.Errorf("audit %v, want %s", kinds, want)
		}
		return nil
	}
}

func lobbyHas(m *Mesh, id string, who *Mesh) func() error {
	return func() error {
		l, err := m.Lobby(id)
		for _, e := range l {
			if e.PeerID == who.self.String() {
				return nil
			}
		}
		return fmt.Errorf("%s's lobby %+v %v lacks %s", m.cfg.Name, l, err, who.cfg.Name)
	}
}

// TestVerifyDenial: only the host, or a moderator with the host's role event, can send a
// joiner away; anyone else holding the lobby link cannot.
func TestVerifyDenial(t *testing.T) {
	host, mod, eve, joiner := newAuthor(t), newAuthor(t), newAuthor(t), newAuthor(t)
	base := eventlog.HLCFromTime(time.Now())
	genesis := host.event(t, "", TypeGenesis, base, []byte(`{"title":"t","description":"","duration":60,"settings":{"maxParticipants":5,"requireApproval":true,"enableRecording":false,"enableChat":true},"createdAt":"2030-01-01T00:00:00Z","keyCheck":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","lobby":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`))
	id := genesis.ID[:32]
	other := host.event(t, "", TypeGenesis, base, []byte(`{"title":"u","description":"","duration":60,"settings":{"maxParticipants":5,"requireApproval":true,"enableRecording":false,"enableChat":true},"createdAt":"2030-01-01T00:00:00Z","keyCheck":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","lobby":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`))
	deny := func(a author, meeting string, who author) *Event {
		return a.event(t, meeting, TypeDeny, base+3, []byte(fmt.Sprintf(`{"peer":%q}`, who.id)))
	}
	role := func(a author, who author, r string) *Event {
		return a.event(t, id, TypeRole, base+2, []byte(fmt.Sprintf(`{"peer":%q,"role":%q}`, who.id, r)))
	}
	tests := []struct {
		name  string
		proof []*Event
		ok    bool
	}{
		{"by the host", []*Event{genesis, deny(host, id, joiner)}, true},
		{"by a moderator", []*Event{genesis, role(host, mod, RoleModerator), deny(mod, id, joiner)}, true},
		{"by someone else", []*Event{genesis, deny(eve, id, joiner)}, false},
		{"self-made moderator", []*Event{genesis, role(eve, eve, RoleModerator), deny(eve, id, joiner)}, false},
		{"a participant role", []*Event{genesis, role(host, mod, RoleParticipant), deny(mod, id, joiner)}, false},
		{"role for another peer", []*Event{genesis, role(host, eve, RoleModerator), deny(mod, id, joiner)}, false},
		{"of another joiner", []*Event{genesis, deny(host, id, eve)}, false},
		{"another meeting's genesis", []*Event{other, deny(host, id, joiner)}, false},
		{"not a deny", []*Event{genesis, host.event(t, id, TypeAdmit, base+3, []byte(fmt.Sprintf(`{"peer":%q}`, joiner.id)))}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &denial{V: lobbyVersion, Meeting: id, Peer: joiner.id}
			for _, ev := range tt.proof {
				d.Proof = append(d.Proof, ev.Raw())
			}
			raw, _ := json.Marshal(lobbyMsg{Denial: d})
			lm, err := DecodeLobbyMessage(raw)
			if err != nil {
				t.Fatal(err)
			}
			if err := verifyDenial(lm.Denial); (err == nil) != tt.ok {
				t.Fatalf("verifyDenial = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}
