package node

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"meshmeet/webui/api"
)

// threeInMeeting starts alice's, bob's and carol's nodes, all three in one
// meeting and seen live by each other.
func threeInMeeting(t *testing.T, title string) ([]*testNode, string) {
	t.Helper()
	a := startNode(t, "alice", "")
	b := startNode(t, "bob", "", withPeers(a))
	c := startNode(t, "carol", "", withPeers(a, b))
	nodes := []*testNode{a, b, c}
	m := a.create(t, map[string]any{"title": title})
	for _, n := range nodes {
		n.join(t, m.JoinURL)
	}
	eventually(t, 10*time.Second, "everyone sees all three", func() error {
		for _, n := range nodes {
			if ps, err := n.participants(t, m.Meeting.ID); err != nil || len(ps) != 3 {
				return fmt.Errorf("%s: %d participants %v", n.cfg.Name, len(ps), err)
			}
		}
		return nil
	})
	return nodes, m.Meeting.ID
}

// handOrder is who has a hand up, by the time it went up, as a page orders them.
func handOrder(ps []api.Participant) (string, map[string]int64) {
	up := []api.Participant{}
	stamps := map[string]int64{}
	for _, p := range ps {
		if p.Media != nil && p.Media.HandRaised {
			up = append(up, p)
			stamps[p.Name] = p.Media.HandRaisedAt
		}
	}
	slices.SortStableFunc(up, func(a, b api.Participant) int {
		if c := a.Media.HandRaisedAt - b.Media.HandRaisedAt; c != 0 {
			return int(c)
		}
		return strings.Compare(a.PeerID, b.PeerID)
	})
	names := make([]string, 0, len(up))
	for _, p := range up {
		names = append(names, p.Name)
	}
	return strings.Join(names, ","), stamps
}

// TestRaisedHandsOrder: three people on three nodes raise their hands one
// after another; every node orders them alike, by the raiser's own stamp,
// which every node holds the same. Lowering clears it, and raising again
// goes to the end of the queue.
func TestRaisedHandsOrder(t *testing.T) {
	nodes, id := threeInMeeting(t, "Hands")
	a, b, c := nodes[0], nodes[1], nodes[2]
	hand := func(n *testNode, up bool) {
		n.do(t, http.MethodPost, api.Path(api.RouteState, id), map[string]any{"audio": true, "handRaised": up}, nil)
	}
	// sameEverywhere waits until every node shows want, with one set of stamps.
	sameEverywhere := func(want string) map[string]int64 {
		var first map[string]int64
		eventually(t, 10*time.Second, "hands "+want+" on every node", func() error {
			first = nil
			for _, n := range nodes {
				ps, err := n.participants(t, id)
				if err != nil {
					return err
				}
				got, stamps := handOrder(ps)
				if got != want {
					return fmt.Errorf("%s orders hands %q", n.cfg.Name, got)
				}
				if first == nil {
					first = stamps
				} else if fmt.Sprint(first) != fmt.Sprint(stamps) {
					return fmt.Errorf("%s holds stamps %v, another node %v", n.cfg.Name, stamps, first)
				}
			}
			return nil
		})
		return first
	}
	hand(c, true)
	sameEverywhere("carol")
	hand(a, true)
	sameEverywhere("carol,alice")
	hand(b, true)
	stamps := sameEverywhere("carol,alice,bob")
	for name, at := range stamps {
		if at <= 0 {
			t.Errorf("%s's hand has no time: %d", name, at)
		}
	}
	// A state change that keeps the hand up keeps its place.
	c.do(t, http.MethodPost, api.Path(api.RouteState, id), map[string]any{"audio": false, "handRaised": true}, nil)
	if again := sameEverywhere("carol,alice,bob"); again["carol"] != stamps["carol"] {
		t.Errorf("carol's stamp moved from %d to %d on a mute", stamps["carol"], again["carol"])
	}
	hand(c, false)
	sameEverywhere("alice,bob")
	for _, n := range nodes {
		ps, _ := n.participants(t, id)
		for _, p := range ps {
			if p.Name == "carol" && (p.Media == nil || p.Media.HandRaisedAt != 0) {
				t.Errorf("%s: carol's lowered hand keeps %+v", n.cfg.Name, p.Media)
			}
		}
	}
	hand(c, true)
	sameEverywhere("alice,bob,carol")
}
