package media

import (
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// dtlsHole drops DTLS records (first byte 20–63, RFC 7983) from one UDP port, and with
// both to it too, while on; it lets STUN through: ICE connects, the link's DTLS handshake
// cannot.
type dtlsHole struct {
	net.PacketConn
	port atomic.Int64
	on   atomic.Bool
	both bool
}

func (h *dtlsHole) blocked(p []byte, a net.Addr) bool {
	u, ok := a.(*net.UDPAddr)
	return ok && h.on.Load() && int64(u.Port) == h.port.Load() && len(p) > 0 && p[0] >= 20 && p[0] <= 63
}

func (h *dtlsHole) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		n, a, err := h.PacketConn.ReadFrom(p)
		if err != nil || !h.blocked(p[:n], a) {
			return n, a, err
		}
	}
}

func (h *dtlsHole) WriteTo(p []byte, a net.Addr) (int, error) {
	if h.both && h.blocked(p, a) {
		return len(p), nil
	}
	return h.PacketConn.WriteTo(p, a)
}

func linkOf(e *Engine) (LinkStats, bool) {
	st := e.Stats(testMeeting).(*MeetingStats)
	if len(st.Links) != 1 {
		return LinkStats{}, false
	}
	return st.Links[0], true
}

// linkWithHole links engines A (publishing) and B (whose browser watches) through a
// dtlsHole on B's socket, on from the start.
func linkWithHole(t *testing.T, stuckAfter time.Duration, both bool) (a, b *Engine, bb *fakeBrowser, hole *dtlsHole) {
	n := newTestNet(t)
	n.config = func(c *Config) { c.StuckAfter = stuckAfter }
	hole = &dtlsHole{both: both}
	a = n.startEngine("peerA", nil)
	n.startBrowser("peerA", true)
	b = n.startEngine("peerB", func(c net.PacketConn) net.PacketConn { hole.PacketConn = c; return hole })
	bb = n.startBrowser("peerB", false)
	hole.port.Store(int64(a.UDPAddr().(*net.UDPAddr).Port))
	hole.on.Store(true)
	_ = a.SetPeers(testMeeting, []string{"peerB"})
	_ = b.SetPeers(testMeeting, []string{"peerA"})
	return a, b, bb, hole
}

// TestLinkRebuiltOnOneSide is the shape of the relay link that stayed "connecting" for
// good: B closes its side of a link while the DTLS handshake is under way (A got B's
// ClientHello, B never got A's answer) after a topology change it learnt first, so A hears
// no close and keeps its PeerConnection, and B opens a new one. An ICE restart of A's old
// PeerConnection connects ICE but never redoes DTLS; A must see that B's PeerConnection is
// a new one and build a new one too. StuckAfter is a minute here, so only that can mend
// the link in time.
func TestLinkRebuiltOnOneSide(t *testing.T) {
	a, b, bb, hole := linkWithHole(t, time.Minute, false)
	eventually(t, 15*time.Second, "ICE connects, DTLS cannot", func() bool {
		la, okA := linkOf(a)
		lb, okB := linkOf(b)
		return okA && okB && la.ICEState == "connected" && lb.ICEState == "connected" && la.State != "connected"
	})
	_ = b.SetPeers(testMeeting, nil)
	_ = b.SetPeers(testMeeting, []string{"peerA"})
	hole.on.Store(false)
	eventually(t, 20*time.Second, "B receives A over the rebuilt link", func() bool { return receivesFrom(bb, "peerA") })
	if la, _ := linkOf(a); la.Status != "connected" {
		t.Fatalf("A's link %+v: want connected", la)
	}
}

// TestStuckLinkRebuilt: a link whose ICE connects but whose DTLS cannot is torn down and
// rebuilt after StuckAfter; GET …/media and the page say "reconnecting" meanwhile, and
// "connected" once it works.
func TestStuckLinkRebuilt(t *testing.T) {
	_, b, bb, hole := linkWithHole(t, 2*time.Second, true)
	eventually(t, 20*time.Second, "the stuck link is rebuilt and shown reconnecting", func() bool {
		lb, ok := linkOf(b)
		return ok && lb.Rebuilds > 0 && lb.Status == "reconnecting" && bb.linkStatus("peerA") == "reconnecting"
	})
	hole.on.Store(false)
	eventually(t, 20*time.Second, "B receives A", func() bool { return receivesFrom(bb, "peerA") })
	eventually(t, 5*time.Second, "the page is told it is connected", func() bool { return bb.linkStatus("peerA") == "connected" })
	if lb, _ := linkOf(b); lb.Status != "connected" {
		t.Fatalf("B's link %+v", lb)
	}
}

// TestOfferWhilePending: a link whose offer got no answer offers again: the forced offer
// of the restart check sends the outstanding offer once more (before, pion refused a
// second local offer over the first and nothing was ever sent again).
func TestOfferWhilePending(t *testing.T) {
	pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio); err != nil {
		t.Fatal(err)
	}
	var sent []string
	n := &negotiator{pc: pc, send: func(s Signal) error { sent = append(sent, s.SDP); return nil }}
	if err := n.offer(false, false); err != nil {
		t.Fatal(err)
	}
	if err := n.offer(true, true); err != nil {
		t.Fatalf("forced offer while one is outstanding: %v", err)
	}
	if len(sent) != 2 || sent[0] != sent[1] {
		t.Fatalf("sent %d offers; want the outstanding one twice", len(sent))
	}
}
