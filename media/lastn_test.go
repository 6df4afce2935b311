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
