package mesh

import (
	"context"
	"encoding/json"
	"fmt"
	"meshmeet/mesh/datadir"
	"meshmeet/mesh/eventlog"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// libp2p and its dependencies keep a few process-wide workers.
		goleak.IgnoreAnyFunction("github.com/ipfs/go-log/v2/writer.(*MirrorWriter).logRoutine"),
		goleak.IgnoreTopFunction("github.com/libp2p/go-libp2p/p2p/transport/quicreuse.(*reuse).gc"),
		goleak.IgnoreAnyFunction("github.com/quic-go/quic-go.(*Transport).listen"),
		goleak.IgnoreAnyFunction("go.opencensus.io/stats/view.(*worker).start"),
		goleak.IgnoreAnyFunction("github.com/libp2p/go-libp2p/p2p/net/swarm.(*Swarm).dialWorkerLoop"),
		goleak.IgnoreTopFunction("github.com/dgraph-io/ristretto/v2.(*defaultPolicy[...]).processItems"),
		goleak.IgnoreTopFunction("github.com/dgraph-io/ristretto/v2.(*Cache[...]).processItems"),
		goleak.IgnoreAnyFunction("github.com/libp2p/go-libp2p/p2p/host/autorelay.(*autoRelay).background"),
	)
}

func testConfig(t testing.TB, name string, peers ...*Mesh) Config {
	key, err := datadir.Dir(t.TempDir()).Key()
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.DataDir, cfg.PrivKey, cfg.Name = datadir.Dir(t.TempDir()), key, name
	cfg.ListenAddrs = []string{"/ip4/127.0.0.1/tcp/0"}
	cfg.MDNS = false
	cfg.DiscoveryInterval, cfg.SyncInterval = 300*time.Millisecond, time.Second
	cfg.HeartbeatInterval, cfg.PresenceTimeout = 300*time.Millisecond, 2*time.Second
	for _, p := range peers {
		cfg.Peers = append(cfg.Peers, p.addr())
	}
	return cfg
}

// startMesh runs a mesh; opts adjust it before it starts.
func startMesh(t testing.TB, cfg Config, opts ...func(*Mesh)) *Mesh {
	t.Helper()
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range opts {
		o(m)
	}
	errc := make(chan error, 1)
	go func() { errc <- m.Run(context.Background()) }()
	select {
	case <-m.Ready():
	case err := <-errc:
		t.Fatalf("mesh stopped: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("mesh not ready")
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func (m *Mesh) addr() string {
	return m.host.Addrs()[0].String() + "/p2p/" + m.self.String()
}

// meetingOf creates a meeting on host and has every node join it.
func meetingOf(t testing.TB, host *Mesh, others ...*Mesh) (string, string) {
	t.Helper()
	ctx := context.Background()
	v, secret, err := host.CreateMeeting(ctx, []byte(`{"title":"test"}`))
	if err != nil {
		t.Fatal(err)
	}
	link := FormatJoinLink("http://127.0.0.1:7700", v.ID, secret)
	for _, m := range append([]*Mesh{host}, others...) {
		if _, err := m.Join(ctx, link); err != nil {
			t.Fatalf("join: %v", err)
		}
	}
	return v.ID, link
}

func eventually(t testing.TB, within time.Duration, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v: %v", what, within, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func messageCount(t testing.TB, m *Mesh, id string) int {
	ms, err := m.Messages(id, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	return len(ms)
}

func hasMessages(m *Mesh, id string, n int) func() error {
	return func() error {
		ms, err := m.Messages(id, "", 0)
		if err != nil || len(ms) != n {
			return fmt.Errorf("%d messages (%v), want %d", len(ms), err, n)
		}
		return nil
	}
}

func chatBodyOf(text string) []byte {
	b, _ := json.Marshal(eventlog.Chat{Text: text})
	return b
}
