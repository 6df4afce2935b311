package rendezvous

import (
	"errors"
	"net"
	"slices"
	"strings"
	"testing"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/pion/turn/v5"
)

// turnClient is a pion/turn client of the relay at url (UDP or TCP) with the given
// credentials.
func turnClient(t *testing.T, url, user, pass string) *turn.Client {
	t.Helper()
	addr, transport, _ := strings.Cut(strings.TrimPrefix(url, "turn:"), "?transport=")
	var conn net.PacketConn
	if transport == "tcp" {
		tc, err := net.Dial("tcp4", addr)
		if err != nil {
			t.Fatal(err)
		}
		conn = turn.NewSTUNConn(tc)
	} else {
		uc, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		conn = uc
	}
	c, err := turn.NewClient(&turn.ClientConfig{TURNServerAddr: addr, STUNServerAddr: addr,
		Username: user, Password: pass, Realm: "meshmeet", Conn: conn})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); _ = conn.Close() })
	if err := c.Listen(); err != nil {
		t.Fatal(err)
	}
	return c
}

func turnAllocate(t *testing.T, url, user, pass string) error {
	t.Helper()
	relay, err := turnClient(t, url, user, pass).Allocate()
	if err != nil {
		return err
	}
	return relay.Close()
}

// TestTURN: a node gets credentials for the server's TURN relay over the rendezvous
// protocol and allocates a relay with them; made-up credentials are refused; a server
// without TURN says so.
func TestTURN(t *testing.T) {
	srv := startServer(t, func(c *Config) {
		c.TURN = DefaultTURNConfig(net.IPv4(127, 0, 0, 1))
		c.TURN.Listen = "127.0.0.1:0"
		c.TURN.AllowLoopback = true
	})
	plain := startServer(t, nil)
	urls := srv.TURNURLs()
	if len(urls) != 2 || !strings.HasPrefix(urls[0], "turn:127.0.0.1:") || !strings.HasSuffix(urls[0], "?transport=udp") ||
		!strings.HasSuffix(urls[1], "?transport=tcp") || plain.TURNURLs() != nil {
		t.Fatalf("TURN URLs %q and %q", urls, plain.TURNURLs())
	}
	h := newHost(t)
	c := NewClient(h, []peer.AddrInfo{serverInfo(t, srv, nil), serverInfo(t, plain, nil)}, nil)
	ts, err := c.TURN(testCtx(t))
	if err != nil || len(ts) != 1 || !slices.Equal(ts[0].URLs, urls) {
		t.Fatalf("TURN = %+v, %v", ts, err)
	}
	if !strings.HasSuffix(ts[0].Username, ":"+h.ID().String()) {
		t.Errorf("username %q does not name the node", ts[0].Username)
	}
	for _, u := range ts[0].URLs {
		if err := turnAllocate(t, u, ts[0].Username, ts[0].Credential); err != nil {
			t.Fatalf("allocate at %s with the handed-out credentials: %v", u, err)
		}
	}
	if err := turnAllocate(t, ts[0].URLs[0], ts[0].Username, "bm90IHRoZSBwYXNzd29yZA=="); err == nil {
		t.Fatal("allocated with a made-up password")
	}
	only := NewClient(h, []peer.AddrInfo{serverInfo(t, plain, nil)}, nil)
	if _, err := only.TURN(testCtx(t)); !errors.Is(err, ErrNoTURN) {
		t.Fatalf("TURN from a server without it: %v", err)
	}
}

// TestTURNQuota: one node holds at most MaxAllocationsPerPeer relays at once.
func TestTURNQuota(t *testing.T) {
	srv := startServer(t, func(c *Config) {
		c.TURN = DefaultTURNConfig(net.IPv4(127, 0, 0, 1))
		c.TURN.Listen = "127.0.0.1:0"
		c.TURN.AllowLoopback = true
		c.TURN.MaxAllocationsPerPeer = 1
	})
	h := newHost(t)
	ts, err := NewClient(h, []peer.AddrInfo{serverInfo(t, srv, nil)}, nil).TURN(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	c := turnClient(t, ts[0].URLs[0], ts[0].Username, ts[0].Credential)
	first, err := c.Allocate()
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	if err := turnAllocate(t, ts[0].URLs[0], ts[0].Username, ts[0].Credential); err == nil {
		t.Fatal("a second allocation passed a quota of one")
	}
}

// TestTURNRefusesLoopbackPeers: by default the relay does not reach services on its own
// machine.
func TestTURNRefusesLoopbackPeers(t *testing.T) {
	relay := &turnRelay{cfg: DefaultTURNConfig(net.IPv4(192, 0, 2, 1))}
	for ip, want := range map[string]bool{"127.0.0.1": false, "::1": false, "0.0.0.0": false, "169.254.1.1": false,
		"224.0.0.1": false, "10.1.2.3": true, "192.168.0.7": true, "203.0.113.9": true} {
		if got := relay.mayRelayTo(nil, net.ParseIP(ip)); got != want {
			t.Errorf("relay to %s: %v, want %v", ip, got, want)
		}
	}
	relay.cfg.AllowLoopback = true
	if !relay.mayRelayTo(nil, net.IPv4(127, 0, 0, 1)) {
		t.Error("AllowLoopback does not allow loopback")
	}
}
