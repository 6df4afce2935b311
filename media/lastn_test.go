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
// camera (from a keyframe) while A still does not; unpinned, D's stops again, and E's
// node stops sending it to the relay.
func TestLastNPinned(t *testing.T) {
	ids := []string{"peerA", "peerB", "peerC", "peerD", "peerE"}
	engines, browsers := relayedNet(t, ids, "peerC")
	pinThrough(t, ids, engines, browsers, []string{"peerA", "peerB"}, "peerD", "peerA", "peerE", "peerC")
}

// TestLastNPinnedSites: the same across two sites: A1's page pins B1, whose camera goes
// B1 → its relay B2 → A's relay A2 → A1; A2's own page does not get it.
func TestLastNPinnedSites(t *testing.T) {
	ids := []string{"peerA1", "peerA2", "peerB1", "peerB2"}
	engines, browsers := publishingNet(t, ids)
	via := map[string]string{"peerA1": "peerA2", "peerA2": "peerA2", "peerB1": "peerB2", "peerB2": "peerB2"}
	for _, id := range ids {
		if err := engines[id].SetSites(testMeeting, ids, via); err != nil {
			t.Fatal(err)
		}
	}
	pinThrough(t, ids, engines, browsers, []string{"peerA2", "peerB2"}, "peerA1", "peerA2", "peerB1", "peerB2")
}

// pinThrough sets last-N to video and checks that the camera of pub, which it leaves out,
// reaches pinner's page only while that page pins it, and never other's; pub's node sends
// it to its relay only meanwhile.
func pinThrough(t *testing.T, ids []string, engines map[string]*Engine, browsers map[string]*fakeBrowser,
	video []string, pinner, other, pub, relay string,
) {
	d, a := browsers[pinner], browsers[other]
	for _, id := range ids {
		if id != pinner {
			eventually(t, 45*time.Second, pinner+" receives "+id, func() bool { return receivesFrom(d, id) })
		}
	}
	eventually(t, 30*time.Second, other+" receives "+pub, func() bool { return receivesFrom(a, pub) })
	for _, id := range ids {
		if err := engines[id].SetVideo(testMeeting, video); err != nil {
			t.Fatal(err)
		}
	}
	stopped := func(b *fakeBrowser, what string) {
		eventually(t, 10*time.Second, what, func() bool {
			before := b.count(pub, "video").packets
			time.Sleep(500 * time.Millisecond)
			return b.count(pub, "video").packets == before
		})
	}
	stopped(d, "the camera stops for "+pinner)
	stopped(a, "the camera stops for "+other)
	sent := sentCamera(engines[pub], relay, pub)

	view := func(pinned bool) {
		d.send(Signal{Type: TypeView, Tiles: []ViewTile{
			{Peer: other, Source: "camera", W: 320, H: 180},
			{Peer: pub, Source: "camera", W: 1280, H: 720, Pinned: pinned},
		}})
	}
	keys, aGot := d.count(pub, "video").keyframes, a.count(pub, "video").packets
	view(true)
	start := time.Now()
	eventually(t, 8*time.Second, pinner+" gets the pinned camera, from a keyframe", func() bool {
		return d.count(pub, "video").keyframes > keys
	})
	t.Logf("a pinned camera shows in %v", time.Since(start))
	before := d.count(pub, "video").packets
	eventually(t, 10*time.Second, "the pinned camera goes on", func() bool {
		return d.count(pub, "video").packets > before+20
	})
	if sentCamera(engines[pub], relay, pub) <= sent {
		t.Fatal("the publisher sends its relay no camera, yet the pinner gets it")
	}
	if got := a.count(pub, "video").packets; got != aGot {
		t.Fatalf("%s got %d packets of the camera %s pinned", other, got-aGot, pinner)
	}

	view(false)
	stopped(d, "the camera stops for "+pinner+" once unpinned")
	eventually(t, 10*time.Second, "the publisher stops sending its camera to its relay", func() bool {
		before := sentCamera(engines[pub], relay, pub)
		time.Sleep(500 * time.Millisecond)
		return sentCamera(engines[pub], relay, pub) == before
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
