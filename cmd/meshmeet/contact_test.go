package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"meshmeet/mesh/datadir"
	"meshmeet/node"
	"meshmeet/node/nodeproc"
)

// member is a node process and a client of its API.
type member struct {
	*proc
	dir string
	c   *node.Client
}

// contactNet says where the nodes of a first contact run and how they can
// find each other.
type contactNet struct {
	prefix     []string // runs a process in the network (ip netns exec NS), or nil
	ip         string   // the address nodes and the rendezvous listen on
	dial       func(ctx context.Context, network, addr string) (net.Conn, error)
	rendezvous bool // a rendezvous process, which every node is told of
	mdns       bool // nodes look for each other on the LAN
}

// onLoopback: nodes on 127.0.0.1 that meet only through a rendezvous.
var onLoopback = contactNet{ip: "127.0.0.1", rendezvous: true}

// startMembers starts n node processes at once on net and waits for every
// one to be ready.
func startMembers(t testing.TB, n int, cn contactNet) []*member {
	t.Helper()
	var extra []string
	if cn.rendezvous {
		extra = append(extra, "--rendezvous", nodeproc.RendezvousIn(t, cn.prefix, cn.ip))
	}
	if !cn.mdns {
		extra = append(extra, "--no-mdns")
	}
	out := make([]*member, n)
	var wg sync.WaitGroup
	for i := range out {
		dir := t.TempDir()
		args := append([]string{"--data-dir", dir, "--ui", "127.0.0.1:0", "--listen", "/ip4/" + cn.ip + "/tcp/0"}, extra...)
		wg.Go(func() {
			p := startProcIn(t, cn.prefix, []string{fmt.Sprintf("MESHMEET_NAME=n%d", i)}, args...)
			c, err := node.NewClient(p.ui, datadir.Dir(dir))
			if err != nil {
				t.Error(err)
				return
			}
			if cn.dial != nil {
				c.HTTP.Transport = &http.Transport{DialContext: cn.dial}
			}
			out[i] = &member{proc: p, dir: dir, c: c}
		})
	}
	wg.Wait()
	if slices.Contains(out, nil) {
		t.FailNow()
	}
	return out
}

// createMeeting has m create a meeting; it returns its ID and join link.
func createMeeting(t testing.TB, m *member, title string) (id, link string) {
	t.Helper()
	var created struct {
		Meeting struct{ ID string } `json:"meeting"`
		JoinURL string              `json:"joinUrl"`
	}
	if err := m.c.Do(context.Background(), http.MethodPost, "/api/meetings", map[string]string{"title": title}, &created); err != nil {
		t.Fatal(err)
	}
	return created.Meeting.ID, created.JoinURL
}

// joinAndSay has every member open the link at the same moment and post a
// line as soon as its join returns; a join or post that fails (no member
// reachable yet) is tried again until within. It returns when each member
// posted, and the first error left once within is over.
func joinAndSay(ms []*member, id, link string, within time.Duration) (posted time.Time, err error) {
	deadline := time.Now().Add(within)
	start := make(chan struct{})
	errs := make([]error, len(ms))
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		last time.Time
	)
	for i, m := range ms {
		wg.Go(func() {
			<-start
			for _, step := range []struct{ path, key, value string }{
				{"/api/meetings/join", "joinUrl", link},
				{"/api/meetings/" + id + "/messages", "text", fmt.Sprintf("hello from n%d", i)},
			} {
				for {
					ctx, cancel := context.WithDeadline(context.Background(), deadline)
					errs[i] = m.c.Do(ctx, http.MethodPost, step.path, map[string]string{step.key: step.value}, nil)
					cancel()
					if errs[i] == nil {
						break
					}
					if time.Now().After(deadline) {
						errs[i] = fmt.Errorf("n%d %s: %w", i, step.path, errs[i])
						return
					}
					time.Sleep(100 * time.Millisecond)
				}
			}
			mu.Lock()
			if now := time.Now(); now.After(last) {
				last = now
			}
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return time.Time{}, err
		}
	}
	return last, nil
}

// allListAll reports whether every member lists every member online.
func allListAll(ms []*member, id string) error {
	want := make([]string, 0, len(ms))
	for _, m := range ms {
		want = append(want, m.id)
	}
	slices.Sort(want)
	for i, m := range ms {
		var ps []struct {
			PeerID string `json:"peerId"`
		}
		if err := m.c.Do(context.Background(), http.MethodGet, "/api/meetings/"+id+"/participants", nil, &ps); err != nil {
			return fmt.Errorf("n%d: %w", i, err)
		}
		got := make([]string, 0, len(ps))
		for _, p := range ps {
			got = append(got, p.PeerID)
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			var missing []string
			for j, o := range ms {
				if !slices.Contains(got, o.id) {
					missing = append(missing, fmt.Sprintf("n%d", j))
				}
			}
			return fmt.Errorf("n%d lists %d of %d, not %v", i, len(got), len(want), missing)
		}
	}
	return nil
}

// allHaveAll reports whether every member has every member's line.
func allHaveAll(ms []*member, id string) error {
	for i, m := range ms {
		got, err := history(m.c, id)
		if err != nil {
			return fmt.Errorf("n%d: %w", i, err)
		}
		if len(got) != len(ms) {
			return fmt.Errorf("n%d has %d of %d lines", i, len(got), len(ms))
		}
	}
	return nil
}

// contact is what a first contact measured.
type contact struct {
	listed time.Duration // from the joins until everyone lists everyone
	chat   time.Duration // from the last post until every line is everywhere
}

// firstContact starts n fresh nodes on cn; node 0 creates a meeting, and
// all open its link at the same moment and each posts a line right after
// its join. It fails the test unless everyone lists everyone and has every
// line within.
func firstContact(t testing.TB, n int, cn contactNet, within time.Duration) contact {
	t.Helper()
	ms := startMembers(t, n, cn)
	id, link := createMeeting(t, ms[0], "First contact")
	start := time.Now()
	posted, err := joinAndSay(ms, id, link, within)
	if err != nil {
		t.Fatal(err)
	}
	var c contact
	for c.listed == 0 || c.chat == 0 {
		if c.listed == 0 && allListAll(ms, id) == nil {
			c.listed = time.Since(start)
		}
		if c.chat == 0 && allHaveAll(ms, id) == nil {
			c.chat = time.Since(posted)
		}
		if time.Since(start) > within {
			t.Fatalf("not within %v: %v; %v\n%s", within, allListAll(ms, id), allHaveAll(ms, id), describe(ms, id))
		}
		time.Sleep(20 * time.Millisecond)
	}
	return c
}

// describe says whom each member is connected to and lists, for a failure.
func describe(ms []*member, id string) string {
	var b strings.Builder
	for i, m := range ms {
		var info struct{ Peers []string }
		_ = m.c.Do(context.Background(), http.MethodGet, "/api/node", nil, &info)
		var ps []struct {
			Name string `json:"name"`
		}
		_ = m.c.Do(context.Background(), http.MethodGet, "/api/meetings/"+id+"/participants", nil, &ps)
		fmt.Fprintf(&b, "n%d (%s): %d connections, lists %v\n", i, m.id, len(info.Peers), ps)
	}
	return b.String()
}

// TestFirstContactRendezvous: five node processes that know each other only
// through a rendezvous open one link at the same moment and each posts a
// line right after its join: each lists all five and has all five lines.
// The bound is generous for a loaded machine; BenchmarkFirstContact
// measures.
func TestFirstContactRendezvous(t *testing.T) {
	c := firstContact(t, 5, onLoopback, 10*time.Second)
	t.Logf("everyone lists everyone after %v; every line everywhere %v after the last post", c.listed, c.chat)
}

// round is a testing.TB whose cleanups run at the end of one benchmark
// round, so each round's processes are gone before the next starts.
type round struct {
	testing.TB
	mu  sync.Mutex
	fns []func()
}

func (r *round) Cleanup(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fns = append(r.fns, f)
}

// done runs the round's cleanups, once.
func (r *round) done() {
	r.mu.Lock()
	fns := r.fns
	r.fns = nil
	r.mu.Unlock()
	for i := len(fns) - 1; i >= 0; i-- {
		fns[i]()
	}
}

// benchContact runs b.N first contacts of n fresh nodes on cn (new
// processes every round; only the joins and the waits are timed) and
// reports the median and worst times until everyone lists everyone, and
// until a line posted right after each join is everywhere.
func benchContact(b *testing.B, n int, cn contactNet) {
	b.StopTimer()
	var listed, chat []time.Duration
	for i := 0; i < b.N; i++ {
		r := &round{TB: b}
		b.Cleanup(r.done) // a round that fails stops its processes too
		c := firstContact(r, n, cn, 60*time.Second)
		r.done()
		listed, chat = append(listed, c.listed), append(chat, c.chat)
	}
	report := func(ds []time.Duration, unit string) {
		slices.Sort(ds)
		b.ReportMetric(ds[len(ds)/2].Seconds(), unit+"-median-s")
		b.ReportMetric(ds[len(ds)-1].Seconds(), unit+"-max-s")
	}
	report(listed, "listed")
	report(chat, "chat")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkFirstContact: time until 5 and 10 fresh node processes, knowing
// each other only through a rendezvous, all list each other after opening
// one link at the same moment (goal: median ≤ 2 s), and until a line each
// posts right after its join is on every node (goal ≤ 1 s).
// Run: go test -run '^$' -bench FirstContact -benchtime 3x ./cmd/meshmeet
func BenchmarkFirstContact(b *testing.B) {
	for _, n := range []int{5, 10} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) { benchContact(b, n, onLoopback) })
	}
}
