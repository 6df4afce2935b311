package eventlog

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
)

type writer struct {
	key crypto.PrivKey
	id  peer.ID
}

func newWriter(t testing.TB) writer {
	k, _, err := crypto.GenerateEd25519Key(nil)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := peer.IDFromPrivateKey(k)
	return writer{k, id}
}

// meeting is a test meeting: its genesis and the ID the events name.
type meeting struct {
	genesis *Event
	id      string
}

const genesisBody = `{"title":"t","description":"","duration":60,"settings":{"maxParticipants":%d,"requireApproval":false,"enableRecording":false,"enableChat":true},"createdAt":"2030-01-01T00:00:00Z","keyCheck":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}`

func newTestMeeting(t testing.TB, host writer, capacity int) meeting {
	g := &Event{Type: TypeGenesis, Author: host.id, HLC: 1 << 20, Body: fmt.Appendf(nil, genesisBody, capacity)}
	if err := Sign(g, host.key); err != nil {
		t.Fatal(err)
	}
	return meeting{g, g.ID[:32]}
}

// write signs an event by w that names prev as what it had seen, stamped
// just after the newest of them.
func (mt meeting) write(t testing.TB, w writer, typ string, body any, prev ...*Event) *Event {
	t.Helper()
	var hlc uint64
	var ids []string
	for _, p := range prev {
		hlc = max(hlc, p.HLC)
		ids = append(ids, p.ID)
	}
	var raw []byte
	if body != nil {
		raw, _ = json.Marshal(body)
	}
	ev := &Event{Type: typ, Meeting: mt.id, Author: w.id, HLC: hlc + 1, Prev: ids, Body: raw}
	if err := Sign(ev, w.key); err != nil {
		t.Fatal(err)
	}
	// Round-trip, as a peer would get it.
	got, err := Decode(ev.Raw())
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func chat(s string) Chat { return Chat{Text: s} }

func target(w writer) Target { return Target{Peer: w.id.String()} }

// fold adds evs to a new log in the given order, one Add per event.
func fold(id string, evs []*Event) *Log {
	l := New(id)
	for _, e := range evs {
		l.Add([]*Event{e})
	}
	return l
}

// summary is what must be the same on every node: valid events in order,
// members and roles.
func summary(l *Log) string {
	var b strings.Builder
	for _, e := range l.Events() {
		if l.State().Valid(e.ID) {
			fmt.Fprintf(&b, "%s %s\n", e.Type, e.ID[:8])
		}
	}
	ids := make([]string, 0)
	for p, m := range l.State().Members {
		ids = append(ids, fmt.Sprintf("%s=%s,%v", p.String()[:8], m.Role, m.Present()))
	}
	slices.Sort(ids)
	fmt.Fprintf(&b, "%v %s", ids, l.State().Status)
	return b.String()
}

// converges folds evs in many arrival orders, one at a time and all at
// once, and checks every fold gives the same result; it returns that log.
func converges(t *testing.T, id string, evs []*Event) *Log {
	t.Helper()
	all := New(id)
	all.Add(slices.Clone(evs))
	want := summary(all)
	for range 30 {
		perm := slices.Clone(evs)
		rand.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		if got := summary(fold(id, perm)); got != want {
			t.Fatalf("fold depends on arrival order:\n%s\nvs\n%s", got, want)
		}
	}
	return all
}

func valid(l *Log, e *Event) bool { return l.State().Valid(e.ID) }

// A removed member who names old heads (writes "before" the removal it
// has seen, stamped before it too) is refused, whichever arrives first.
func TestRemovedMemberCannotBackdate(t *testing.T) {
	host, bob := newWriter(t), newWriter(t)
	mt := newTestMeeting(t, host, 5)
	hj := mt.write(t, host, TypeJoin, Join{Name: "h"}, mt.genesis)
	bj := mt.write(t, bob, TypeJoin, Join{Name: "b"}, hj)
	ok := mt.write(t, bob, TypeChat, chat("before"), bj)
	rm := mt.write(t, host, TypeRemove, target(bob), ok)
	late := mt.write(t, bob, TypeChat, chat("after, naming old heads"), ok) // stamped as early as they allow
	honest := mt.write(t, bob, TypeChat, chat("after, honest"), rm)
	l := converges(t, mt.id, []*Event{mt.genesis, hj, bj, ok, rm, late, honest})
	switch {
	case !valid(l, ok) || !valid(l, rm):
		t.Fatal("the chat before the removal, or the removal, does not count")
	case valid(l, late) || valid(l, honest):
		t.Fatal("a removed member's later chat counts")
	}
}

// A demoted moderator's removal, concurrent with the demotion, does not
// count; one made before it does.
func TestDemotedModeratorCannotRemove(t *testing.T) {
	host, mod, carol, dan := newWriter(t), newWriter(t), newWriter(t), newWriter(t)
	mt := newTestMeeting(t, host, 5)
	hj := mt.write(t, host, TypeJoin, Join{Name: "h"}, mt.genesis)
	mj := mt.write(t, mod, TypeJoin, Join{Name: "m"}, hj)
	cj := mt.write(t, carol, TypeJoin, Join{Name: "c"}, mj)
	dj := mt.write(t, dan, TypeJoin, Join{Name: "d"}, cj)
	promote := mt.write(t, host, TypeRole, Role{Target: target(mod), Role: RoleModerator}, dj)
	early := mt.write(t, mod, TypeRemove, target(dan), promote)
	demote := mt.write(t, host, TypeRole, Role{Target: target(mod), Role: RoleParticipant}, early)
	sneaky := mt.write(t, mod, TypeRemove, target(carol), early) // has not "seen" the demotion
	l := converges(t, mt.id, []*Event{mt.genesis, hj, mj, cj, dj, promote, early, demote, sneaky})
	if !valid(l, early) || valid(l, sneaky) || !l.State().In(carol.id) || l.State().In(dan.id) {
		t.Fatalf("early %v sneaky %v carol in %v dan in %v", valid(l, early), valid(l, sneaky), l.State().In(carol.id), l.State().In(dan.id))
	}
}

// Nothing written beside an end counts, whatever heads it names.
func TestNothingAfterEnd(t *testing.T) {
	host, bob := newWriter(t), newWriter(t)
	mt := newTestMeeting(t, host, 5)
	hj := mt.write(t, host, TypeJoin, Join{Name: "h"}, mt.genesis)
	bj := mt.write(t, bob, TypeJoin, Join{Name: "b"}, hj)
	seen := mt.write(t, bob, TypeChat, chat("seen by the host"), bj)
	end := mt.write(t, host, TypeEnd, nil, seen)
	beside := mt.write(t, bob, TypeChat, chat("beside the end"), seen)
	after := mt.write(t, bob, TypeChat, chat("after the end"), end)
	l := converges(t, mt.id, []*Event{mt.genesis, hj, bj, seen, end, beside, after})
	if !valid(l, seen) || !valid(l, end) || valid(l, beside) || valid(l, after) || l.State().Status != StatusEnded {
		t.Fatal("chat after end counts, or chat before it does not")
	}
}

// Concurrent removals: the host removes a moderator who is removing
// someone at that moment (the moderator's removal does not count), and two
// moderators remove the same participant (one removal counts).
func TestConcurrentRemovals(t *testing.T) {
	host, a, b, c, d := newWriter(t), newWriter(t), newWriter(t), newWriter(t), newWriter(t)
	mt := newTestMeeting(t, host, 9)
	hj := mt.write(t, host, TypeJoin, Join{Name: "h"}, mt.genesis)
	aj := mt.write(t, a, TypeJoin, Join{Name: "a"}, hj)
	bj := mt.write(t, b, TypeJoin, Join{Name: "b"}, aj)
	cj := mt.write(t, c, TypeJoin, Join{Name: "c"}, bj)
	dj := mt.write(t, d, TypeJoin, Join{Name: "d"}, cj)
	pa := mt.write(t, host, TypeRole, Role{Target: target(a), Role: RoleModerator}, dj)
	pb := mt.write(t, host, TypeRole, Role{Target: target(b), Role: RoleModerator}, pa)
	ra := mt.write(t, host, TypeRemove, target(a), pb)
	byA := mt.write(t, a, TypeRemove, target(c), pb)
	d1 := mt.write(t, a, TypeRemove, target(d), pb)
	d2 := mt.write(t, b, TypeRemove, target(d), pb)
	l := converges(t, mt.id, []*Event{mt.genesis, hj, aj, bj, cj, dj, pa, pb, ra, byA, d1, d2})
	switch {
	case !valid(l, ra) || valid(l, byA) || valid(l, d1) || !l.State().In(c.id):
		t.Fatal("a removed moderator's concurrent removal counts")
	case !valid(l, d2) || l.State().In(d.id):
		t.Fatal("the other moderator's removal does not count")
	}
}

// Two sides of a partition write on; when it heals both hold everything,
// each event once, in one order.
func TestPartitionHeals(t *testing.T) {
	host, bob := newWriter(t), newWriter(t)
	mt := newTestMeeting(t, host, 5)
	hj := mt.write(t, host, TypeJoin, Join{Name: "h"}, mt.genesis)
	bj := mt.write(t, bob, TypeJoin, Join{Name: "b"}, hj)
	left, right := []*Event{mt.genesis, hj, bj}, []*Event{mt.genesis, hj, bj}
	lh, rh := bj, bj
	for i := range 20 {
		lh = mt.write(t, host, TypeChat, chat(fmt.Sprint("h", i)), lh)
		rh = mt.write(t, bob, TypeChat, chat(fmt.Sprint("b", i)), rh)
		left, right = append(left, lh), append(right, rh)
	}
	a, b := fold(mt.id, left), fold(mt.id, right)
	a.Add(right)
	b.Add(left)
	if summary(a) != summary(b) || len(a.Events()) != 43 {
		t.Fatalf("healed logs differ or lost events: %d events", len(a.Events()))
	}
	merge := mt.write(t, host, TypeChat, chat("merged"), a.Get(a.Heads()[0]), a.Get(a.Heads()[1]))
	if len(a.Heads()) != 2 || !slices.Equal(merge.Prev, a.Heads()) && !slices.Equal(merge.Prev, []string{a.Heads()[1], a.Heads()[0]}) {
		t.Fatal("the two branches are not both heads")
	}
	for _, e := range a.Events() {
		if !valid(a, e) {
			t.Fatalf("%s not valid after the heal", e.Type)
		}
	}
}

// What cannot belong is never held: an event stamped before its causes,
// one by an author who never joined, joins beyond the author bound; an
// event whose causes are missing waits for them.
func TestAdmission(t *testing.T) {
	host, bob, eve := newWriter(t), newWriter(t), newWriter(t)
	mt := newTestMeeting(t, host, 2)
	hj := mt.write(t, host, TypeJoin, Join{Name: "h"}, mt.genesis)
	l := New(mt.id)
	l.Add([]*Event{mt.genesis, hj})

	stranger := mt.write(t, eve, TypeChat, chat("never joined"), hj)
	if added, _ := l.Add([]*Event{stranger}); len(added) != 0 {
		t.Fatal("an event by an author who never joined was taken")
	}
	back := &Event{Type: TypeChat, Meeting: mt.id, Author: host.id, HLC: hj.HLC, Prev: []string{hj.ID}, Body: []byte(`{"text":"x"}`)}
	if err := Sign(back, host.key); err != nil {
		t.Fatal(err)
	}
	if added, _ := l.Add([]*Event{back}); len(added) != 0 {
		t.Fatal("an event stamped no later than its cause was taken")
	}

	bj := mt.write(t, bob, TypeJoin, Join{Name: "b"}, hj)
	bc := mt.write(t, bob, TypeChat, chat("hi"), bj)
	if added, _ := l.Add([]*Event{bc}); len(added) != 0 || l.Waiting() != 1 {
		t.Fatal("an event whose cause is missing does not wait")
	}
	if added, valid := l.Add([]*Event{bj}); len(added) != 2 || len(valid) != 2 {
		t.Fatalf("the waiting event did not follow its cause: %d added, %d valid", len(added), len(valid))
	}

	// Capacity 2: however many identities join, two are in; the rest are
	// held (every node holds the same, whatever came first) and count for
	// nothing.
	for range 100 {
		l.Add([]*Event{mt.write(t, newWriter(t), TypeJoin, Join{Name: "x"}, hj)})
	}
	if n := l.State().PresentCount(); n != 2 {
		t.Fatalf("%d in a meeting for 2", n)
	}
}

// A bad event is refused by its shape before any rule: wrong prev, a body
// where none belongs, an unknown type.
func TestShape(t *testing.T) {
	host := newWriter(t)
	mt := newTestMeeting(t, host, 5)
	for name, ev := range map[string]*Event{
		"no prev":         {Type: TypeChat, Meeting: mt.id, HLC: 9, Body: []byte(`{"text":"x"}`)},
		"prev twice":      {Type: TypeChat, Meeting: mt.id, HLC: 9, Prev: []string{mt.genesis.ID, mt.genesis.ID}, Body: []byte(`{"text":"x"}`)},
		"genesis prev":    {Type: TypeGenesis, HLC: 9, Prev: []string{mt.genesis.ID}, Body: mt.genesis.Body},
		"leave body":      {Type: TypeLeave, Meeting: mt.id, HLC: 9, Prev: []string{mt.genesis.ID}, Body: []byte(`{}`)},
		"unknown":         {Type: "coup", Meeting: mt.id, HLC: 9, Prev: []string{mt.genesis.ID}},
		"bad target":      {Type: TypeRemove, Meeting: mt.id, HLC: 9, Prev: []string{mt.genesis.ID}, Body: []byte(`{"peer":"nobody"}`)},
		"unknown field":   {Type: TypeChat, Meeting: mt.id, HLC: 9, Prev: []string{mt.genesis.ID}, Body: []byte(`{"text":"x","admin":true}`)},
		"short prev hash": {Type: TypeChat, Meeting: mt.id, HLC: 9, Prev: []string{"abc"}, Body: []byte(`{"text":"x"}`)},
	} {
		ev.Author = host.id
		if err := Sign(ev, host.key); err == nil {
			t.Errorf("%s: signed", name)
		}
	}
}

// A removed member who writes a leave "before" the removal (naming what the
// remover named, stamped below it) and joins again stays removed.
func TestBackdatedLeaveDoesNotDodgeRemoval(t *testing.T) {
	host, mal := newWriter(t), newWriter(t)
	mt := newTestMeeting(t, host, 10)
	hj := mt.write(t, host, TypeJoin, Join{Name: "h"}, mt.genesis)
	mj := mt.write(t, mal, TypeJoin, Join{Name: "m"}, hj)
	c := mt.write(t, mal, TypeChat, chat("spam"), mj)
	rm := mt.write(t, host, TypeRemove, target(mal), c)
	lv := mt.write(t, mal, TypeLeave, nil, c) // stamped just after c: before rm
	back := mt.write(t, mal, TypeJoin, Join{Name: "back"}, rm, lv)
	c2 := mt.write(t, mal, TypeChat, chat("spam again"), back)
	l := converges(t, mt.id, []*Event{mt.genesis, hj, mj, c, rm, lv, back, c2})
	if !valid(l, rm) || !l.State().Removed[mal.id] || l.State().In(mal.id) || valid(l, c2) {
		t.Fatalf("remove valid %v, removed %v, in %v, chat after valid %v", valid(l, rm), l.State().Removed[mal.id], l.State().In(mal.id), valid(l, c2))
	}
}

// A member flooding fresh heads of its own does not push the others' out of
// what the next event names: an end voids none of what its author had seen.
func TestHeadFloodDoesNotVoidSeenEvents(t *testing.T) {
	host, alice, mal := newWriter(t), newWriter(t), newWriter(t)
	mt := newTestMeeting(t, host, 10)
	hj := mt.write(t, host, TypeJoin, Join{Name: "h"}, mt.genesis)
	aj := mt.write(t, alice, TypeJoin, Join{Name: "a"}, hj)
	mj := mt.write(t, mal, TypeJoin, Join{Name: "m"}, aj)
	l := New(mt.id)
	l.Add([]*Event{mt.genesis, hj, aj, mj})
	said := mt.write(t, alice, TypeChat, chat("seen by the host"), mj)
	l.Add([]*Event{said})
	for i := range 3 * MaxPrev {
		// Fresher than alice's chat, naming only mallory's own join.
		junk := &Event{Type: TypeChat, Meeting: mt.id, Author: mal.id, HLC: said.HLC + uint64(i) + 1, Prev: []string{mj.ID},
			Body: []byte(fmt.Sprintf(`{"text":"junk %d"}`, i))}
		if err := Sign(junk, mal.key); err != nil {
			t.Fatal(err)
		}
		l.Add([]*Event{junk})
	}
	var prev []*Event
	for _, id := range l.Heads() {
		prev = append(prev, l.Get(id))
	}
	end := mt.write(t, host, TypeEnd, nil, prev...)
	l.Add([]*Event{end})
	if !valid(l, end) || !valid(l, said) {
		t.Fatalf("end valid %v; alice's chat, seen by the host, valid %v", valid(l, end), valid(l, said))
	}
}

// The log holds a bounded number of bytes, whatever a member sends.
func TestLogBytesBounded(t *testing.T) {
	host := newWriter(t)
	mt := newTestMeeting(t, host, 10)
	hj := mt.write(t, host, TypeJoin, Join{Name: "h"}, mt.genesis)
	l := New(mt.id)
	l.Add([]*Event{mt.genesis, hj})
	l.bytes = MaxBytes - 100 // as if nearly full
	if added, _ := l.Add([]*Event{mt.write(t, host, TypeChat, chat(strings.Repeat("x", 1000)), hj)}); len(added) != 0 {
		t.Fatal("an event beyond the byte bound was taken")
	}
}
