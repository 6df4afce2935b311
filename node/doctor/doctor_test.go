package doctor

import (
	"context"
	"crypto/rand"
	"net"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"

	"meshmeet/mesh/datadir"
	"meshmeet/node"
	"meshmeet/rendezvous"
)

// startRendezvous runs a real rendezvous server on loopback until stop (or
// the test's end); mutate sets its TURN relay.
func startRendezvous(t *testing.T, mutate func(*rendezvous.Config)) (addr string, stop func()) {
	t.Helper()
	key, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cfg := rendezvous.DefaultConfig()
	cfg.PrivKey, cfg.ListenAddrs = key, []string{"/ip4/127.0.0.1/tcp/0"}
	if mutate != nil {
		mutate(&cfg)
	}
	s, err := rendezvous.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = s.Run(ctx); close(done) }()
	select {
	case <-s.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("rendezvous not ready")
	}
	stop = func() { cancel(); <-done }
	t.Cleanup(stop)
	return s.Addrs()[0].String(), stop
}

func withTURN(ip string) func(*rendezvous.Config) {
	return func(c *rendezvous.Config) {
		c.TURN = rendezvous.DefaultTURNConfig(net.ParseIP(ip))
		c.TURN.Listen, c.TURN.TLSListen = "127.0.0.1:0", "127.0.0.1:0"
	}
}

// startNode runs a real node on loopback with Badger in a temp dir.
func startNode(t *testing.T, peers ...string) (*node.Node, string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o700); err != nil { // as the node makes a dir it creates
		t.Fatal(err)
	}
	cfg := node.DefaultConfig()
	cfg.DataDir, cfg.UIAddr, cfg.Name = datadir.Dir(dir), "127.0.0.1:0", "doc"
	cfg.Mesh.ListenAddrs, cfg.Mesh.MDNS, cfg.Mesh.Peers = []string{"/ip4/127.0.0.1/tcp/0"}, false, peers
	cfg.Mesh.DiscoveryInterval = 300 * time.Millisecond
	n, err := node.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = n.Run(context.Background()) }()
	select {
	case <-n.Ready():
	case <-time.After(20 * time.Second):
		t.Fatal("node not ready")
	}
	t.Cleanup(func() { n.Close() })
	return n, dir
}

func hostOf(t *testing.T, n *node.Node) string {
	u, err := url.Parse(n.UIURL())
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

func noBrowser(string) (string, error) { return "", os.ErrNotExist }

func expect(t *testing.T, checks []Check, name string, want Status, words string) Check {
	t.Helper()
	c, ok := Find(checks, name)
	if !ok || c.Status != want || !strings.Contains(c.Detail, words) {
		t.Errorf("%s = %+v, want %s with %q", name, c, want, words)
	}
	return c
}

// TestDoctorHealthy: against a running node connected to another, and a
// rendezvous with TURN, nothing fails; latencies and clocks are measured.
func TestDoctorHealthy(t *testing.T) {
	rv, _ := startRendezvous(t, withTURN("127.0.0.1"))
	b, _ := startNode(t)
	info, _ := b.Mesh().Info()
	a, dir := startNode(t, info.Addresses[0])
	cfg := Config{DataDir: datadir.Dir(dir), UIAddr: hostOf(t, a), Rendezvous: []string{rv}, Timeout: 3 * time.Second, LookPath: noBrowser}
	deadline := time.Now().Add(10 * time.Second)
	for len(b.Mesh().Host().Network().Peers()) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	checks := Run(context.Background(), cfg)
	if Failed(checks) {
		t.Errorf("a check failed: %+v", checks)
	}
	expect(t, checks, "data-dir", StatusOK, "private to this user")
	expect(t, checks, "ui-port", StatusOK, "A meshmeet node")
	expect(t, checks, "media-port", StatusOK, "UDP "+a.MediaAddr())
	if c := expect(t, checks, "rendezvous", StatusOK, "answers"); c.LatencyMs <= 0 {
		t.Errorf("no rendezvous latency: %+v", c)
	}
	expect(t, checks, "turn-udp", StatusOK, "allocated")
	expect(t, checks, "turn-tcp", StatusOK, "allocated")
	expect(t, checks, "turn-tls", StatusOK, "allocated")
	expect(t, checks, "mdns", StatusSkip, "off")
	expect(t, checks, "clock", StatusOK, "Compared with 1 nodes")
	expect(t, checks, "browser", StatusWarn, "No Chromium")
}

// TestDoctorFaults injects one fault at a time; each is named, and a
// failure makes the whole run fail.
func TestDoctorFaults(t *testing.T) {
	base := func(t *testing.T) Config {
		return Config{DataDir: datadir.Dir(t.TempDir()), UIAddr: freeTCP(t), Timeout: time.Second, LookPath: noBrowser}
	}
	t.Run("ui port taken", func(t *testing.T) {
		cfg := base(t)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		cfg.UIAddr = ln.Addr().String()
		checks := Run(context.Background(), cfg)
		expect(t, checks, "ui-port", StatusFail, "taken by another program")
		if !Failed(checks) {
			t.Error("Failed is false")
		}
	})
	t.Run("media port taken", func(t *testing.T) {
		cfg := base(t)
		pc, err := net.ListenPacket("udp", ":0")
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		cfg.MediaPort = pc.LocalAddr().(*net.UDPAddr).Port
		expect(t, Run(context.Background(), cfg), "media-port", StatusFail, "taken by another program")
	})
	t.Run("rendezvous down", func(t *testing.T) {
		cfg := base(t)
		rv, stop := startRendezvous(t, withTURN("127.0.0.1"))
		stop()
		cfg.Rendezvous = []string{rv}
		checks := Run(context.Background(), cfg)
		expect(t, checks, "rendezvous", StatusFail, "cannot be reached")
		expect(t, checks, "turn-udp", StatusSkip, "No rendezvous server could be reached")
	})
	t.Run("TURN down", func(t *testing.T) {
		cfg := base(t)
		// The relay announces an address where nothing listens, as behind a
		// firewall that drops its port.
		rv, _ := startRendezvous(t, withTURN("127.0.0.3"))
		cfg.Rendezvous = []string{rv}
		checks := Run(context.Background(), cfg)
		expect(t, checks, "rendezvous", StatusOK, "answers")
		expect(t, checks, "turn-udp", StatusFail, "No relay could be allocated")
		expect(t, checks, "turn-tcp", StatusFail, "No relay could be allocated")
	})
	t.Run("no TURN", func(t *testing.T) {
		cfg := base(t)
		rv, _ := startRendezvous(t, nil)
		cfg.Rendezvous = []string{rv}
		checks := Run(context.Background(), cfg)
		expect(t, checks, "turn-tcp", StatusWarn, "offers no TURN relay")
		if Failed(checks) {
			t.Errorf("a warning failed the run: %+v", checks)
		}
	})
	t.Run("bad permissions", func(t *testing.T) {
		cfg := base(t)
		if err := os.Chmod(cfg.DataDir.Path(), 0o777); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{cfg.DataDir.TokenFile(), cfg.DataDir.KeyFile()} {
			if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		checks := Run(context.Background(), cfg)
		expect(t, checks, "data-dir", StatusFail, "can be written by other users")
		expect(t, checks, "api-token", StatusFail, "can be read by other users")
		if c := expect(t, checks, "identity-key", StatusFail, "can be read by other users"); !strings.Contains(c.Hint, "chmod 600") {
			t.Errorf("no chmod hint: %+v", c)
		}
	})
}

func freeTCP(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
