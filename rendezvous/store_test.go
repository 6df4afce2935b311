package rendezvous

import (
	"errors"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

func testPeers(t *testing.T, n int) []peer.ID {
	t.Helper()
	ids := make([]peer.ID, n)
	for i := range ids {
		id, err := peer.IDFromPrivateKey(newKey(t))
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}
	return ids
}

func TestStoreCapsAndExpiry(t *testing.T) {
	clock := newFakeClock()
	s := newStore(2, 3)
	s.now = clock.Now
	p := testPeers(t, 3)

	steps := []struct {
		ns      string
		p       peer.ID
		wantErr error
	}{
		{"a", p[0], nil},
		{"b", p[0], nil},
		{"a", p[0], nil},                     // refresh
		{"c", p[0], ErrTooManyRegistrations}, // per-peer cap
		{"a", p[1], nil},
		{"b", p[1], ErrTooManyRegistrations}, // total cap
	}
	for i, st := range steps {
		if err := s.register(st.ns, st.p, nil, time.Minute); !errors.Is(err, st.wantErr) {
			t.Fatalf("step %d: %v, want %v", i, err, st.wantErr)
		}
	}
	if got := s.discover("a", p[2], 10); len(got) != 2 {
		t.Fatalf("discover a: %v", got)
	}
	if got := s.discover("a", p[0], 10); len(got) != 1 || got[0].ID != p[1] {
		t.Fatalf("discover a excluding p0: %v", got)
	}
	if got := s.discover("a", p[2], 1); len(got) != 1 {
		t.Fatalf("discover limit 1: %v", got)
	}

	clock.Advance(time.Minute)
	if n := s.sweep(); n != 3 {
		t.Fatalf("sweep dropped %d, want 3", n)
	}
	if s.size() != 0 || len(s.perPeer) != 0 || len(s.byNS) != 0 {
		t.Fatalf("store not empty after sweep: %d %v %v", s.size(), s.perPeer, s.byNS)
	}
	// Caps free up again.
	if err := s.register("c", p[0], nil, time.Minute); err != nil {
		t.Fatal(err)
	}
}

func TestStoreReRegisterAfterExpiry(t *testing.T) {
	clock := newFakeClock()
	s := newStore(1, 10)
	s.now = clock.Now
	p := testPeers(t, 1)[0]
	if err := s.register("a", p, nil, time.Second); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Second)
	// Expired but not yet swept: re-registering must not count twice.
	if err := s.register("a", p, nil, time.Second); err != nil {
		t.Fatal(err)
	}
	if s.size() != 1 || s.perPeer[p] != 1 {
		t.Fatalf("size %d perPeer %d", s.size(), s.perPeer[p])
	}
}

func TestLimiters(t *testing.T) {
	l := newLimiters(1, 2)
	p := testPeers(t, 2)
	now := time.Unix(0, 0)
	for i, want := range []bool{true, true, false} {
		if got := l.allow(p[0], now); got != want {
			t.Fatalf("request %d: %v", i, got)
		}
	}
	if !l.allow(p[1], now) {
		t.Fatal("other peer limited")
	}
	if !l.allow(p[0], now.Add(time.Second)) {
		t.Fatal("no refill after 1s")
	}
	l.sweep(now.Add(time.Hour))
	if len(l.m) != 0 {
		t.Fatalf("idle limiters kept: %d", len(l.m))
	}
}

func TestParseServers(t *testing.T) {
	id := testPeers(t, 1)[0].String()
	tests := []struct {
		name      string
		in        []string
		wantPeers int
		wantAddrs int
		wantErr   bool
	}{
		{"one", []string{"/ip4/1.2.3.4/tcp/7701/p2p/" + id}, 1, 1, false},
		{"merged", []string{"/ip4/1.2.3.4/tcp/7701/p2p/" + id, "/ip4/1.2.3.4/udp/7701/quic-v1/p2p/" + id}, 1, 2, false},
		{"dns", []string{"/dns4/rv.example.com/tcp/7701/p2p/" + id}, 1, 1, false},
		{"none", nil, 0, 0, false},
		{"no p2p", []string{"/ip4/1.2.3.4/tcp/7701"}, 0, 0, true},
		{"only p2p", []string{"/p2p/" + id}, 0, 0, true},
		{"garbage", []string{"nope"}, 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseServers(tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrInvalidServerAddr) {
					t.Fatalf("err = %v, want ErrInvalidServerAddr", err)
				}
				return
			}
			if err != nil || len(got) != tt.wantPeers {
				t.Fatalf("got %v, %v", got, err)
			}
			if tt.wantPeers > 0 && len(got[0].Addrs) != tt.wantAddrs {
				t.Fatalf("addrs %v, want %d", got[0].Addrs, tt.wantAddrs)
			}
		})
	}
}

// TestStoreWatch: a waiter wakes on a new registration under its namespace
// only (not a refresh, not another namespace), a stale cookie wakes at once
// (also after the namespace emptied and filled again), and released waiters
// are forgotten.
func TestStoreWatch(t *testing.T) {
	clock := newFakeClock()
	s := newStore(10, 10)
	s.now = clock.Now
	p := testPeers(t, 3)
	woken := func(ch <-chan struct{}) bool {
		select {
		case <-ch:
			return true
		default:
			return false
		}
	}
	if err := s.register("ns", p[0], nil, time.Minute); err != nil {
		t.Fatal(err)
	}
	cookie := s.cookie("ns")
	ch, release, err := s.watch("ns", p[2], cookie)
	if err != nil {
		t.Fatal(err)
	}
	_ = s.register("ns", p[0], nil, time.Minute) // a refresh
	_ = s.register("other", p[1], nil, time.Minute)
	if woken(ch) {
		t.Fatal("a refresh or another namespace woke the waiter")
	}
	_ = s.register("ns", p[1], nil, time.Minute)
	if !woken(ch) {
		t.Fatal("a new registration did not wake the waiter")
	}
	release()
	if ch, release, _ := s.watch("ns", p[2], cookie); !woken(ch) {
		t.Fatal("a stale cookie waits")
	} else {
		release()
	}
	// Everything expires; a registration after that is news to the last cookie.
	cookie = s.cookie("ns")
	clock.Advance(2 * time.Minute)
	s.sweep()
	ch, release, _ = s.watch("ns", p[2], s.cookie("ns"))
	_ = s.register("ns", p[0], nil, time.Minute)
	if !woken(ch) || s.cookie("ns") == cookie {
		t.Fatal("a registration after the namespace emptied is no news")
	}
	release()
	if n := s.waiting(); n != 0 || len(s.changed) != 0 || len(s.waits.perNS) != 0 {
		t.Fatalf("%d waiters, %d channels, %d namespaces left after release", n, len(s.changed), len(s.waits.perNS))
	}
}
