package media

import (
	"testing"
	"time"
)

// TestSiteRelays (issue 10): two sites of three nodes, a relay in each. Each node sends
// to its site's relay only; the two relays share one PeerConnection on which both add the
// tracks of their site (both offer: perfect negotiation), so each stream crosses between
// the sites once; every browser sees and hears the five others. When a site's relay
// leaves, the site's next relay links to the other and media flows again.
func TestSiteRelays(t *testing.T) {
	siteA := []string{"peerA1", "peerA2", "peerA3"}
	siteB := []string{"peerB1", "peerB2", "peerB3"}
	ids := append(append([]string{}, siteA...), siteB...)
	via := func(relayA, relayB string, ids ...string) map[string]string {
		v := map[string]string{}
		for _, id := range ids {
			v[id] = relayB
			if id[4] == 'A' {
				v[id] = relayA
			}
		}
		return v
	}
	engines, browsers := publishingNet(t, ids)
	// peerA2 < peerB3: A2 offers first on the relays' link, B3 asks for turns.
	for _, id := range ids {
		if err := engines[id].SetSites(testMeeting, ids, via("peerA2", "peerB3", ids...)); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	allSee := func(ids []string) {
		t.Helper()
		for _, id := range ids {
			for _, other := range ids {
				if other != id {
					deadline := time.Now().Add(45 * time.Second)
					for !receivesFrom(browsers[id], other) {
						if time.Now().After(deadline) {
							dumpSites(t, engines)
							t.Fatalf("%s browser not receiving %s: %+v", id, other, browsers[id].count(other, "video"))
						}
						time.Sleep(20 * time.Millisecond)
					}
				}
			}
		}
	}
	allSee(ids)
	t.Logf("six browsers in two sites see and hear each other after %v", time.Since(start))
	for _, id := range ids {
		st := engines[id].Stats(testMeeting).(*MeetingStats)
		links, sent, recv := 1, 2, 10 // a node: to its relay, its mic and camera out, 5×2 in
		toRelay := 0
		switch id {
		case "peerA2", "peerB3":
			// its two nodes and the other relay; to each node the 5 others' tracks,
			// to the other relay its own and its two nodes' (6)
			links, sent, toRelay = 3, 2*10+6, 6
		}
		other := map[string]string{"peerA2": "peerB3", "peerB3": "peerA2"}[id]
		got := 0
		for _, s := range st.TracksSent {
			if s.PeerID == other {
				got++
			}
		}
		if st.Mode != "relay" || len(st.Links) != links || len(st.TracksSent) != sent || len(st.TracksReceived) != recv || got != toRelay {
			t.Fatalf("%s stats: mode %s relay %s, %d links, %d sent (%d to the other relay), %d received",
				id, st.Mode, st.Relay, len(st.Links), len(st.TracksSent), got, len(st.TracksReceived))
		}
	}

	t.Run("a site's relay goes", func(t *testing.T) {
		if err := engines["peerB3"].Leave(testMeeting); err != nil {
			t.Fatal(err)
		}
		rest := []string{"peerA1", "peerA2", "peerA3", "peerB1", "peerB2"}
		before := map[string]int{}
		for _, id := range rest {
			for _, other := range rest {
				before[id+other] = browsers[id].count(other, "video").packets
			}
		}
		for _, id := range rest {
			if err := engines[id].SetSites(testMeeting, rest, via("peerA2", "peerB1", rest...)); err != nil {
				t.Fatal(err)
			}
		}
		began := time.Now()
		for _, id := range rest {
			for _, other := range rest {
				if other != id {
					eventually(t, 45*time.Second, id+" receives "+other+" again", func() bool {
						return browsers[id].count(other, "video").packets > before[id+other]+30
					})
				}
			}
		}
		t.Logf("media flows through B's new relay %v after the switch", time.Since(began))
	})
}

// TestSynthetic: a node with Config.Synthetic publishes a camera and a microphone that
// another node's browser receives, keyframes and all, without a browser of its own.
func TestSynthetic(t *testing.T) {
	n := newTestNet(t)
	n.config = func(c *Config) { c.Synthetic = true }
	a, b := n.startEngine("peerA", nil), n.startEngine("peerB", nil)
	n.config = nil
	browser := n.startBrowser("peerB", false)
	for _, e := range []*Engine{a, b} {
		if err := e.SetPeers(testMeeting, []string{"peerA", "peerB"}); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 30*time.Second, "peerB's browser receives peerA's synthetic media", func() bool { return receivesFrom(browser, "peerA") })
}

func dumpSites(t *testing.T, engines map[string]*Engine) {
	for _, id := range []string{"peerA1", "peerA2", "peerB3"} {
		st := engines[id].Stats(testMeeting).(*MeetingStats)
		t.Logf("%s links %+v", id, st.Links)
		for _, s := range st.TracksSent {
			t.Logf("%s sent to %s %s %d", id, s.PeerID, s.Source, s.Packets)
		}
		for _, s := range st.TracksReceived {
			t.Logf("%s recv from %s %s %d", id, s.PeerID, s.Source, s.Packets)
		}
	}
	for _, pair := range [][2]string{{"peerA2", "peerB3"}, {"peerB3", "peerA2"}, {"peerA2", "peerA1"}} {
		l, _ := engines[pair[0]].meetings[testMeeting].link(pair[1], false)
		if l == nil {
			t.Logf("%s->%s no link", pair[0], pair[1])
			continue
		}
		l.lp.do(func() {
			n := l.neg
			t.Logf("%s->%s sig %s pending %v again %v asked %v granted %v", pair[0], pair[1], l.pc.SignalingState(), n.pending, n.again, n.asked, n.granted)
		})
		time.Sleep(100 * time.Millisecond)
		for _, tr := range l.pc.GetTransceivers() {
			t.Logf("  mid %q dir %s kind %v", tr.Mid(), tr.Direction(), tr.Kind())
		}
	}
}
