package media

import (
	"testing"
	"time"
)

// TestRelay: four nodes with a relay: each sends only to the relay, which forwards every
// node's tracks to all others, so every browser sees and hears the three others over one
// link. When the relay leaves, the others take a new one and media flows again.
func TestRelay(t *testing.T) {
	ids := []string{"peerA", "peerB", "peerC", "peerD"}
	relay := "peerC" // not the smallest ID: the relay offers on every link, unlike a mesh
	engines, browsers := relayedNet(t, ids, relay)
	start := time.Now()
	for _, id := range ids {
		for _, other := range ids {
			if other != id {
				eventually(t, 30*time.Second, id+" browser receiving "+other, func() bool { return receivesFrom(browsers[id], other) })
			}
		}
	}
	t.Logf("four browsers see and hear each other through the relay after %v", time.Since(start))
	for _, id := range ids {
		st := engines[id].Stats(testMeeting).(*MeetingStats)
		links, sent, recv := 1, 2, 6 // one link to the relay: own mic and camera out, 3×2 in
		if id == relay {
			links, sent, recv = 3, 3*6, 6 // to each node: own 2 and the other two nodes' 2 each
		}
		if st.Mode != "relay" || st.Relay != relay || len(st.Links) != links || len(st.TracksSent) != sent || len(st.TracksReceived) != recv {
			t.Fatalf("%s stats: mode %s relay %s, %d links, %d sent, %d received", id, st.Mode, st.Relay, len(st.Links), len(st.TracksSent), len(st.TracksReceived))
		}
	}

	t.Run("failover", func(t *testing.T) {
		if err := engines[relay].Leave(testMeeting); err != nil {
			t.Fatal(err)
		}
		rest := []string{"peerA", "peerB", "peerD"}
		before := map[string]int{}
		for _, id := range rest {
			for _, other := range rest {
				before[id+other] = browsers[id].count(other, "video").packets
			}
		}
		began := time.Now()
		for _, id := range rest {
			if err := engines[id].SetTopology(testMeeting, rest, "peerD"); err != nil {
				t.Fatal(err)
			}
		}
		for _, id := range rest {
			for _, other := range rest {
				if other == id {
					continue
				}
				eventually(t, 30*time.Second, id+" receives "+other+" through the new relay", func() bool {
					return browsers[id].count(other, "video").packets > before[id+other]+30 && browsers[id].count(other, "audio").packets > 0
				})
			}
			eventually(t, 10*time.Second, "the old relay's tracks leave "+id+"'s browser", func() bool {
				for _, info := range browsers[id].meta() {
					if info.PeerID == relay {
						return false
					}
				}
				return true
			})
		}
		t.Logf("media flows through the new relay %v after the switch", time.Since(began))
	})
}

// relayedNet starts an engine and a publishing browser per id, all relayed by relay.
func relayedNet(t *testing.T, ids []string, relay string) (map[string]*Engine, map[string]*fakeBrowser) {
	engines, browsers := publishingNet(t, ids)
	for _, id := range ids {
		if err := engines[id].SetTopology(testMeeting, ids, relay); err != nil {
			t.Fatal(err)
		}
	}
	return engines, browsers
}

// publishingNet starts an engine and a publishing browser per id.
func publishingNet(t *testing.T, ids []string) (map[string]*Engine, map[string]*fakeBrowser) {
	n := newTestNet(t)
	engines := map[string]*Engine{}
	browsers := map[string]*fakeBrowser{}
	for _, id := range ids {
		engines[id] = n.startEngine(id, nil)
	}
	for _, id := range ids {
		browsers[id] = n.startBrowser(id, true)
	}
	return engines, browsers
}
