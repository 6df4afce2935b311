package rendezvous

import (
	"bufio"
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	ma "github.com/multiformats/go-multiaddr"
)

const echoProto protocol.ID = "/meshmeet/test/echo/1.0.0"

// TestCircuit proves two hosts that cannot dial each other connect through
// the relay address Discover returns, and run an ordinary (not limited)
// stream over it.
func TestCircuit(t *testing.T) {
	srv := startServer(t, nil)
	info := serverInfo(t, srv, isTCP)
	ctx := testCtx(t)

	// B listens nowhere: nobody can dial it, it can only dial out.
	// NoListenAddrs also turns the circuit transport off unless EnableRelay
	// is given explicitly; without it B cannot accept relayed connections.
	hb := newHost(t, libp2p.NoListenAddrs, libp2p.EnableRelay())
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

	ha := newHost(t)
	found, err := NewClient(ha, []peer.AddrInfo{info}, nil).Discover(ctx, "meeting", 0)
	if err != nil {
		t.Fatal(err)
	}
	bInfo, err := findPeer(found, hb.ID())
	if err != nil {
		t.Fatalf("b not discovered: %v", found)
	}

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
	err = ha.Connect(network.WithForceDirectDial(dctx, "test"), peer.AddrInfo{ID: hb.ID(), Addrs: direct})
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
	if !isCircuit(s.Conn().RemoteMultiaddr()) {
		t.Fatalf("stream went over %s, not the relay", s.Conn().RemoteMultiaddr())
	}
}
