package media

import (
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/turn/v5"
	"github.com/pion/webrtc/v4"
)

// TestRelayOnlyThroughTURN: with RelayOnly, two nodes reach each other only through a
// TURN relay (given to the engine with SetICEServers, as the node does with the
// rendezvous server's credentials), over UDP or, where firewalls allow no UDP, TCP, and
// both browsers get each other's media.
func TestRelayOnlyThroughTURN(t *testing.T) {
	for _, transport := range []string{"udp", "tcp"} {
		t.Run(transport, func(t *testing.T) { relayOnly(t, transport) })
	}
}

func relayOnly(t *testing.T, transport string) {
	var allocations atomic.Int64
	relays := &turn.RelayAddressGeneratorStatic{RelayAddress: net.IPv4(127, 0, 0, 1), Address: "127.0.0.1"}
	cfg := turn.ServerConfig{
		Realm: "test",
		AuthHandler: func(ra *turn.RequestAttributes) (string, []byte, bool) {
			return ra.Username, turn.GenerateAuthKey(ra.Username, ra.Realm, "secret"), ra.Username == "node"
		},
		EventHandler: turn.EventHandler{OnAllocationCreated: func(net.Addr, net.Addr, string, string, string, net.Addr, int) {
			allocations.Add(1)
		}},
	}
	var addr string
	if transport == "tcp" {
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr = ln.Addr().String()
		cfg.ListenerConfigs = []turn.ListenerConfig{{Listener: ln, RelayAddressGenerator: relays}}
	} else {
		conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr = conn.LocalAddr().String()
		cfg.PacketConnConfigs = []turn.PacketConnConfig{{PacketConn: conn, RelayAddressGenerator: relays}}
	}
	srv, err := turn.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })

	n := newTestNet(t)
	n.config = func(c *Config) { c.RelayOnly = true }
	ids := []string{"peerA", "peerB"}
	url := "turn:" + addr + "?transport=" + transport
	browsers := map[string]*fakeBrowser{}
	for _, id := range ids {
		e := n.startEngine(id, nil)
		e.SetICEServers([]webrtc.ICEServer{{URLs: []string{url}, Username: "node", Credential: "secret"}})
		browsers[id] = n.startBrowser(id, true)
	}
	for _, id := range ids {
		if err := n.engines[id].SetPeers(testMeeting, ids); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 20*time.Second, "A receives B through the relay", func() bool { return receivesFrom(browsers["peerA"], "peerB") })
	eventually(t, 20*time.Second, "B receives A through the relay", func() bool { return receivesFrom(browsers["peerB"], "peerA") })
	if allocations.Load() == 0 {
		t.Fatal("media flowed without a TURN allocation")
	}
}
