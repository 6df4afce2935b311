package rendezvous

import (
	"bufio"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// TestWatchAnswersNewRegistrations: a discoverer waiting on a namespace
// gets each new registration there as it is stored, not at its next poll;
// with no news the wait ends by itself.
func TestWatchAnswersNewRegistrations(t *testing.T) {
	srv := startServer(t, nil)
	servers := []peer.AddrInfo{serverInfo(t, srv, nil)}
	ctx := testCtx(t)
	const ns = "watched"
	ha, hb, hc := newHost(t), newHost(t), newHost(t)
	ca, cb, cc := NewClient(ha, servers, nil), NewClient(hb, servers, nil), NewClient(hc, servers, nil)
	if err := ca.Register(ctx, ns, 0); err != nil {
		t.Fatal(err)
	}
	// The first watch answers at once with who is there.
	found, err := cb.Watch(ctx, ns, 0, 20*time.Second)
	if err != nil || len(found) != 1 || found[0].ID != ha.ID() {
		t.Fatalf("first watch = %v, %v; want a", found, err)
	}
	type result struct {
		found []peer.AddrInfo
		err   error
		at    time.Time
	}
	res := make(chan result, 1)
	go func() {
		found, err := cb.Watch(ctx, ns, 0, 20*time.Second)
		res <- result{found, err, time.Now()}
	}()
	eventually(t, "the watch waits on the server", func() bool { return srv.store.waiting() == 1 })
	registered := time.Now()
	if err := cc.Register(ctx, ns, 0); err != nil {
		t.Fatal(err)
	}
	r := <-res
	if r.err != nil || len(r.found) != 2 {
		t.Fatalf("watch after c registered = %v, %v; want a and c", r.found, r.err)
	}
	if _, err := findPeer(r.found, hc.ID()); err != nil {
		t.Fatalf("watch %v lacks c", r.found)
	}
	if d := r.at.Sub(registered); d > 5*time.Second {
		t.Fatalf("the new registration took %v to reach the waiting discoverer", d)
	}
	// A refresh is no news; with none, the wait ends after its time.
	if err := cc.Register(ctx, ns, 0); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	found, err = cb.Watch(ctx, ns, 0, time.Second)
	if err != nil || len(found) != 2 || time.Since(start) < 900*time.Millisecond {
		t.Fatalf("watch without news = %v, %v after %v; want both after about 1s", found, err, time.Since(start))
	}
	eventually(t, "no waiter left", func() bool { return srv.store.waiting() == 0 })
}

// TestWatchAcrossServers: news from either of two servers ends the wait,
// and the other server's waiting request is released.
func TestWatchAcrossServers(t *testing.T) {
	s1, s2 := startServer(t, nil), startServer(t, nil)
	i1, i2 := serverInfo(t, s1, nil), serverInfo(t, s2, nil)
	ctx := testCtx(t)
	const ns = "two-servers"
	cb := NewClient(newHost(t), []peer.AddrInfo{i1, i2}, nil)
	if _, err := cb.Watch(ctx, ns, 0, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	done := make(chan []peer.AddrInfo, 1)
	go func() {
		found, _ := cb.Watch(ctx, ns, 0, 20*time.Second)
		done <- found
	}()
	eventually(t, "both servers hold the watch", func() bool { return s1.store.waiting() == 1 && s2.store.waiting() == 1 })
	hc := newHost(t)
	if err := NewClient(hc, []peer.AddrInfo{i2}, nil).Register(ctx, ns, 0); err != nil {
		t.Fatal(err)
	}
	select {
	case found := <-done:
		if len(found) != 1 || found[0].ID != hc.ID() {
			t.Fatalf("watch = %v, want c", found)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("news on one server did not end the watch")
	}
	eventually(t, "the other server lets its waiter go", func() bool { return s1.store.waiting() == 0 })
}

// TestWatchLimits attacks the waiting discovers: a client opening many
// long polls is refused past its cap at once (too_many_waits), another
// peer is still served, the server-wide cap holds, and a client that resets
// its streams frees its slots without waiting out its polls.
func TestWatchLimits(t *testing.T) {
	srv := startServer(t, func(c *Config) {
		c.MaxWaitsPerPeer = 3
		c.MaxWaits = 4
		c.RateBurst = 100
	})
	info := serverInfo(t, srv, nil)
	ctx := testCtx(t)
	// poll sends one waiting discover (an hour; the server caps it) on a
	// raw stream of its own.
	poll := func(h host.Host, ns string) network.Stream {
		t.Helper()
		st, err := h.NewStream(ctx, info.ID, ProtocolID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Write(frame(fmt.Sprintf(`{"v":1,"type":"discover","ns":%q,"wait":3600}`, ns))); err != nil {
			t.Fatal(err)
		}
		return st
	}
	refused := func(st network.Stream) error {
		_ = st.SetReadDeadline(time.Now().Add(5 * time.Second))
		body, err := readFrame(bufio.NewReader(st), maxResponseSize)
		if err != nil {
			return fmt.Errorf("no answer at once: %w", err)
		}
		if _, err := decodeResponse(body); !errors.Is(err, ErrTooManyWaits) {
			return fmt.Errorf("answer %v, want ErrTooManyWaits", err)
		}
		return nil
	}
	hostile, other, third := newHost(t), newHost(t), newHost(t)
	for _, h := range []host.Host{hostile, other, third} {
		if err := h.Connect(ctx, info); err != nil {
			t.Fatal(err)
		}
	}
	var held []network.Stream
	for i := range 3 {
		held = append(held, poll(hostile, fmt.Sprintf("ns%d", i)))
	}
	eventually(t, "three polls wait", func() bool { return srv.store.waiting() == 3 })
	if err := refused(poll(hostile, "ns9")); err != nil {
		t.Fatalf("the hostile client's fourth poll: %v", err)
	}
	held = append(held, poll(other, "ns0"))
	eventually(t, "another peer's poll waits", func() bool { return srv.store.waiting() == 4 })
	if err := refused(poll(third, "ns0")); err != nil {
		t.Fatalf("a poll past the server's cap: %v", err)
	}
	// Registrations and plain discovers are not held up.
	c := NewClient(third, []peer.AddrInfo{info}, nil)
	if err := c.Register(ctx, "ns0", 0); err != nil {
		t.Fatal(err)
	}
	// The registration answered the waiters on ns0 (the hostile client's
	// first poll and the other peer's).
	eventually(t, "news releases the polls on ns0", func() bool { return srv.store.waiting() == 2 })
	for _, st := range held {
		_ = st.Reset()
	}
	eventually(t, "reset polls are released at once", func() bool { return srv.store.waiting() == 0 })
}
