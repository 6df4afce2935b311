package mesh

import (
	"context"
	"errors"
	"fmt"
	"meshmeet/mesh/eventlog"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestTimeLimitFold: with autoEnd, events stamped at or after the first
// join plus the duration (plus extensions) are refused, on every node alike;
// only the host or a moderator extends, and only a time-limited meeting.
func TestTimeLimitFold(t *testing.T) {
	host, bob := newAuthor(t), newAuthor(t)
	base := time.Now().Truncate(time.Millisecond)
	at := func(d time.Duration) uint64 { return eventlog.HLCFromTime(base.Add(d)) }
	genesis := func(autoEnd bool) *Event {
		return host.event(t, "", TypeGenesis, at(0), fmt.Appendf(nil, `{"title":"t","description":"","duration":1,"settings":{"maxParticipants":5,"requireApproval":false,"enableRecording":false,"enableChat":true,"autoEnd":%v},"createdAt":"2030-01-01T00:00:00Z","keyCheck":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}`, autoEnd))
	}
	g := genesis(true)
	id := g.ID[:32]
	extend := func(a author, d time.Duration, minutes int) *Event {
		return a.event(t, id, TypeExtend, at(d), fmt.Appendf(nil, `{"minutes":%d}`, minutes))
	}
	evs := []*Event{
		g,
		host.event(t, id, TypeJoin, at(10*time.Second), []byte(`{"name":"h"}`)), // the clock starts
		bob.event(t, id, TypeJoin, at(20*time.Second), []byte(`{"name":"b"}`)),
		bob.event(t, id, TypeChat, at(30*time.Second), chatBodyOf("in time")),
		extend(bob, 40*time.Second, 5),                                        // not host or moderator
		extend(host, 50*time.Second, 5),                                       // ends at 6:10 now
		extend(host, 55*time.Second, MaxDuration),                             // beyond a day
		bob.event(t, id, TypeChat, at(3*time.Minute), chatBodyOf("extended")), // would be late without the extension
		bob.event(t, id, TypeChat, at(6*time.Minute+10*time.Second), chatBodyOf("late")),
		host.event(t, id, TypeEnd, at(7*time.Minute), nil), // too late even to end
	}
	want := map[int]bool{0: true, 1: true, 2: true, 3: true, 5: true, 7: true}
	m := newMeeting(id, keys{})
	m.addLocked(evs)
	for i, ev := range evs {
		if m.st().Valid(ev.ID) != want[i] {
			t.Errorf("event %d (%s) valid=%v", i, ev.Type, m.st().Valid(ev.ID))
		}
	}
	if d := m.st().Deadline(); !d.Equal(base.Add(6*time.Minute + 10*time.Second)) {
		t.Fatalf("deadline %v", d)
	}
	// The deadline is minutes ahead of the wall clock: still active.
	v := m.viewLocked(host.id)
	if v.EndsAt == nil || v.Status != StatusActive {
		t.Fatalf("view before the deadline: %+v", v)
	}
	audit := m.auditLocked()
	if a := audit[len(audit)-1]; a.Type != TypeExtend || a.Minutes != 5 {
		t.Fatalf("audit %+v", a)
	}

	// Without autoEnd nothing runs out, and nothing extends.
	g2 := genesis(false)
	id2 := g2.ID[:32]
	m2 := newMeeting(id2, keys{})
	hj := host.event(t, id2, TypeJoin, at(time.Second), []byte(`{"name":"h"}`))
	ext := host.event(t, id2, TypeExtend, at(time.Minute), []byte(`{"minutes":5}`))
	late := host.event(t, id2, TypeChat, at(48*time.Hour), chatBodyOf("much later"))
	m2.addLocked([]*Event{g2, hj, ext, late})
	if !m2.st().Valid(late.ID) || m2.st().Valid(ext.ID) || m2.viewLocked(host.id).EndsAt != nil {
		t.Fatalf("meeting without a time limit: late valid=%v extend valid=%v", m2.st().Valid(late.ID), m2.st().Valid(ext.ID))
	}
}

// TestMeetingTimesOut: a live meeting whose time runs out ends on every
// node by itself: pages are told, posts and joins are refused, nobody is
// listed, and the host's extension made in time would have kept it going.
func TestMeetingTimesOut(t *testing.T) {
	// The host's clock runs 50 s behind, so its one-minute meeting, counted
	// from its join, ends about 10 s after the test starts (room for a slow
	// machine to set up).
	skew := func(m *Mesh) { m.clock.now = func() time.Time { return time.Now().Add(-50 * time.Second) } }
	a := startMesh(t, testConfig(t, "host"), skew)
	b := startMesh(t, testConfig(t, "bob", a))
	ctx := context.Background()
	meeting := func() string {
		v, secret, err := a.CreateMeeting(ctx, []byte(`{"title":"short","duration":1,"settings":{"autoEnd":true}}`))
		if err != nil {
			t.Fatal(err)
		}
		link := FormatJoinLink("http://127.0.0.1:7700", v.ID, secret)
		for _, m := range []*Mesh{a, b} {
			if _, err := m.Join(ctx, link); err != nil {
				t.Fatal(err)
			}
		}
		return v.ID
	}
	id, kept := meeting(), meeting()
	if _, err := a.Extend(ctx, kept, 10); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Extend(ctx, kept, 10); !errors.Is(err, ErrForbidden) {
		t.Fatalf("a participant extends: %v", err)
	}
	notices, err := b.Subscribe(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.PostMessage(ctx, id, "in time"); err != nil {
		t.Fatal(err)
	}
	bv, _ := b.Meeting(id)
	if bv.EndsAt == nil || time.Until(*bv.EndsAt) > 11*time.Second || bv.Status != StatusActive {
		t.Fatalf("bob's view before the end: %+v", bv)
	}
	deadline := time.After(30 * time.Second)
	for ended := false; !ended; {
		select {
		case n := <-notices:
			ended = n.Type == NoticeEnded
		case <-deadline:
			t.Fatal("bob's page was not told the meeting ended")
		}
	}
	if time.Now().Before(*bv.EndsAt) {
		t.Fatalf("told at %v, before the end %v", time.Now(), *bv.EndsAt)
	}
	for _, m := range []*Mesh{a, b} {
		mv, _ := m.Meeting(id)
		if mv.Status != StatusEnded || mv.EndedAt == nil || !mv.EndedAt.Equal(*bv.EndsAt) || mv.Joined {
			t.Fatalf("%s: %+v", m.cfg.Name, mv)
		}
		if ids := m.JoinedIDs(); slices.Contains(ids, id) || !slices.Contains(ids, kept) {
			t.Fatalf("%s still in %v", m.cfg.Name, ids)
		}
		if ps, _ := m.Participants(id); len(ps) != 0 {
			t.Fatalf("%s lists %+v", m.cfg.Name, ps)
		}
	}
	if _, err := b.PostMessage(ctx, id, "too late"); !errors.Is(err, ErrConflict) {
		t.Fatalf("post after the end: %v", err)
	}
	// (The host's own late clock would still stamp an extension "in time":
	// skew between nodes moves the end by that much, as for any post.)
	if _, err := b.Extend(ctx, id, 5); !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "time is up") {
		t.Fatalf("extend after the end: %v", err)
	}
	// The meeting extended in time goes on, on both nodes.
	eventually(t, 10*time.Second, "bob learns the extension", func() error {
		if v, _ := b.Meeting(kept); v.Status != StatusActive || v.EndsAt == nil || time.Until(*v.EndsAt) < 9*time.Minute {
			return fmt.Errorf("bob's view %+v", v)
		}
		return nil
	})
	if _, err := b.PostMessage(ctx, kept, "still here"); err != nil {
		t.Fatal(err)
	}
}

// TestTimeLimitCountsFromSchedule: the host opening a scheduled meeting early does not
// use its time up; and an edit that would end the meeting at once is refused.
func TestTimeLimitCountsFromSchedule(t *testing.T) {
	host := newAuthor(t)
	base := time.Now().Truncate(time.Millisecond)
	at := func(d time.Duration) uint64 { return eventlog.HLCFromTime(base.Add(d)) }
	sched := base.Add(24 * time.Hour).UTC().Format(time.RFC3339Nano)
	g := host.event(t, "", TypeGenesis, at(0), fmt.Appendf(nil, `{"title":"t","description":"","scheduledTime":%q,"duration":30,"settings":{"maxParticipants":5,"requireApproval":false,"enableRecording":false,"enableChat":true,"autoEnd":true},"createdAt":"2030-01-01T00:00:00Z","keyCheck":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}`, sched))
	id := g.ID[:32]
	update := func(d time.Duration, body string) *Event { return host.event(t, id, TypeUpdate, at(d), []byte(body)) }
	evs := []*Event{
		g,
		host.event(t, id, TypeJoin, at(time.Second), []byte(`{"name":"h"}`)), // a day early
		host.event(t, id, TypeChat, at(2*time.Hour), chatBodyOf("still on")), // long after join+30 min
		update(3*time.Hour, `{"title":"t","description":"","duration":30,"settings":{"maxParticipants":5,"requireApproval":false,"enableRecording":false,"enableChat":true,"autoEnd":true}}`),
		host.event(t, id, TypeChat, at(4*time.Hour), chatBodyOf("after dropping the schedule")),
	}
	m := newMeeting(id, keys{})
	m.addLocked(evs)
	if want := base.Add(24*time.Hour + 30*time.Minute); !m.st().Deadline().Equal(want) {
		t.Fatalf("deadline %v, want %v", m.st().Deadline(), want)
	}
	// Dropping the schedule would put the end at join+30 min, long past: refused.
	for i, want := range []bool{true, true, true, false, true} {
		if m.st().Valid(evs[i].ID) != want {
			t.Errorf("event %d (%s) valid=%v", i, evs[i].Type, m.st().Valid(evs[i].ID))
		}
	}
}
