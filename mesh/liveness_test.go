package mesh

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

func hasLive(m *Mesh, id string, p peer.ID, want bool) func() error {
	return func() error {
		ps, err := m.Participants(id)
		if err != nil {
			return err
		}
		got := false
		for _, x := range ps {
			got = got || x.PeerID == p.String()
		}
		if got != want {
			return fmt.Errorf("%s live: %v, want %v", p, got, want)
		}
		return nil
	}
}

// TestSuspect: a node whose process stops leaves everyone's presence as soon as its
// connections close and a ping goes unanswered, long before PresenceTimeout; a suspected
// node that answers stays.
func TestSuspect(t *testing.T) {
	slow := func(c *Config) Config { c.PresenceTimeout = time.Minute; return *c }
	ca := testConfig(t, "alice")
	a := startMesh(t, slow(&ca))
	cb := testConfig(t, "bob", a)
	b := startMesh(t, slow(&cb))
	cc := testConfig(t, "carol", a, b)
	c := startMesh(t, slow(&cc))
	id, _ := meetingOf(t, a, b, c)
	eventually(t, 10*time.Second, "alice hears bob", hasLive(a, id, b.self, true))
	eventually(t, 10*time.Second, "alice hears carol", hasLive(a, id, c.self, true))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	notices, err := a.Subscribe(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	a.Suspect(b.self)
	// The probe's verdict, were it wrong, would be in by now (two pings, a heartbeat
	// interval of silence): alice must not have told her pages that bob left.
	deadline := time.After(4*probeTimeout + 2*ca.HeartbeatInterval)
	for waiting := true; waiting; {
		select {
		case n := <-notices:
			if pv, ok := n.Data.(ParticipantView); n.Type == NoticeLeft && ok && pv.PeerID == b.self.String() {
				t.Fatal("a live peer was dropped")
			}
		case <-deadline:
			waiting = false
		}
	}

	c.Close()
	start := time.Now()
	eventually(t, 5*time.Second, "alice drops carol", hasLive(a, id, c.self, false))
	eventually(t, 5*time.Second, "bob drops carol", hasLive(b, id, c.self, false))
	t.Logf("carol gone from presence %v after she stopped", time.Since(start))
}
