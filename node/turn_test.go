package node

import (
	"fmt"
	"net"
	"testing"
	"time"

	"meshmeet/rendezvous"
)

// TestMediaThroughRendezvousTURN: nodes whose links to other nodes may only use relayed
// paths get TURN credentials from their rendezvous server and connect their media link
// through its relay.
//
// The "tls" case is a site whose firewall lets only HTTPS out: the nodes use the relay's
// TURN over TLS only, checking its self-signed certificate against the pin the
// rendezvous protocol gave them.
func TestMediaThroughRendezvousTURN(t *testing.T) {
	for _, tlsOnly := range []bool{false, true} {
		t.Run(map[bool]string{false: "any", true: "tls"}[tlsOnly], func(t *testing.T) { mediaThroughTURN(t, tlsOnly) })
	}
}

func mediaThroughTURN(t *testing.T, tlsOnly bool) {
	r := startRendezvous(t, func(c *rendezvous.Config) {
		c.TURN = rendezvous.DefaultTURNConfig(net.IPv4(127, 0, 0, 1))
		c.TURN.Listen, c.TURN.TLSListen = "127.0.0.1:0", "127.0.0.1:0"
		c.TURN.AllowLoopback = true
	})
	relayOnly := func(c *Config) { c.Media.RelayOnly, c.Media.TURNTLSOnly = true, tlsOnly }
	start := time.Now()
	a := startNode(t, "alice", "", withRendezvous(r[0]), relayOnly)
	b := startNode(t, "bob", "", withRendezvous(r[0]), withPeers(a), relayOnly)
	m := a.create(t, map[string]any{"title": "Across sites"})
	a.join(t, m.JoinURL)
	b.join(t, m.JoinURL)
	for _, n := range []*testNode{a, b} {
		eventually(t, 30*time.Second, "media link connects through the relay", func() error {
			var st struct {
				Links []struct {
					PeerID string `json:"peerId"`
					State  string `json:"state"`
				} `json:"links"`
			}
			n.do(t, "GET", "/api/meetings/"+m.Meeting.ID+"/media", nil, &st)
			if len(st.Links) != 1 || st.Links[0].State != "connected" {
				return fmt.Errorf("links %+v", st.Links)
			}
			return nil
		})
	}
	t.Logf("media through the relay (TLS only: %v) %v after the nodes started", tlsOnly, time.Since(start))
}
