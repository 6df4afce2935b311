package mesh

import (
	"fmt"
	"math/rand/v2"
	"meshmeet/mesh/eventlog"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
)

type author struct {
	key crypto.PrivKey
	id  peer.ID
}

func newAuthor(t *testing.T) author {
	k, _, err := crypto.GenerateEd25519Key(nil)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := peer.IDFromPrivateKey(k)
	return author{k, id}
}

// chains holds, by meeting ID, the last event a test author wrote in it.
var chains sync.Map

// event signs an event that names the last one written in the meeting
// before it as its cause: the tests' histories are sequential.
func (a author) event(t *testing.T, meeting, typ string, hlc uint64, body []byte) *Event {
	ev := &Event{Type: typ, Meeting: meeting, Author: a.id, HLC: hlc, Body: body}
	if prev, ok := chains.Load(meeting); ok && meeting != "" {
		ev.Prev = []string{prev.(*Event).ID}
	}
	if err := eventlog.Sign(ev, a.key); err != nil {
		t.Fatal(err)
	}
	if typ == TypeGenesis {
		meeting = ev.ID[:32]
	}
	chains.Store(meeting, ev)
	return ev
}

// TestFoldIsOrderIndependent: any arrival order of the same events gives
// the same state, and the rules hold at each event's place in the log.
func TestFoldIsOrderIndependent(t *testing.T) {
	host, bob, eve := newAuthor(t), newAuthor(t), newAuthor(t)
	base := eventlog.HLCFromTime(time.Now())
	genesis := host.event(t, "", TypeGenesis, base, []byte(`{"title":"t","description":"","duration":60,"settings":{"maxParticipants":2,"requireApproval":false,"enableRecording":false,"enableChat":true},"createdAt":"2030-01-01T00:00:00Z","keyCheck":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}`))
	id := genesis.ID[:32]
	evs := []*Event{
		genesis,
		host.event(t, id, TypeJoin, base+1, []byte(`{"name":"h"}`)),
		bob.event(t, id, TypeJoin, base+2, []byte(`{"name":"b"}`)),
		eve.event(t, id, TypeJoin, base+3, []byte(`{"name":"e"}`)), // over capacity
		eve.event(t, id, TypeChat, base+4, chatBodyOf("not in")),   // never joined
		bob.event(t, id, TypeEnd, base+5, nil),                     // not the host
		bob.event(t, id, TypeChat, base+6, chatBodyOf("hello")),
		host.event(t, id, TypeEnd, base+7, nil),
		bob.event(t, id, TypeChat, base+8, chatBodyOf("too late")),
	}
	want := map[int]bool{0: true, 1: true, 2: true, 6: true, 7: true}
	var ref string
	for round := range 20 {
		m := newMeeting(id, keys{})
		perm := rand.Perm(len(evs))
		for _, i := range perm {
			m.addLocked([]*Event{evs[i]})
		}
		for i, ev := range evs {
			if m.st().Valid(ev.ID) != want[i] {
				t.Fatalf("round %d: event %d (%s) valid=%v", round, i, ev.Type, m.st().Valid(ev.ID))
			}
		}
		got := fmt.Sprintf("%+v", m.viewLocked(host.id))
		if round == 0 {
			ref = got
		} else if got != ref {
			t.Fatalf("state depends on arrival order:\n%s\n%s", got, ref)
		}
	}
}

func TestClockIsMonotonic(t *testing.T) {
	c := newClock()
	fixed := time.Now()
	c.now = func() time.Time { return fixed }
	a, b := c.Now(), c.Now()
	if b <= a {
		t.Fatalf("%d then %d", a, b)
	}
	c.Observe(b + 100)
	if n := c.Now(); n <= b+100 {
		t.Fatalf("clock did not move past an observed timestamp: %d", n)
	}
	if c.plausible(eventlog.HLCFromTime(fixed.Add(2 * maxClockSkew))) {
		t.Fatal("a timestamp two minutes ahead passed as plausible")
	}
}

// TestMessagesPaging: after/limit walk the history in order, page by page.
func TestMessagesPaging(t *testing.T) {
	a := startMesh(t, testConfig(t, "alice"))
	id, _ := meetingOf(t, a)
	for i := range 25 {
		if _, err := a.PostMessage(t.Context(), id, fmt.Sprintf("m%02d", i)); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	after := ""
	for {
		page, err := a.Messages(id, after, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, m := range page {
			got = append(got, m.Text)
		}
		after = page[len(page)-1].ID
	}
	if len(got) != 25 || got[0] != "m00" || got[24] != "m24" {
		t.Fatalf("paged history %v", got)
	}
	if _, err := a.Messages(id, "nope", 10); err == nil {
		t.Fatal("unknown after accepted")
	}
}
