//go:build unix

package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"

	"meshmeet/media"
	"meshmeet/node"
	"meshmeet/node/nodeproc"
)

// relayedMeeting is a meeting of separate node processes found through a rendezvous,
// larger than their mesh limit (2), so that one of them relays.
type relayedMeeting struct {
	procs   []*nodeproc.Proc
	clients []*node.Client
	id      string
	stopped int // the node stopRelay stopped
}

func startRelayedMeeting(t testing.TB, n int) *relayedMeeting {
	t.Helper()
	rv := nodeproc.Rendezvous(t)
	rm := &relayedMeeting{}
	for i := range n {
		// A presence timeout far beyond the wait below: only the media links' loss of
		// consent, closed connections and unanswered pings can end the relay in time.
		p := nodeproc.Node(t, "--rendezvous", rv, "--mesh-max", "2", "--presence-timeout", "2m", "--name", fmt.Sprintf("n%d", i))
		c, err := node.NewClient(p.UI, p.Dir)
		if err != nil {
			t.Fatal(err)
		}
		rm.procs, rm.clients = append(rm.procs, p), append(rm.clients, c)
	}
	var created struct {
		Meeting struct{ ID string } `json:"meeting"`
		JoinURL string              `json:"joinUrl"`
	}
	ctx := context.Background()
	if err := rm.clients[0].Do(ctx, http.MethodPost, "/api/meetings", map[string]any{"title": "relay death"}, &created); err != nil {
		t.Fatal(err)
	}
	rm.id = created.Meeting.ID
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, c := range rm.clients { // everyone opens the link at once
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.Do(ctx, http.MethodPost, "/api/meetings/join", map[string]any{"joinUrl": created.JoinURL}, nil)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return rm
}

// relayedBy checks that every node listed in alive uses one relay other than not, and
// that all their links are connected; it returns that relay.
func (rm *relayedMeeting) relayedBy(alive []int, not string) (string, error) {
	relay := ""
	for _, i := range alive {
		var st media.MeetingStats
		if err := rm.clients[i].Do(context.Background(), http.MethodGet, "/api/meetings/"+rm.id+"/media", nil, &st); err != nil {
			return "", err
		}
		want := 1
		if st.Relay == st.Self {
			want = len(alive) - 1
		}
		connected := 0
		for _, l := range st.Links {
			if l.State == "connected" {
				connected++
			}
		}
		if st.Mode != "relay" || st.Relay == not || (relay != "" && st.Relay != relay) || len(st.Links) != want || connected != want {
			return "", fmt.Errorf("node %d: mode %s relay %s links %+v", i, st.Mode, st.Relay, st.Links)
		}
		relay = st.Relay
	}
	return relay, nil
}

// stopRelay sends the relay sig (SIGKILL: its process dies and its connections reset;
// SIGSTOP: it freezes as a machine that died or lost its network would, and nothing
// resets) and returns how long until every other node uses a new relay over connected
// links.
func (rm *relayedMeeting) stopRelay(t testing.TB, sig syscall.Signal) time.Duration {
	t.Helper()
	all := make([]int, len(rm.procs))
	for i := range all {
		all[i] = i
	}
	var relay string
	eventually(t, 60*time.Second, "one relay for everyone", func() (err error) {
		relay, err = rm.relayedBy(all, "")
		return err
	})
	dead := slices.IndexFunc(rm.procs, func(p *nodeproc.Proc) bool { return p.ID == relay })
	if dead < 0 {
		t.Fatalf("relay %s is none of the nodes", relay)
	}
	if err := rm.procs[dead].Cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	rm.stopped = dead
	if sig == syscall.SIGSTOP {
		t.Cleanup(func() { _ = rm.procs[dead].Cmd.Process.Signal(syscall.SIGCONT) })
	}
	start := time.Now()
	alive := slices.DeleteFunc(all, func(i int) bool { return i == dead })
	eventually(t, 30*time.Second, "a new relay for the others", func() error {
		_, err := rm.relayedBy(alive, relay)
		return err
	})
	return time.Since(start)
}

// TestRelayKilled: four node processes meet through a rendezvous; when their relay is
// killed with SIGKILL, the other three elect the next and link to it, from the media
// links' loss of ICE consent and the dead process's closed connections, not waiting for
// presence to time out. (BenchmarkRelayKilled measures how fast.)
func TestRelayKilled(t *testing.T) {
	rm := startRelayedMeeting(t, 4)
	t.Logf("relay replaced %v after it was killed", rm.stopRelay(t, syscall.SIGKILL))
}

// TestRelayFrozen: a relay that stops answering without closing anything (SIGSTOP, as a
// machine that died) is replaced too: the links to it lose ICE consent and a ping to it
// goes unanswered. When it wakes up it follows the new relay: the relay stays put.
func TestRelayFrozen(t *testing.T) {
	rm := startRelayedMeeting(t, 4)
	t.Logf("relay replaced %v after it froze", rm.stopRelay(t, syscall.SIGSTOP))
	all := []int{0, 1, 2, 3}
	alive := slices.DeleteFunc(slices.Clone(all), func(i int) bool { return i == rm.stopped })
	relay, err := rm.relayedBy(alive, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := rm.procs[rm.stopped].Cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the woken node links to the new relay", func() error {
		got, err := rm.relayedBy(all, "")
		if err == nil && got != relay {
			err = fmt.Errorf("relay %s, not %s", got, relay)
		}
		return err
	})
	for range 10 { // five seconds: nothing moves back
		if got, err := rm.relayedBy(all, ""); err != nil || got != relay {
			t.Fatalf("the relay moved from %s to %s (%v)", relay, got, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// TestLaptopSleeps: a participant's machine that stops for 20 s (SIGSTOP: its
// connections stay open and silent, as over a suspend) comes back into the meeting
// without a click: it gets the chat said while it slept and its media link to the
// relay is connected again. The relay, which never left, stays.
func TestLaptopSleeps(t *testing.T) {
	rm := startRelayedMeeting(t, 4)
	all := []int{0, 1, 2, 3}
	var relay string
	eventually(t, 60*time.Second, "one relay for everyone", func() (err error) {
		relay, err = rm.relayedBy(all, "")
		return err
	})
	var others []int
	for i, p := range rm.procs {
		if p.ID != relay {
			others = append(others, i)
		}
	}
	laptop, speaker := others[0], others[1]
	if err := rm.procs[laptop].Cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rm.procs[laptop].Cmd.Process.Signal(syscall.SIGCONT) })
	time.Sleep(20 * time.Second) // the suspend itself: long past every consent and ping timeout
	said := "said while the laptop slept"
	if err := rm.clients[speaker].Do(context.Background(), http.MethodPost, "/api/meetings/"+rm.id+"/messages", map[string]string{"text": said}, nil); err != nil {
		t.Fatal(err)
	}
	if err := rm.procs[laptop].Cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	woke := time.Now()
	eventually(t, 30*time.Second, "the laptop has the chat said while it slept", func() error {
		ms, err := history(rm.clients[laptop], rm.id)
		if err == nil && !slices.ContainsFunc(ms, func(m message) bool { return m.Text == said }) {
			err = fmt.Errorf("%d messages, not the one said", len(ms))
		}
		return err
	})
	t.Logf("chat back %v after waking", time.Since(woke))
	eventually(t, 30*time.Second, "everyone linked to the same relay again", func() error {
		got, err := rm.relayedBy(all, "")
		if err == nil && got != relay {
			err = fmt.Errorf("relay %s, not %s", got, relay)
		}
		return err
	})
	t.Logf("media back %v after waking", time.Since(woke))
}

// BenchmarkRelayKilled: the time from the relay's death to every other node linked to the
// new relay (median over b.N meetings of four processes), for a killed process and for a
// frozen one (a machine that died).
//
//	go test -run '^$' -bench 'Relay(Killed|Frozen)' -benchtime 5x ./cmd/meshmeet
func BenchmarkRelayKilled(b *testing.B) { benchRelayStop(b, syscall.SIGKILL) }
func BenchmarkRelayFrozen(b *testing.B) { benchRelayStop(b, syscall.SIGSTOP) }

func benchRelayStop(b *testing.B, sig syscall.Signal) {
	var ds []time.Duration
	for range b.N {
		rm := startRelayedMeeting(b, 4)
		ds = append(ds, rm.stopRelay(b, sig))
		for _, p := range rm.procs {
			p.Kill()
		}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	b.ReportMetric(ds[len(ds)/2].Seconds(), "s-median")
	b.ReportMetric(ds[len(ds)-1].Seconds(), "s-worst")
}
