package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"meshmeet/mesh/datadir"
	"meshmeet/webui/api"
)

// testNode is a real node on 127.0.0.1 with Badger in a temp dir.
type testNode struct {
	*Node
	c   *Client
	dir string
}

type nodeOpt func(*Config)

func fastMesh(c *Config) {
	c.Mesh.ListenAddrs = []string{"/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1"}
	c.Mesh.MDNS = false
	c.Mesh.DiscoveryInterval = 500 * time.Millisecond
	c.Mesh.SyncInterval = time.Second
	c.Mesh.HeartbeatInterval = 500 * time.Millisecond
	c.Mesh.PresenceTimeout = 3 * time.Second
	c.Mesh.JoinTimeout = 15 * time.Second
}

func startNode(t testing.TB, name string, dir string, opts ...nodeOpt) *testNode {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	cfg := DefaultConfig()
	cfg.DataDir, cfg.UIAddr, cfg.Name = datadir.Dir(dir), "127.0.0.1:0", name
	fastMesh(&cfg)
	for _, o := range opts {
		o(&cfg)
	}
	cfg.Logger = testLogger(t, name)
	n, err := New(cfg)
	if err != nil {
		t.Fatalf("new node: %v", err)
	}
	errc := make(chan error, 1)
	go func() { errc <- n.Run(context.Background()) }()
	select {
	case <-n.Ready():
	case err := <-errc:
		t.Fatalf("node %s stopped: %v", name, err)
	case <-time.After(20 * time.Second):
		t.Fatalf("node %s not ready", name)
	}
	t.Cleanup(func() { n.Close() })
	c, err := NewClient(n.UIURL(), datadir.Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	return &testNode{Node: n, c: c, dir: dir}
}

// testLogger writes a node's debug log (pion's too) to $MESHMEET_TEST_LOG/<test>-<name>.log
// when that variable names a directory, for reading a failing run; else nil (the default).
func testLogger(t testing.TB, name string) *slog.Logger {
	dir := os.Getenv("MESHMEET_TEST_LOG")
	if dir == "" {
		return nil
	}
	f, err := os.Create(filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+"-"+name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// addr is the node's first libp2p address, for --peer.
func (n *testNode) addr() string {
	return n.Mesh().Host().Addrs()[0].String() + "/p2p/" + n.Mesh().Self().String()
}

func withPeers(ns ...*testNode) nodeOpt {
	return func(c *Config) {
		for _, p := range ns {
			c.Mesh.Peers = append(c.Mesh.Peers, p.addr())
		}
	}
}

func (n *testNode) do(t testing.TB, method, path string, body, out any) {
	t.Helper()
	if err := n.c.Do(context.Background(), method, path, body, out); err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
}

// doErr expects an API error with the given status.
func (n *testNode) doErr(t testing.TB, status int, method, path string, body any) *api.Error {
	t.Helper()
	err := n.c.Do(context.Background(), method, path, body, nil)
	var ae *api.Error
	if !errors.As(err, &ae) || ae.Status != status {
		t.Fatalf("%s %s: want HTTP %d, got %v", method, path, status, err)
	}
	return ae
}

type created struct {
	Meeting api.Meeting `json:"meeting"`
	JoinURL string      `json:"joinUrl"`
}

func (n *testNode) create(t testing.TB, body map[string]any) created {
	t.Helper()
	var c created
	n.do(t, http.MethodPost, "/api/meetings", body, &c)
	return c
}

func (n *testNode) join(t testing.TB, link string) api.Meeting {
	t.Helper()
	var v api.Meeting
	n.do(t, http.MethodPost, "/api/meetings/join", map[string]string{"joinUrl": link}, &v)
	return v
}

func (n *testNode) messages(t testing.TB, id string) []api.Message {
	t.Helper()
	var ms []api.Message
	n.do(t, http.MethodGet, "/api/meetings/"+id+"/messages?limit=1000", nil, &ms)
	return ms
}

// eventually polls cond until it holds or the deadline passes.
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
		time.Sleep(50 * time.Millisecond)
	}
}

func texts(ms []api.Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Text
	}
	return out
}

func sameTexts(want []string, ms []api.Message) error {
	got := texts(ms)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		return fmt.Errorf("messages %q, want %q", got, want)
	}
	return nil
}

// expectRoles checks a meeting's status and each named person's role, with
// "left" for someone no longer in it.
func expectRoles(v api.Meeting, want map[string]string, status string) error {
	if v.Status != status {
		return fmt.Errorf("status %s, want %s", v.Status, status)
	}
	got := map[string]string{}
	for _, p := range v.Participants {
		got[p.Name] = p.Role
		if p.LeftAt != nil {
			got[p.Name] = "left"
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		return fmt.Errorf("roles %v, want %v", got, want)
	}
	return nil
}

func sameJSON(want, got any) error {
	a, _ := json.Marshal(want)
	b, _ := json.Marshal(got)
	if string(a) != string(b) {
		return fmt.Errorf("got %s, want %s", b, a)
	}
	return nil
}

// sameSet checks the same messages, in any order, each once.
func sameSet(want, got []string) error {
	a, b := slices.Clone(want), slices.Clone(got)
	slices.Sort(a)
	slices.Sort(b)
	if !slices.Equal(a, b) {
		return fmt.Errorf("messages %q, want %q in any order", got, want)
	}
	return nil
}
