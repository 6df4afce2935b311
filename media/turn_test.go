package media

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"math/big"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/turn/v5"
	"github.com/pion/webrtc/v4"
)

// TestRelayOnlyThroughTURN: with RelayOnly, two nodes reach each other only through a
// TURN relay (given to the engine with SetICEServers, as the node does with the
// rendezvous server's credentials), over UDP or, where firewalls allow no UDP, TCP, or,
// where only HTTPS gets out, TLS with a pinned self-signed certificate, and both
// browsers get each other's media.
func TestRelayOnlyThroughTURN(t *testing.T) {
	for _, transport := range []string{"udp", "tcp", "tls"} {
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
	var addr, pin string
	switch transport {
	case "tls":
		cert, p := testCert(t)
		ln, err := tls.Listen("tcp4", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
		if err != nil {
			t.Fatal(err)
		}
		addr, pin = ln.Addr().String(), p
		cfg.ListenerConfigs = []turn.ListenerConfig{{Listener: ln, RelayAddressGenerator: relays}}
	case "tcp":
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr = ln.Addr().String()
		cfg.ListenerConfigs = []turn.ListenerConfig{{Listener: ln, RelayAddressGenerator: relays}}
	default:
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
	if transport == "tls" {
		url = "turns:" + addr + "?transport=tcp"
	}
	browsers := map[string]*fakeBrowser{}
	for _, id := range ids {
		e := n.startEngine(id, nil)
		e.SetTURNPins(map[string]string{addr: pin})
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
	// Through TURN (TCP or TLS may block a write), the forwarder's read loop never writes
	// to the link itself: its sinks go through their queues.
	for _, id := range ids {
		e := n.engines[id]
		e.mu.Lock()
		m := e.meetings[testMeeting]
		var links []*peerLink
		for _, l := range m.links {
			links = append(links, l)
		}
		e.mu.Unlock()
		for _, l := range links {
			if !l.extras.queued.Load() {
				t.Errorf("%s: the link to %s through TURN writes inline", id, l.peer)
			}
		}
	}
}

// testCert is a self-signed certificate for 127.0.0.1 and its pin.
func testCert(t *testing.T) (tls.Certificate, string) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, hex.EncodeToString(sum[:])
}

// TestTURNPin: the TLS dialer for TURN refuses a relay whose certificate is
// not the pinned one, and takes the one that is.
func TestTURNPin(t *testing.T) {
	cert, pin := testCert(t)
	ln, err := tls.Listen("tcp4", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _ = c.(*tls.Conn).Handshake(); c.Close() }()
		}
	}()
	var d turnDialer
	d.pins.Store(&map[string]string{ln.Addr().String(): strings.Repeat("0", 64)})
	if _, err := d.Dial("tcp4", ln.Addr().String()); !errors.Is(err, errTURNPin) {
		t.Fatalf("a relay with another certificate: %v, want %v", err, errTURNPin)
	}
	d.pins.Store(&map[string]string{ln.Addr().String(): pin})
	c, err := d.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatalf("the pinned relay: %v", err)
	}
	c.Close()
}
