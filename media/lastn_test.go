package media

import (
	"testing"
	"time"
)

// TestLastN: with a relay, only the cameras last-N lets through reach the
// others; microphones always do; a camera let through again starts at once
// (a keyframe is asked for) and one left out stops.
func TestLastN(t *testing.T) {
	ids := []string{"peerA", "peerB", "peerC", "peerD", "peerE"}
	engines, browsers := relayedNet(t, ids, "peerC")
	d := browsers["peerD"]
	for _, other := range []string{"peerA", "peerB", "peerC", "peerE"} {
		eventually(t, 30*time.Second, "D receives "+other, func() bool { return receivesFrom(d, other) })
	}
	video := func(id string) int { return d.count(id, "video").packets }
	audio := func(id string) int { return d.count(id, "audio").packets }
	grows := func(id string, count func(string) int) func() bool {
		start := count(id)
		return func() bool { return count(id) > start+20 }
	}

	// Only A's and B's cameras: E's stops, its microphone goes on.
	for _, id := range ids {
		if err := engines[id].SetVideo(testMeeting, []string{"peerA", "peerB"}); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 10*time.Second, "E's camera stops", func() bool {
		before := video("peerE")
		time.Sleep(500 * time.Millisecond)
		return video("peerE") == before
	})
	eventually(t, 10*time.Second, "A's camera goes on", grows("peerA", video))
	eventually(t, 10*time.Second, "E's microphone goes on", grows("peerE", audio))

	// E speaks: its camera comes back at once, A's stops.
	for _, id := range ids {
		if err := engines[id].SetVideo(testMeeting, []string{"peerE", "peerB"}); err != nil {
			t.Fatal(err)
		}
	}
	keys := d.count("peerE", "video").keyframes
	start := time.Now()
	eventually(t, 5*time.Second, "E's camera again, from a keyframe", func() bool {
		return d.count("peerE", "video").keyframes > keys
	})
	t.Logf("a camera let through again shows in %v", time.Since(start))
	eventually(t, 10*time.Second, "A's camera stops", func() bool {
		before := video("peerA")
		time.Sleep(500 * time.Millisecond)
		return video("peerA") == before
	})

	// Everyone again.
	for _, id := range ids {
		if err := engines[id].SetVideo(testMeeting, nil); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 10*time.Second, "A's camera is back", grows("peerA", video))
}

// TestLastNPinned: with a relay and last-N of A and B, D's page pins E: D gets E's
// camera (from a keyframe) while A still does not; unpinned, D's stops again.
func TestLastNPinned(t *testing.T) {
	ids := []string{"peerA", "peerB", "peerC", "peerD", "peerE"}
	engines, browsers := relayedNet(t, ids, "peerC")
	a, d := browsers["peerA"], browsers["peerD"]
	for _, other := range []string{"peerA", "peerB", "peerC", "peerE"} {
		eventually(t, 30*time.Second, "D receives "+other, func() bool { return receivesFrom(d, other) })
	}
	eventually(t, 30*time.Second, "A receives E", func() bool { return receivesFrom(a, "peerE") })
	for _, id := range ids {
		if err := engines[id].SetVideo(testMeeting, []string{"peerA", "peerB"}); err != nil {
			t.Fatal(err)
		}
	}
	stopped := func(b *fakeBrowser, what string) {
		eventually(t, 10*time.Second, what, func() bool {
			before := b.count("peerE", "video").packets
			time.Sleep(500 * time.Millisecond)
			return b.count("peerE", "video").packets == before
		})
	}
	stopped(d, "E's camera stops for D")
	stopped(a, "E's camera stops for A")
	sent := sentCamera(engines["peerE"], "peerC", "peerE")

	view := func(pinned bool) {
		d.send(Signal{Type: TypeView, Tiles: []ViewTile{
			{Peer: "peerA", Source: "camera", W: 320, H: 180},
			{Peer: "peerE", Source: "camera", W: 1280, H: 720, Pinned: pinned},
		}})
	}
	keys, aGot := d.count("peerE", "video").keyframes, a.count("peerE", "video").packets
	view(true)
	start := time.Now()
	eventually(t, 5*time.Second, "D gets E's pinned camera, from a keyframe", func() bool {
		return d.count("peerE", "video").keyframes > keys
	})
	t.Logf("a pinned camera shows in %v", time.Since(start))
	before := d.count("peerE", "video").packets
	eventually(t, 10*time.Second, "E's camera goes on for D", func() bool {
		return d.count("peerE", "video").packets > before+20
	})
	if sentCamera(engines["peerE"], "peerC", "peerE") <= sent {
		t.Fatal("E's node sends the relay no camera, yet D gets it")
	}
	if got := a.count("peerE", "video").packets; got != aGot {
		t.Fatalf("A got %d packets of E's camera that D pinned", got-aGot)
	}

	view(false)
	stopped(d, "E's camera stops for D once unpinned")
	eventually(t, 10*time.Second, "E's node stops sending its camera to the relay", func() bool {
		before := sentCamera(engines["peerE"], "peerC", "peerE")
		time.Sleep(500 * time.Millisecond)
		return sentCamera(engines["peerE"], "peerC", "peerE") == before
	})
}

// sentCamera is how many packets of origin's camera engine e has sent to peer.
func sentCamera(e *Engine, peer, origin string) uint64 {
	st, _ := e.Stats(testMeeting).(*MeetingStats)
	if st == nil {
		return 0
	}
	var n uint64
	for _, ts := range st.TracksSent {
		if ts.PeerID == peer && ts.Source == "camera" && ts.Origin == origin {
			n += ts.Packets
		}
	}
	return n
}

// TestTilePins: only pinned camera tiles count, and only the first maxPins of them.
func TestTilePins(t *testing.T) {
	var tiles []ViewTile
	for _, p := range []string{"a", "b", "c", "d", "e", "f"} {
		tiles = append(tiles, ViewTile{Peer: p, Source: "camera", Pinned: true})
	}
	tiles = append(tiles, ViewTile{Peer: "s", Source: "screen", Pinned: true}, ViewTile{Peer: "u", Source: "camera"})
	pins := tilePins(tiles, maxPins)
	if len(pins) != maxPins || !pins["a"] || !pins["d"] || pins["e"] || pins["s"] || pins["u"] {
		t.Fatalf("tilePins = %v, want the first %d pinned cameras", pins, maxPins)
	}
}
