package media

import (
	"encoding/json"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

func receivesFrom(b *fakeBrowser, peer string) bool {
	v, a := b.count(peer, "video"), b.count(peer, "audio")
	return v.keyframes > 0 && v.packets > 30 && a.packets > 20
}

func TestMeshThreeNodes(t *testing.T) {
	n := newTestNet(t)
	ids := []string{"peerA", "peerB", "peerC"}
	engines := map[string]*Engine{}
	for _, id := range ids {
		engines[id] = n.startEngine(id, nil)
	}
	browsers := map[string]*fakeBrowser{}
	for _, id := range ids {
		browsers[id] = n.startBrowser(id, true)
	}
	for _, id := range ids {
		if err := engines[id].SetPeers(testMeeting, ids); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	for _, id := range ids {
		for _, other := range ids {
			if other == id {
				continue
			}
			eventually(t, 20*time.Second, id+" browser receiving "+other, func() bool { return receivesFrom(browsers[id], other) })
		}
	}
	t.Logf("all three browsers see and hear both others after %v", time.Since(start))

	t.Run("stats", func(t *testing.T) {
		st, ok := engines["peerA"].Stats(testMeeting).(*MeetingStats)
		if !ok {
			t.Fatalf("Stats: %T", engines["peerA"].Stats(testMeeting))
		}
		if st.Mode != "mesh" || len(st.Links) != 2 || len(st.TracksSent) != 4 || len(st.TracksReceived) != 4 {
			t.Fatalf("stats: %+v", st)
		}
		for _, l := range st.Links {
			if l.State != "connected" {
				t.Errorf("link %s state %s", l.PeerID, l.State)
			}
		}
		if _, err := json.Marshal(st); err != nil {
			t.Fatal(err)
		}
		if engines["peerA"].Stats("nope") != nil {
			t.Fatal("stats of unknown meeting")
		}
	})

	t.Run("leave", func(t *testing.T) {
		if err := engines["peerC"].Leave(testMeeting); err != nil {
			t.Fatal(err)
		}
		rest := []string{"peerA", "peerB"}
		for _, id := range rest {
			if err := engines[id].SetPeers(testMeeting, rest); err != nil {
				t.Fatal(err)
			}
		}
		for _, id := range rest {
			eventually(t, 10*time.Second, "peerC tracks removed from "+id+" browser", func() bool {
				for _, info := range browsers[id].meta() {
					if info.PeerID == "peerC" {
						return false
					}
				}
				return true
			})
			// The remaining peer's tracks are still announced and flowing.
			other := rest[0]
			if other == id {
				other = rest[1]
			}
			before := browsers[id].count(other, "video").packets
			eventually(t, 5*time.Second, "media still flowing", func() bool { return browsers[id].count(other, "video").packets > before+10 })
		}
	})
}

func TestPLIOnSubscribe(t *testing.T) {
	n := newTestNet(t)
	a := n.startEngine("peerA", nil)
	ba := n.startBrowser("peerA", true)
	// Let A's browser publish for a while so its first keyframe is long gone.
	eventually(t, 10*time.Second, "A publishing", func() bool {
		st := a.Stats(testMeeting).(*MeetingStats)
		return st.Browser == "connected"
	})
	time.Sleep(500 * time.Millisecond) // only to age the stream past its first keyframe
	plis := ba.plis.Load()

	d := n.startEngine("peerD", nil)
	bd := n.startBrowser("peerD", false)
	_ = a.SetPeers(testMeeting, []string{"peerD"})
	_ = d.SetPeers(testMeeting, []string{"peerA"})
	eventually(t, 15*time.Second, "late subscriber receives a keyframe", func() bool { return bd.count("peerA", "video").keyframes > 0 })
	bd.mu.Lock()
	delay := bd.recv["peerA/video"].firstKey.Sub(bd.connected)
	bd.mu.Unlock()
	t.Logf("first keyframe %v after the late browser connected", delay)
	if ba.plis.Load() <= plis {
		t.Fatal("no PLI reached the publisher after a subscriber joined")
	}
	if delay > time.Second {
		t.Errorf("keyframe took %v, want ≤ 1s", delay)
	}
}

// blackhole drops all traffic to and from one UDP port while on.
type blackhole struct {
	net.PacketConn
	port atomic.Int64
	on   atomic.Bool
}

func (h *blackhole) blocked(a net.Addr) bool {
	u, ok := a.(*net.UDPAddr)
	return ok && h.on.Load() && int64(u.Port) == h.port.Load()
}

func (h *blackhole) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		n, a, err := h.PacketConn.ReadFrom(p)
		if err != nil || !h.blocked(a) {
			return n, a, err
		}
	}
}

func (h *blackhole) WriteTo(p []byte, a net.Addr) (int, error) {
	if h.blocked(a) {
		return len(p), nil
	}
	return h.PacketConn.WriteTo(p, a)
}

func TestDroppedLinkRecovers(t *testing.T) {
	n := newTestNet(t)
	hole := &blackhole{}
	a := n.startEngine("peerA", func(c net.PacketConn) net.PacketConn { hole.PacketConn = c; return hole })
	n.startBrowser("peerA", true)
	b := n.startEngine("peerB", nil)
	bb := n.startBrowser("peerB", false)
	hole.port.Store(int64(b.UDPAddr().(*net.UDPAddr).Port))
	_ = a.SetPeers(testMeeting, []string{"peerB"})
	_ = b.SetPeers(testMeeting, []string{"peerA"})
	eventually(t, 15*time.Second, "B receives A", func() bool { return receivesFrom(bb, "peerA") })

	linkState := func() LinkStats { return a.Stats(testMeeting).(*MeetingStats).Links[0] }
	hole.on.Store(true)
	eventually(t, 10*time.Second, "link fails", func() bool { return linkState().State == "failed" })
	hole.on.Store(false)
	before := bb.count("peerA", "video").packets
	start := time.Now()
	eventually(t, 15*time.Second, "media resumes", func() bool { return bb.count("peerA", "video").packets > before+30 })
	t.Logf("media resumed %v after the network came back; link %+v", time.Since(start), linkState())
	if linkState().ICERestarts == 0 {
		t.Fatal("recovered without an ICE restart")
	}
}

// TestCodecs: a browser that publishes VP9 or H.264 reaches another node's browser in that
// codec: the node↔node link carries what the browser sends, and keyframe detection works
// for the codec (the receiving browser's first video packet starts a keyframe).
func TestCodecs(t *testing.T) {
	for _, mime := range []string{webrtc.MimeTypeVP9, webrtc.MimeTypeH264} {
		t.Run(strings.TrimPrefix(mime, "video/"), func(t *testing.T) {
			n := newTestNet(t)
			a := n.startEngine("peerA", nil)
			n.startBrowserCodec("peerA", true, mime)
			b := n.startEngine("peerB", nil)
			bb := n.startBrowser("peerB", false)
			_ = a.SetPeers(testMeeting, []string{"peerB"})
			_ = b.SetPeers(testMeeting, []string{"peerA"})
			eventually(t, 15*time.Second, "B receives A's video", func() bool {
				v := bb.count("peerA", "video")
				return v.keyframes > 0 && v.packets > 20 && bb.count("peerA", "audio").packets > 20
			})
			v := bb.count("peerA", "video")
			if !strings.EqualFold(v.codec, mime) {
				t.Fatalf("browser B receives %s, want %s", v.codec, mime)
			}
			if want := synthFrame(mime, true)[0][0]; v.first != want {
				t.Fatalf("first packet starts %#x, want a keyframe's %#x", v.first, want)
			}
			for _, tr := range b.Stats(testMeeting).(*MeetingStats).TracksReceived {
				if tr.Kind == "video" && !strings.EqualFold(tr.Codec, mime) {
					t.Fatalf("link A→B carries %s, want %s", tr.Codec, mime)
				}
			}
		})
	}
}
