package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"meshmeet/mesh/datadir"
	"meshmeet/node"
	"meshmeet/node/nodeproc"
)

var binary string

func TestMain(m *testing.M) {
	var err error
	if binary, err = nodeproc.Build(); err != nil { // one build for these tests and nodeproc's
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(filepath.Dir(binary))
	os.Exit(code)
}

// proc is a running `meshmeet node` process.
type proc struct {
	cmd   *exec.Cmd
	ui    string // the API base, from the login address the node printed
	login string
	addrs []string
	id    string
}

var (
	uiLine     = regexp.MustCompile(`^\s*UI:\s+(\S+)`)
	idLine     = regexp.MustCompile(`^\s*peer ID:\s+(\S+)`)
	listenLine = regexp.MustCompile(`^\s*listen:\s+(\S+)`)
)

// startProc runs the node binary and waits for its ready banner.
func startProc(t *testing.T, env []string, args ...string) *proc {
	return startProcEnv(t, env, args...)
}

func startProcB(b *testing.B, args ...string) *proc { return startProcEnv(b, nil, args...) }

func startProcEnv(t testing.TB, env []string, args ...string) *proc {
	t.Helper()
	return startProcIn(t, nil, env, args...)
}

// startProcIn is startProc with a command prefix (such as "ip netns exec NS").
func startProcIn(t testing.TB, prefix, env []string, args ...string) *proc {
	t.Helper()
	argv := append(append(slices.Clone(prefix), binary, "node"), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if dir := os.Getenv("MESHMEET_TEST_LOGS"); dir != "" {
		// Debug logs of every node, one file each, for a test that fails.
		f, err := os.CreateTemp(dir, "node-*.log")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cmd.Stderr = f
		cmd.Env = append(cmd.Env, "MESHMEET_LOG_LEVEL=debug")
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	p := &proc{cmd: cmd}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			if m := uiLine.FindStringSubmatch(line); m != nil {
				if u, err := url.Parse(m[1]); err == nil {
					p.ui, p.login = u.Scheme+"://"+u.Host, m[1]
				}
			}
			if m := idLine.FindStringSubmatch(line); m != nil {
				p.id = m[1]
			}
			if m := listenLine.FindStringSubmatch(line); m != nil {
				p.addrs = append(p.addrs, m[1])
				if len(p.addrs) == 1 {
					close(ready)
				}
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		t.Fatal("node did not print its banner")
	}
	return p
}

func nodeArgs(dir string, extra ...string) []string {
	return append([]string{"--data-dir", dir, "--ui", "127.0.0.1:0", "--listen", "/ip4/127.0.0.1/tcp/0", "--no-mdns"}, extra...)
}

func client(t *testing.T, p *proc, dir string) *node.Client {
	c, err := node.NewClient(p.ui, datadir.Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// eventually polls cond until it holds (finely: benchmarks time with it).
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
		time.Sleep(25 * time.Millisecond)
	}
}

type message struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

func history(c *node.Client, id string) ([]message, error) {
	var ms []message
	err := c.Do(context.Background(), http.MethodGet, "/api/meetings/"+id+"/messages?limit=1000", nil, &ms)
	return ms, err
}

// TestKill9LosesNothing: every message a node acknowledged survives kill -9,
// and on restart it catches up with what it missed while down.
func TestKill9LosesNothing(t *testing.T) {
	dirA, dirB := t.TempDir(), t.TempDir()
	b := startProc(t, []string{"MESHMEET_NAME=bob"}, nodeArgs(dirB)...)
	a := startProc(t, []string{"MESHMEET_NAME=alice"}, nodeArgs(dirA, "--peer", b.addrs[0])...)
	ca, cb := client(t, a, dirA), client(t, b, dirB)
	ctx := context.Background()

	var created struct {
		Meeting struct{ ID string } `json:"meeting"`
		JoinURL string              `json:"joinUrl"`
	}
	if err := ca.Do(ctx, http.MethodPost, "/api/meetings", map[string]string{"title": "Durable"}, &created); err != nil {
		t.Fatal(err)
	}
	id := created.Meeting.ID
	for _, c := range []*node.Client{ca, cb} {
		if err := c.Do(ctx, http.MethodPost, "/api/meetings/join", map[string]string{"joinUrl": created.JoinURL}, nil); err != nil {
			t.Fatal(err)
		}
	}
	acked := map[string]bool{}
	for i := range 50 {
		var m message
		if err := ca.Do(ctx, http.MethodPost, "/api/meetings/"+id+"/messages", map[string]string{"text": fmt.Sprintf("a%d", i)}, &m); err != nil {
			t.Fatal(err)
		}
		acked[m.ID] = true
	}
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = a.cmd.Wait()
	for i := range 10 {
		if err := cb.Do(ctx, http.MethodPost, "/api/meetings/"+id+"/messages", map[string]string{"text": fmt.Sprintf("b%d", i)}, nil); err != nil {
			t.Fatal(err)
		}
	}

	a2 := startProc(t, []string{"MESHMEET_NAME=alice"}, nodeArgs(dirA, "--peer", b.addrs[0])...)
	ca2 := client(t, a2, dirA)
	ms, err := history(ca2, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		delete(acked, m.ID)
	}
	if len(acked) != 0 {
		t.Fatalf("%d acknowledged messages lost after kill -9", len(acked))
	}
	eventually(t, 30*time.Second, "restarted node catches up", func() error {
		got, err := history(ca2, id)
		if err != nil {
			return err
		}
		want, err := history(cb, id)
		if err != nil {
			return err
		}
		if len(got) != 60 || fmt.Sprint(got) != fmt.Sprint(want) {
			return fmt.Errorf("alice has %d messages, bob %d", len(got), len(want))
		}
		return nil
	})
}

// TestSecondProcessOnSameDataDir fails clearly.
func TestSecondProcessOnSameDataDir(t *testing.T) {
	dir := t.TempDir()
	startProc(t, nil, nodeArgs(dir)...)
	out, err := exec.Command(binary, append([]string{"node"}, nodeArgs(dir)...)...).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "in use by another meshmeet process") {
		t.Fatalf("second process: err %v, output %s", err, out)
	}
}

// TestCLI drives a node through the meeting and chat commands, with flags
// given as environment variables.
func TestCLI(t *testing.T) {
	dir := t.TempDir()
	p := startProc(t, []string{"MESHMEET_NAME=cli-user"}, nodeArgs(dir)...)
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(binary, args...)
		cmd.Env = append(os.Environ(), "MESHMEET_DATA_DIR="+dir, "MESHMEET_API="+p.ui)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("meshmeet %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	if got := strings.TrimSpace(run("id")); got != p.id {
		t.Fatalf("id printed %q, node said %q", got, p.id)
	}
	// The printed UI address carries the token in its #fragment, which no request
	// carries: the page moves it into its own storage. No cookie is ever set, and
	// without the token in a header the API answers 401.
	if !strings.HasPrefix(p.login, p.ui+"/#token=") {
		t.Fatalf("printed UI address %q, want %s/#token=…", p.login, p.ui)
	}
	resp, err := http.Get(p.login)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(resp.Cookies()) != 0 {
		t.Fatalf("GET %s = %d with %d cookies, want 200 and none", p.login, resp.StatusCode, len(resp.Cookies()))
	}
	resp, err = http.Get(p.ui + "/api/meetings")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET /api/meetings without the token = %d, want 401", resp.StatusCode)
	}
	out := run("meeting", "create", "--title", "From the CLI", "--duration", "30", "--max-participants", "5")
	link := regexp.MustCompile(`join link: (\S+)`).FindStringSubmatch(out)
	if link == nil {
		t.Fatalf("create printed %q", out)
	}
	id := regexp.MustCompile(`/m/([0-9a-f]{32})#`).FindStringSubmatch(link[1])[1]
	run("meeting", "join", link[1])
	if out := run("meeting", "list"); !strings.Contains(out, id) || !strings.Contains(out, "From the CLI") || !strings.Contains(out, "active") {
		t.Fatalf("list printed %q", out)
	}
	if out := run("meeting", "show", id); !strings.Contains(out, `"role": "host"`) || !strings.Contains(out, `"name": "cli-user"`) {
		t.Fatalf("show printed %q", out)
	}
	run("chat", "send", id, "hello from the shell")
	if out := run("chat", "history", id); !strings.Contains(out, "cli-user: hello from the shell") {
		t.Fatalf("history printed %q", out)
	}
	// A file shared from the shell shows in history and downloads as itself,
	// without overwriting a file of that name.
	work := t.TempDir()
	src := filepath.Join(work, "notes.txt")
	if err := os.WriteFile(src, []byte("agenda: ship it"), 0o600); err != nil {
		t.Fatal(err)
	}
	sha := regexp.MustCompile(`sha256 ([0-9a-f]{64})`).FindStringSubmatch(run("chat", "share", id, src))
	if sha == nil {
		t.Fatal("share printed no hash")
	}
	if out := run("chat", "history", id); !strings.Contains(out, "file notes.txt, 15 bytes, sha256 "+sha[1]) {
		t.Fatalf("history printed %q", out)
	}
	get := exec.Command(binary, "chat", "download", id, sha[1])
	get.Dir, get.Env = t.TempDir(), append(os.Environ(), "MESHMEET_DATA_DIR="+dir, "MESHMEET_API="+p.ui)
	if out, err := get.CombinedOutput(); err != nil {
		t.Fatalf("download: %v %s", err, out)
	}
	if b, err := os.ReadFile(filepath.Join(get.Dir, "notes.txt")); err != nil || string(b) != "agenda: ship it" {
		t.Fatalf("downloaded %q %v", b, err)
	}
	if out, err := exec.Command(binary, "chat", "download", "--data-dir", dir, "--api", p.ui, "--out", src, id, sha[1]).CombinedOutput(); err == nil || !strings.Contains(string(out), "exists") {
		t.Fatalf("download over an existing file: %v %s", err, out)
	}
	// Recording: refused where the meeting does not allow it; started and stopped where it does.
	if out, err := exec.Command(binary, "meeting", "record", "--data-dir", dir, "--api", p.ui, id, "on").CombinedOutput(); err == nil || !strings.Contains(string(out), "not allowed") {
		t.Fatalf("record in a meeting without recording: %v %s", err, out)
	}
	rec := run("meeting", "create", "--title", "Recorded", "--enable-recording")
	recID := regexp.MustCompile(`/m/([0-9a-f]{32})#`).FindStringSubmatch(rec)[1]
	run("meeting", "join", regexp.MustCompile(`join link: (\S+)`).FindStringSubmatch(rec)[1])
	if out := run("meeting", "record", recID, "on"); !strings.Contains(out, "recording on") {
		t.Fatalf("record on printed %q", out)
	}
	if out := run("meeting", "show", recID); !strings.Contains(out, `"recording": true`) {
		t.Fatalf("show while recording printed %q", out)
	}
	run("meeting", "record", recID, "off")
	if out := run("meeting", "recordings", recID); !strings.Contains(out, filepath.Join("recordings", recID)) {
		t.Fatalf("recordings printed %q", out)
	}
	// The host edits the meeting from the shell; only what is given changes.
	if out := run("meeting", "update", "--title", "Renamed", "--duration", "25", id); !strings.Contains(out, "Renamed, 25 min") {
		t.Fatalf("update printed %q", out)
	}
	if out := run("meeting", "show", id); !strings.Contains(out, `"maxParticipants": 5`) || !strings.Contains(out, `"revision": 1`) {
		t.Fatalf("show after update printed %q", out)
	}
	// A meeting that ends by itself, extended from the shell.
	short := run("meeting", "create", "--title", "Timed", "--duration", "5", "--auto-end")
	shortID := regexp.MustCompile(`/m/([0-9a-f]{32})#`).FindStringSubmatch(short)[1]
	if out, err := exec.Command(binary, "meeting", "extend", "--data-dir", dir, "--api", p.ui, shortID, "10").CombinedOutput(); err == nil || !strings.Contains(string(out), "join the meeting") && !strings.Contains(string(out), "host or a moderator") {
		t.Fatalf("extend before joining: %v %s", err, out)
	}
	run("meeting", "join", regexp.MustCompile(`join link: (\S+)`).FindStringSubmatch(short)[1])
	before := time.Now()
	out = run("meeting", "extend", shortID, "10")
	ends, err := time.Parse(time.RFC3339, strings.TrimSpace(strings.TrimPrefix(out, "ends at")))
	if err != nil || ends.Sub(before) < 14*time.Minute || ends.Sub(before) > 16*time.Minute {
		t.Fatalf("extend printed %q (%v)", out, err)
	}
	run("meeting", "end", id)
	cmd := exec.Command(binary, "chat", "send", "--data-dir", dir, "--api", p.ui, id, "after the end")
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "ended") {
		t.Fatalf("send after end: %v %s", err, out)
	}
	help, _ := exec.Command(binary, "node", "--help").CombinedOutput()
	for _, flag := range []string{"--data-dir", "--ui", "--listen", "--name", "--rendezvous", "--peer", "--no-mdns", "MESHMEET_RENDEZVOUS"} {
		if !strings.Contains(string(help), flag) {
			t.Errorf("node --help does not explain %s", flag)
		}
	}
}

// TestRendezvousCommand prints full multiaddrs that nodes can use, and its TURN relay.
func TestRendezvousCommand(t *testing.T) {
	health := freeTCP(t)
	cmd := exec.Command(binary, "rendezvous", "--data-dir", t.TempDir(), "--listen", "/ip4/127.0.0.1/tcp/0",
		"--turn-ip", "127.0.0.1", "--turn-listen", "127.0.0.1:0", "--turn-tls-listen", "127.0.0.1:0", "--health", health)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	sc := bufio.NewScanner(out)
	addr := regexp.MustCompile(`^\s*(/ip4/127\.0\.0\.1/tcp/\d+/p2p/12D3\S+)`)
	deadline := time.AfterFunc(20*time.Second, func() { _ = cmd.Process.Kill() })
	defer deadline.Stop()
	turnLine := false
	for sc.Scan() {
		turnLine = turnLine || strings.Contains(sc.Text(), "TURN relay for media: turn:127.0.0.1:")
		if m := addr.FindStringSubmatch(sc.Text()); m != nil {
			dir := t.TempDir()
			n := startProc(t, nil, nodeArgs(dir, "--rendezvous", m[1])...)
			rid := m[1][strings.LastIndex(m[1], "/")+1:]
			eventually(t, 20*time.Second, "node connects to the rendezvous", func() error {
				var info struct{ Peers []string }
				if err := client(t, n, dir).Do(context.Background(), http.MethodGet, "/api/node", nil, &info); err != nil {
					return err
				}
				if !strings.Contains(strings.Join(info.Peers, ","), rid) {
					return fmt.Errorf("peers %v", info.Peers)
				}
				return nil
			})
			for !turnLine && sc.Scan() {
				turnLine = strings.Contains(sc.Text(), "TURN relay for media: turn:127.0.0.1:")
			}
			if !turnLine {
				t.Fatal("rendezvous with --turn-ip printed no TURN relay")
			}
			resp, err := http.Get("http://" + health + "/healthz")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(body), `"status":"ok"`) || !strings.Contains(string(body), rid) {
				t.Fatalf("--health /healthz = %d %s", resp.StatusCode, body)
			}
			return
		}
	}
	t.Fatal("rendezvous printed no full multiaddr")
}
