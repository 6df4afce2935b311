package mesh

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestMembersLearnEachOtherFromHeartbeats: B and C know only A (no
// rendezvous, no mDNS); the addresses in each other's heartbeats, gossiped
// through A, connect them directly.
func TestMembersLearnEachOtherFromHeartbeats(t *testing.T) {
	a := startMesh(t, testConfig(t, "a"))
	b := startMesh(t, testConfig(t, "b", a))
	c := startMesh(t, testConfig(t, "c", a))
	meetingOf(t, a, b, c)
	eventually(t, 10*time.Second, "b and c connect through what they heard", func() error {
		if !b.Connected(c.Self()) || !c.Connected(b.Self()) {
			return errors.New("not connected")
		}
		return nil
	})
}

func TestHeartbeatAddresses(t *testing.T) {
	_, id := fuzzKey(t)
	base := heartbeat{V: 1, Meeting: "0123456789abcdef0123456789abcdef", Peer: id, Name: "n"}
	many := make([]string, maxHeartbeatAddrs+1)
	for i := range many {
		many[i] = fmt.Sprintf("/ip4/10.0.0.%d/tcp/4001", i+1)
	}
	tests := []struct {
		name  string
		addrs []string
		ok    bool
		edit  func(*heartbeat)
	}{
		{"none", nil, true, nil},
		{"some", []string{"/ip4/10.0.0.1/tcp/4001", "/ip6/2001:db8::1/udp/4001/quic-v1"}, true, nil},
		{"too many", many, false, nil},
		{"not a multiaddr", []string{"10.0.0.1:4001"}, false, nil},
		{"too long", []string{"/dns4/" + strings.Repeat("a", maxAddrLen) + "/tcp/1"}, false, nil},
		{"hand up at a time", nil, true, func(hb *heartbeat) { hb.Media.HandRaised, hb.Media.HandRaisedAt = true, 1764770000000 }},
		{"hand down with a time", nil, false, func(hb *heartbeat) { hb.Media.HandRaisedAt = 1764770000000 }},
		{"hand up before 1970", nil, false, func(hb *heartbeat) { hb.Media.HandRaised, hb.Media.HandRaisedAt = true, -1 }},
		{"a reaction offered", nil, true, func(hb *heartbeat) { hb.Reaction = "👏" }},
		{"a reaction not offered", nil, false, func(hb *heartbeat) { hb.Reaction = "💩" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hb := base
			hb.Addrs = tt.addrs
			if tt.edit != nil {
				tt.edit(&hb)
			}
			raw, _ := json.Marshal(hb)
			_, err := DecodeHeartbeat(raw)
			if (err == nil) != tt.ok {
				t.Fatalf("decode = %v, want ok %v", err, tt.ok)
			}
		})
	}
}

// TestHeardAddressFilter: what others say is dialled only where it leads off
// this machine and its link.
func TestHeardAddressFilter(t *testing.T) {
	for _, tt := range []struct {
		addr string
		ok   bool
	}{
		{"/ip4/10.1.2.3/tcp/4001", true},
		{"/ip4/192.0.2.7/udp/4001/quic-v1", true},
		{"/ip6/2001:db8::1/tcp/4001", true},
		{"/ip4/10.0.0.5/tcp/7701/p2p/12D3KooWLu91gWGcKzMWmqXL8TgKnvtFiLwvmRR4fENMBeSZU657/p2p-circuit", true},
		{"/ip4/127.0.0.1/tcp/22", false},
		{"/ip6/::1/tcp/22", false},
		{"/ip4/169.254.169.254/tcp/80", false},
		{"/ip6/fe80::1/tcp/4001", false},
		{"/ip4/224.0.0.251/udp/5353", false},
		{"/ip6/ff02::1/udp/4001", false},
		{"/ip4/0.0.0.0/tcp/4001", false},
		{"/dns4/example.com/tcp/4001", false},
	} {
		a, err := ma.NewMultiaddr(tt.addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := dialable(a); got != tt.ok {
			t.Errorf("dialable(%s) = %v, want %v", tt.addr, got, tt.ok)
		}
	}
}

// TestHeardDialsAreBounded attacks the dials heartbeats cause: a member
// repeating heartbeats that point at some address makes this node dial it
// once per heardDialEvery, not once per heartbeat.
func TestHeardDialsAreBounded(t *testing.T) {
	m := startMesh(t, testConfig(t, "m"))
	if !m.loopbackOnly() {
		t.Fatal("a test mesh on 127.0.0.1 is loopback-only")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	var accepted atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			_ = c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	k, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	victim, _ := peer.IDFromPrivateKey(k)
	hb := &heartbeat{Peer: victim, Addrs: []string{fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", port)}}
	for range 200 {
		m.dialHeard(hb)
	}
	eventually(t, 10*time.Second, "the heard address is dialled", func() error {
		if accepted.Load() == 0 {
			return errors.New("no dial")
		}
		return nil
	})
	time.Sleep(500 * time.Millisecond) // let any further dial land: there must be none
	if n := accepted.Load(); n != 1 {
		t.Fatalf("200 heartbeats caused %d dials, want 1", n)
	}
}

// fakeWatcher is a rendezvous that answers every long poll at once, with
// the peers it is given or an error: a broken or hostile server.
type fakeWatcher struct {
	peers []peer.AddrInfo
	err   error
	calls atomic.Int32
}

func (f *fakeWatcher) Register(context.Context, string, time.Duration) error { return f.err }
func (f *fakeWatcher) Discover(context.Context, string, int) ([]peer.AddrInfo, error) {
	return nil, f.err // peers come only from the watch
}
func (f *fakeWatcher) Watch(context.Context, string, int, time.Duration) ([]peer.AddrInfo, error) {
	f.calls.Add(1)
	return f.peers, f.err
}

// TestWatchDialsAndHoldsBack: the peers a rendezvous watch answers with are
// dialled; a server that answers every poll at once (or fails every one)
// does not make the node spin on it.
func TestWatchDialsAndHoldsBack(t *testing.T) {
	b := startMesh(t, testConfig(t, "b"))
	for _, tt := range []struct {
		name string
		w    *fakeWatcher
		most int32 // polls in the second measured
	}{
		{"answers at once", &fakeWatcher{peers: []peer.AddrInfo{{ID: b.Self(), Addrs: b.host.Addrs()}}}, int32(time.Second/watchSpacing) + 2},
		{"fails at once", &fakeWatcher{err: errors.New("down")}, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t, "a")
			cfg.DiscoveryInterval = time.Hour // only the watch and the quick rounds
			cfg.NewDiscovery = func(host.Host) Discovery { return tt.w }
			a := startMesh(t, cfg)
			v, secret, err := a.CreateMeeting(context.Background(), []byte(`{"title":"watched"}`))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.Join(context.Background(), FormatJoinLink("http://127.0.0.1:7700", v.ID, secret)); err != nil {
				t.Fatal(err)
			}
			eventually(t, 10*time.Second, "the watch runs", func() error {
				if tt.w.calls.Load() == 0 {
					return errors.New("no poll")
				}
				return nil
			})
			before := tt.w.calls.Load()
			time.Sleep(time.Second) // count the polls of one second
			if n := tt.w.calls.Load() - before; n > tt.most {
				t.Fatalf("%d polls in a second, want at most %d", n, tt.most)
			}
			if tt.w.err == nil && !a.Connected(b.Self()) {
				t.Fatal("the peer the watch answered with was not dialled")
			}
		})
	}
}

// TestHeartbeatSoonIsBounded attacks the early heartbeat: a peer joining
// and leaving the presence topic over and over makes this node beat early
// at most about twice a second.
func TestHeartbeatSoonIsBounded(t *testing.T) {
	a := startMesh(t, testConfig(t, "a"))
	id, _ := meetingOf(t, a)
	mt, err := a.meeting(id)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for time.Since(start) < time.Second {
		a.heartbeatSoon(mt) // what every PeerJoin on the presence topic does
		time.Sleep(5 * time.Millisecond)
	}
	if n := testutil.ToFloat64(a.metrics.soonBeats); n < 1 || n > 3 {
		t.Fatalf("%v early heartbeats in a second of asks, want 1 to 3", n)
	}
}
