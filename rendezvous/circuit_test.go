package rendezvous

import (
	"bufio"
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	relayv2 "github.com/libp2p/go-libp2p/p2p/protocol/circuitv2/relay"
	ma "github.com/multiformats/go-multiaddr"
)

const echoProto protocol.ID = "/meshmeet/test/echo/1.0.0"

// circuitPair sets up B, which listens nowhere, registered and holding a
// relay reservation on srv, and A, which discovered B. It returns both hosts
// and B's AddrInfo as discovered.
func circuitPair(t *testing.T, srv *Server) (ha, hb host.Host, bInfo peer.AddrInfo) {
	t.Helper()
	info := serverInfo(t, srv, isTCP)
	ctx := testCtx(t)

	// B listens nowhere: nobody can dial it, it can only dial out.
	// NoListenAddrs also turns the circuit transport off unless EnableRelay
	// is given explicitly; without it B cannot accept relayed connections.
	hb = newHost(t, libp2p.NoListenAddrs, libp2p.EnableRelay())
	hb.SetStreamHandler(echoProto, func(s network.Stream) {
		defer s.Close()
		_, _ = io.Copy(s, s)
	})
	cb := NewClient(hb, []peer.AddrInfo{info}, nil)
	expiry, err := cb.Reserve(ctx)
	if err != nil {
		t.Fatalf("reserve: %v", err)
	}
	if !expiry.After(time.Now()) {
		t.Fatalf("reservation expiry %v in the past", expiry)
	}
	if err := cb.Register(ctx, "meeting", time.Hour); err != nil {
		t.Fatal(err)
	}

	ha = newHost(t)
	found, err := NewClient(ha, []peer.AddrInfo{info}, nil).Discover(ctx, "meeting", 0)
	if err != nil {
		t.Fatal(err)
	}
	bInfo, err = findPeer(found, hb.ID())
	if err != nil {
		t.Fatalf("b not discovered: %v", found)
	}
	return ha, hb, bInfo
}

// echo runs one echo exchange on s.
func echo(t *testing.T, s network.Stream) {
	t.Helper()
	defer s.Close()
	_ = s.SetDeadline(time.Now().Add(testTimeout))
	msg := []byte("hello through the relay")
	if _, err := s.Write(msg); err != nil {
		t.Fatal(err)
	}
	_ = s.CloseWrite()
	got, err := io.ReadAll(bufio.NewReader(s))
	if err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	if string(got) != string(msg) {
		t.Fatalf("echo = %q, want %q", got, msg)
	}
}

// TestCircuit proves two hosts that cannot dial each other connect through
// the relay address Discover returns, and run an ordinary (not limited)
// stream over it.
func TestCircuit(t *testing.T) {
	srv := startServer(t, nil)
	ha, hb, bInfo := circuitPair(t, srv)
	ctx := testCtx(t)

	// B's direct (observed) addresses do not work.
	var direct, circuit []ma.Multiaddr
	for _, a := range bInfo.Addrs {
		if isCircuit(a) {
			circuit = append(circuit, a)
		} else {
			direct = append(direct, a)
		}
	}
	if len(circuit) == 0 {
		t.Fatalf("no circuit address in %v", bInfo.Addrs)
	}
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	err := ha.Connect(network.WithForceDirectDial(dctx, "test"), peer.AddrInfo{ID: hb.ID(), Addrs: direct})
	cancel()
	if err == nil {
		t.Fatal("direct dial to b should fail")
	}

	// Through the relay it works.
	if err := ha.Connect(ctx, bInfo); err != nil {
		t.Fatalf("connect through relay: %v", err)
	}
	conns := ha.Network().ConnsToPeer(hb.ID())
	if len(conns) == 0 {
		t.Fatal("no connection to b")
	}
	for _, c := range conns {
		if !isCircuit(c.RemoteMultiaddr()) {
			t.Fatalf("connection to b is direct: %s", c.RemoteMultiaddr())
		}
		if c.Stat().Limited {
			t.Fatal("relayed connection is limited; the relay should run without limits")
		}
	}

	// An ordinary stream, without network.WithAllowLimitedConn.
	s, err := ha.NewStream(ctx, hb.ID(), echoProto)
	if err != nil {
		t.Fatalf("stream over relay: %v", err)
	}
	if !isCircuit(s.Conn().RemoteMultiaddr()) {
		t.Fatalf("stream went over %s, not the relay", s.Conn().RemoteMultiaddr())
	}
	echo(t, s)
}

// TestCircuitWithLimit documents what a relay limit does: the relayed
// connection is limited, and streams need network.WithAllowLimitedConn
// (which GossipSub does not use).
func TestCircuitWithLimit(t *testing.T) {
	srv := startServer(t, func(c *Config) { c.Relay.Limit = relayv2.DefaultLimit() })
	ha, hb, bInfo := circuitPair(t, srv)
	ctx := testCtx(t)

	if err := ha.Connect(network.WithAllowLimitedConn(ctx, "test"), bInfo); err != nil {
		t.Fatalf("connect through relay: %v", err)
	}
	for _, c := range ha.Network().ConnsToPeer(hb.ID()) {
		if !c.Stat().Limited {
			t.Fatal("connection through a limited relay should be limited")
		}
	}
	// Without the option the swarm waits for a direct connection (hole
	// punching, connection reversal), which never comes here.
	nctx, cancel := context.WithTimeout(ctx, time.Second)
	_, err := ha.NewStream(network.WithNoDial(nctx, "test"), hb.ID(), echoProto)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("stream over a limited connection without WithAllowLimitedConn = %v, want a timeout", err)
	}
	s, err := ha.NewStream(network.WithAllowLimitedConn(ctx, "test"), hb.ID(), echoProto)
	if err != nil {
		t.Fatalf("limited stream: %v", err)
	}
	echo(t, s)
}
