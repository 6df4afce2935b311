package eventlog

import (
	"strings"
	"testing"
)

func FuzzDecode(f *testing.F) {
	w := newWriter(f)
	const m = "0123456789abcdef0123456789abcdef"
	prev := []string{strings.Repeat("ab", 32)}
	for _, ev := range []*Event{
		{Type: TypeChat, Meeting: m, HLC: 1 << 20, Prev: prev, Body: []byte(`{"text":"hi"}`)},
		{Type: TypeJoin, Meeting: m, HLC: 2 << 20, Prev: prev, Body: []byte(`{"name":"x"}`)},
		{Type: TypeEnd, Meeting: m, HLC: 3 << 20, Prev: prev},
		{Type: TypeExtend, Meeting: m, HLC: 3 << 20, Prev: prev, Body: []byte(`{"minutes":15}`)},
		{Type: TypeRole, Meeting: m, HLC: 3 << 20, Prev: prev, Body: []byte(`{"peer":"` + w.id.String() + `","role":"moderator"}`)},
		{Type: TypeUpdate, Meeting: m, HLC: 3 << 20, Prev: prev,
			Body: []byte(`{"title":"t","description":"","duration":30,"settings":{"maxParticipants":5,"requireApproval":false,"enableRecording":false,"enableChat":true}}`)},
		{Type: TypeChat, Meeting: m, HLC: 4 << 20, Prev: prev,
			Body: []byte(`{"text":"","file":{"name":"a.txt","size":3,"type":"text/plain","sha256":"` + strings.Repeat("0a", 32) + `"}}`)},
	} {
		ev.Author = w.id
		if err := Sign(ev, w.key); err != nil {
			f.Fatal(err)
		}
		f.Add(ev.Raw())
	}
	f.Add([]byte(`{"p":"","s":""}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		ev, err := Decode(raw)
		if err != nil {
			return
		}
		// Whatever decodes must be signed, well-formed, with its body
		// decoded, and stable.
		if ev.ID == "" || ev.shape() != nil || (kinds[ev.Type].body != nil) != (ev.body != nil) {
			t.Fatalf("accepted a malformed event %+v", ev)
		}
		again, err := Decode(ev.Raw())
		if err != nil || again.ID != ev.ID {
			t.Fatalf("decode not stable: %v", err)
		}
	})
}

// FuzzFoldOrder: however the events of a history with concurrent rulings
// arrive, one at a time or in batches, every node folds the same meeting.
func FuzzFoldOrder(f *testing.F) {
	host, a, b, c := newWriter(f), newWriter(f), newWriter(f), newWriter(f)
	mt := newTestMeeting(f, host, 9)
	hj := mt.write(f, host, TypeJoin, Join{Name: "h"}, mt.genesis)
	aj := mt.write(f, a, TypeJoin, Join{Name: "a"}, hj)
	bj := mt.write(f, b, TypeJoin, Join{Name: "b"}, hj)
	cj := mt.write(f, c, TypeJoin, Join{Name: "c"}, aj, bj)
	pa := mt.write(f, host, TypeRole, Role{Target: target(a), Role: RoleModerator}, cj)
	c1 := mt.write(f, c, TypeChat, chat("one"), pa)
	ra := mt.write(f, a, TypeRemove, target(c), c1)
	c2 := mt.write(f, c, TypeChat, chat("two"), c1)
	da := mt.write(f, host, TypeRole, Role{Target: target(a), Role: RoleParticipant}, c1)
	rb := mt.write(f, a, TypeRemove, target(b), c1)
	end := mt.write(f, host, TypeEnd, nil, ra, c2, da)
	evs := []*Event{mt.genesis, hj, aj, bj, cj, pa, c1, ra, c2, da, rb, end}
	all := New(mt.id)
	all.Add(evs)
	want := summary(all)
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})
	f.Add([]byte{11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0})
	f.Fuzz(func(t *testing.T, order []byte) {
		l := New(mt.id)
		var batch []*Event
		for _, o := range order {
			if o == 255 {
				l.Add(batch)
				batch = nil
				continue
			}
			batch = append(batch, evs[int(o)%len(evs)])
		}
		l.Add(append(batch, evs...))
		if got := summary(l); got != want {
			t.Fatalf("fold depends on arrival:\n%s\nvs\n%s", got, want)
		}
	})
}
