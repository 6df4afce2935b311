package node

import (
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"meshmeet/media"
)

// mediaCut drops every media packet from one UDP port while on (each node's media
// socket gets one; a link is cut from both sides).
type mediaCut struct {
	net.PacketConn
	port *atomic.Int64
	on   *atomic.Bool
}

func (c mediaCut) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		n, a, err := c.PacketConn.ReadFrom(p)
		if u, ok := a.(*net.UDPAddr); err != nil || !ok || !c.on.Load() || int64(u.Port) != c.port.Load() {
			return n, a, err
		}
	}
}

// TestBrowserShowsReconnecting: when the media link to a participant breaks, the other
// pages mark that participant's tile "reconnecting…" (and GET …/media says so), the
// others' tiles stay as they are, and all clears once the link is back.
func TestBrowserShowsReconnecting(t *testing.T) {
	var port atomic.Int64
	var on atomic.Bool
	cut := func(c *Config) {
		c.Media.WrapConn = func(pc net.PacketConn) net.PacketConn { return mediaCut{pc, &port, &on} }
	}
	p := startParty(t, cut)
	p.seeAndHear(t)
	alice, bob := p.nodes[0], p.nodes[1]
	B := p.browsers[1]
	pa, pc := p.peers[0], p.peers[2]
	port.Store(int64(alice.media.UDPAddr().(*net.UDPAddr).Port))
	on.Store(true)

	shows := func(peer string, want bool) error {
		ts, err := B.tiles()
		if err != nil {
			return err
		}
		if tl := findTile(ts, peer, "camera"); tl == nil || tl.Reconnecting != want {
			return fmt.Errorf("bob's tile of %s: %+v, want reconnecting=%v", shortPeer(peer), tl, want)
		}
		return nil
	}
	linkStatus := func(n *testNode, peer string) string {
		var st media.MeetingStats
		n.do(t, http.MethodGet, "/api/meetings/"+p.id+"/media", nil, &st)
		for _, l := range st.Links {
			if l.PeerID == peer {
				return l.Status
			}
		}
		return ""
	}
	eventually(t, 30*time.Second, "bob's page shows alice reconnecting", func() error {
		if s := linkStatus(bob, pa); s != "reconnecting" {
			return fmt.Errorf("bob's link to alice: %s", s)
		}
		return shows(pa, true)
	})
	if err := shows(pc, false); err != nil {
		t.Fatal(err)
	}
	on.Store(false)
	eventually(t, 30*time.Second, "bob's page shows alice back", func() error {
		if s := linkStatus(bob, pa); s != "connected" {
			return fmt.Errorf("bob's link to alice: %s", s)
		}
		return shows(pa, false)
	})
	growing(t, B, []string{pa}, "video frames", frames)
}
