package mesh

import (
	"context"
	"errors"
	"fmt"
	"meshmeet/mesh/eventlog"
	"strings"
	"testing"
	"time"
)

// TestRemove: the host removes a participant. The removed node sees itself out, stops
// sending presence, cannot post or join again; the others see them leave at once. A
// moderator can remove a participant but not the host or another moderator; a
// participant can remove nobody.
func TestRemove(t *testing.T) {
	ctx := context.Background()
	host := startMesh(t, testConfig(t, "host"))
	bob := startMesh(t, testConfig(t, "bob", host))
	carol := startMesh(t, testConfig(t, "carol", host, bob))
	dave := startMesh(t, testConfig(t, "dave", host, bob, carol))
	v, secret, err := host.CreateMeeting(ctx, []byte(`{"title":"Standup"}`))
	if err != nil {
		t.Fatal(err)
	}
	link := FormatJoinLink("http://127.0.0.1:7700", v.ID, secret)
	for _, m := range []*Mesh{host, bob, carol, dave} {
		if _, err := m.Join(ctx, link); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range []*Mesh{host, bob, carol, dave} {
		eventually(t, 10*time.Second, m.cfg.Name+" sees four", liveCount(m, v.ID, 4))
	}
	// A participant removes nobody.
	if err := bob.Remove(ctx, v.ID, carol.self.String()); !errors.Is(err, ErrForbidden) {
		t.Fatalf("a participant removed someone: %v", err)
	}
	if _, err := host.SetRole(ctx, v.ID, bob.self.String(), RoleModerator); err != nil {
		t.Fatal(err)
	}
	if _, err := host.SetRole(ctx, v.ID, carol.self.String(), RoleModerator); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "bob knows the roles", func() error {
		ps, _ := bob.Participants(v.ID)
		mods := 0
		for _, p := range ps {
			if p.Role == RoleModerator {
				mods++
			}
		}
		if mods != 2 {
			return fmt.Errorf("%d moderators", mods)
		}
		return nil
	})
	// A moderator cannot remove the host or another moderator, but removes a participant.
	if err := bob.Remove(ctx, v.ID, host.self.String()); !errors.Is(err, ErrForbidden) {
		t.Fatalf("the host was removed: %v", err)
	}
	if err := bob.Remove(ctx, v.ID, carol.self.String()); !errors.Is(err, ErrForbidden) {
		t.Fatalf("a moderator removed a moderator: %v", err)
	}
	if err := bob.Remove(ctx, v.ID, dave.self.String()); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "dave is out, on his own node", func() error {
		if mv, _ := dave.Meeting(v.ID); mv.Joined {
			return errors.New("dave still joined")
		}
		return nil
	})
	for _, m := range []*Mesh{host, bob, carol} {
		eventually(t, 10*time.Second, m.cfg.Name+" sees three", liveCount(m, v.ID, 3))
	}
	if _, err := dave.PostMessage(ctx, v.ID, "still here?"); !errors.Is(err, ErrForbidden) {
		t.Fatalf("a removed participant posted: %v", err)
	}
	if _, err := dave.Join(ctx, link); !errors.Is(err, ErrForbidden) {
		t.Fatalf("a removed participant joined again: %v", err)
	}
	// The host removes a moderator.
	if err := host.Remove(ctx, v.ID, carol.self.String()); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "carol is out", liveCount(host, v.ID, 2))
	eventually(t, 10*time.Second, "audit", auditIs(host, v.ID, "[created join join join join role role remove remove]"))
}

func liveCount(m *Mesh, id string, n int) func() error {
	return func() error {
		ps, err := m.Participants(id)
		if err != nil || len(ps) != n {
			return fmt.Errorf("%s sees %d participants (%v), want %d", m.cfg.Name, len(ps), err, n)
		}
		return nil
	}
}

// TestRemovedComesBackOnlyThroughTheLobby: in a meeting that requires approval a removed
// participant's join is refused until the host admits them again.
func TestRemovedComesBackOnlyThroughTheLobby(t *testing.T) {
	host, bob := newAuthor(t), newAuthor(t)
	base := eventlog.HLCFromTime(time.Now())
	genesis := host.event(t, "", TypeGenesis, base, []byte(`{"title":"t","description":"","duration":60,"settings":{"maxParticipants":5,"requireApproval":true,"enableRecording":false,"enableChat":true},"createdAt":"2030-01-01T00:00:00Z","keyCheck":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","lobby":"`+strings.Repeat("A", 43)+`"}`))
	id := genesis.ID[:32]
	bobBody := []byte(fmt.Sprintf(`{"peer":%q}`, bob.id))
	evs := []*Event{
		genesis,
		host.event(t, id, TypeJoin, base+1, []byte(`{"name":"h"}`)),
		host.event(t, id, TypeAdmit, base+2, bobBody),
		bob.event(t, id, TypeJoin, base+3, []byte(`{"name":"b"}`)),
		host.event(t, id, TypeRemove, base+4, bobBody),
		bob.event(t, id, TypeJoin, base+5, []byte(`{"name":"b"}`)), // refused
		host.event(t, id, TypeAdmit, base+6, bobBody),
		bob.event(t, id, TypeJoin, base+7, []byte(`{"name":"b"}`)), // back in
	}
	m := newMeeting(id, keys{})
	m.addLocked(evs)
	for i, want := range []bool{true, true, true, true, true, false, true, true} {
		if m.st().Valid(evs[i].ID) != want {
			t.Fatalf("event %d (%s) valid=%v, want %v", i, evs[i].Type, m.st().Valid(evs[i].ID), want)
		}
	}
	if mb := m.st().Members[bob.id]; mb == nil || !mb.Present() {
		t.Fatal("bob is not back in")
	}
}

// TestMute: the host's mute request reaches the muted participant's page (a notice on their
// node only); a participant cannot mute anyone, a moderator not the host.
func TestMute(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	host := startMesh(t, testConfig(t, "host"))
	bob := startMesh(t, testConfig(t, "bob", host))
	carol := startMesh(t, testConfig(t, "carol", host, bob))
	v, secret, err := host.CreateMeeting(ctx, []byte(`{"title":"Standup"}`))
	if err != nil {
		t.Fatal(err)
	}
	link := FormatJoinLink("http://127.0.0.1:7700", v.ID, secret)
	for _, m := range []*Mesh{host, bob, carol} {
		if _, err := m.Join(ctx, link); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range []*Mesh{host, bob, carol} {
		eventually(t, 10*time.Second, m.cfg.Name+" sees three", liveCount(m, v.ID, 3))
	}
	bobN, _ := bob.Subscribe(ctx, v.ID)
	carolN, _ := carol.Subscribe(ctx, v.ID)
	if err := carol.Mute(ctx, v.ID, bob.self.String()); !errors.Is(err, ErrForbidden) {
		t.Fatalf("a participant muted someone: %v", err)
	}
	if err := host.Mute(ctx, v.ID, bob.self.String()); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(10 * time.Second)
	for got := false; !got; {
		select {
		case n := <-bobN:
			if n.Type == NoticeMute {
				if p, ok := n.Data.(ParticipantView); !ok || p.PeerID != host.self.String() {
					t.Fatalf("mute notice %+v, want one naming the host", n.Data)
				}
				got = true
			}
		case <-deadline:
			t.Fatal("bob's node did not ask its page to mute")
		}
	}
	eventually(t, 10*time.Second, "carol has the mute in her log", auditIs(carol, v.ID, "[created join join join mute]"))
	for len(carolN) > 0 {
		if n := <-carolN; n.Type == NoticeMute {
			t.Fatal("carol's page was asked to mute for bob")
		}
	}
	if _, err := host.SetRole(ctx, v.ID, carol.self.String(), RoleModerator); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "carol moderates", func() error { return carol.Mute(ctx, v.ID, bob.self.String()) })
	if err := carol.Mute(ctx, v.ID, host.self.String()); !errors.Is(err, ErrForbidden) {
		t.Fatalf("a moderator muted the host: %v", err)
	}
}

// TestOldMuteMutesNobody: a mute request learnt later from history (sync) is no notice.
func TestOldMuteMutesNobody(t *testing.T) {
	host, bob := newAuthor(t), newAuthor(t)
	old := eventlog.HLCFromTime(time.Now().Add(-time.Hour))
	genesis := host.event(t, "", TypeGenesis, old, []byte(`{"title":"t","description":"","duration":60,"settings":{"maxParticipants":5,"requireApproval":false,"enableRecording":false,"enableChat":true},"createdAt":"2030-01-01T00:00:00Z","keyCheck":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}`))
	id := genesis.ID[:32]
	hj := host.event(t, id, TypeJoin, old+1, []byte(`{"name":"h"}`))
	bj := bob.event(t, id, TypeJoin, old+2, []byte(`{"name":"b"}`))
	mute := host.event(t, id, TypeMute, old+3, []byte(fmt.Sprintf(`{"peer":%q}`, bob.id)))
	m := newMeeting(id, keys{})
	m.addLocked([]*Event{genesis, hj, bj, mute})
	if !m.st().Valid(mute.ID) {
		t.Fatal("the mute is not valid")
	}
	if n, ok := m.noticeLocked(mute, bob.id); ok {
		t.Fatalf("an hour-old mute gave a notice %+v", n)
	}
}

// TestRecordingRules: only the host or a moderator starts and stops recording, only where
// the meeting allows it, once; leaving or the end stops it; the audit log shows it.
func TestRecordingRules(t *testing.T) {
	host, mod, bob := newAuthor(t), newAuthor(t), newAuthor(t)
	base := eventlog.HLCFromTime(time.Now())
	record := func(allowed bool) *Event {
		return host.event(t, "", TypeGenesis, base, []byte(fmt.Sprintf(`{"title":"t","description":"","duration":60,"settings":{"maxParticipants":5,"requireApproval":false,"enableRecording":%v,"enableChat":true},"createdAt":"2030-01-01T00:00:00Z","keyCheck":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}`, allowed)))
	}
	on, off := []byte(`{"on":true}`), []byte(`{"on":false}`)
	genesis := record(true)
	id := genesis.ID[:32]
	evs := []*Event{
		genesis,
		host.event(t, id, TypeJoin, base+1, []byte(`{"name":"h"}`)),
		mod.event(t, id, TypeJoin, base+2, []byte(`{"name":"m"}`)),
		bob.event(t, id, TypeJoin, base+3, []byte(`{"name":"b"}`)),
		host.event(t, id, TypeRole, base+4, []byte(fmt.Sprintf(`{"peer":%q,"role":"moderator"}`, mod.id))),
		bob.event(t, id, TypeRecord, base+5, on),    // 5: a participant: refused
		mod.event(t, id, TypeRecord, base+6, on),    // 6: the moderator records
		host.event(t, id, TypeRecord, base+7, on),   // 7: already on: refused
		host.event(t, id, TypeRecord, base+8, off),  // 8: the host stops it
		mod.event(t, id, TypeRecord, base+9, on),    // 9: on again
		mod.event(t, id, TypeLeave, base+10, nil),   // 10: the recorder leaves: off
		host.event(t, id, TypeRecord, base+11, off), // 11: already off: refused
	}
	m := newMeeting(id, keys{})
	m.addLocked(evs)
	for i, want := range []bool{true, true, true, true, true, false, true, false, true, true, true, false} {
		if m.st().Valid(evs[i].ID) != want {
			t.Fatalf("event %d (%s) valid=%v, want %v", i, evs[i].Type, m.st().Valid(evs[i].ID), want)
		}
	}
	if v := m.viewLocked(host.id); v.Recording {
		t.Fatal("still recording after the recorder left")
	}
	var kinds []string
	for _, a := range m.auditLocked() {
		kinds = append(kinds, a.Type)
	}
	if got := fmt.Sprint(kinds); got != "[created join join join role recording-started recording-stopped recording-started leave]" {
		t.Fatalf("audit %s", got)
	}

	// Not allowed by the meeting's settings.
	closed := record(false)
	cid := closed.ID[:32]
	m = newMeeting(cid, keys{})
	m.addLocked([]*Event{closed, host.event(t, cid, TypeJoin, base+1, []byte(`{"name":"h"}`))})
	rec := host.event(t, cid, TypeRecord, base+2, on)
	m.addLocked([]*Event{rec})
	if m.st().Valid(rec.ID) {
		t.Fatal("recording started in a meeting that does not allow it")
	}
}
