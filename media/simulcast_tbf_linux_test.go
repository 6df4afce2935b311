package media

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// envTBF marks the run of a runTBF test inside its own network namespace.
const envTBF = "MESHMEET_SIMULCAST_TBF"

// sh runs a command (ip, tc) and fails the test if it fails.
func sh(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// TestSimulcastTBF: C's node sits behind a veth link in a network namespace of its own,
// and its downlink (the link's far end) gets a token bucket of 400 kbit/s with a short
// queue (50 ms) while it receives A's full layer (~600 kbit/s): loss at once. Within 2 s
// A's node sends it a lower layer, and C's video never stops for longer than one keyframe
// interval of the clip (2 s).
func TestSimulcastTBF(t *testing.T) {
	runTBF(t, tbfWant{lowerIn: 2 * time.Second, maxGap: 2 * time.Second}, "rate", "400kbit", "burst", "4kb", "latency", "50ms")
}

// TestSimulcastDelay: as TestSimulcastTBF, but the bucket is a little narrower than the
// full layer (480 kbit/s) and its queue long (5 s): the queue grows by ~0.3 s a second
// and would take over ten seconds to overflow, so nothing is lost for a long while and
// the reception reports say all is well. The transport-wide feedback shows the delay
// growing: A's node sends a lower layer before the bucket drops a packet, within 4 s (the
// detector needs half a second of growth; on a starved machine its intervals are noisy
// and the keyframe is slow to come). C's video stops for at most a keyframe interval and
// the queue built meanwhile (3 s). With the loss-based estimate alone the full layer
// stays until the queue overflows.
func TestSimulcastDelay(t *testing.T) {
	runTBF(t, tbfWant{lowerIn: 4 * time.Second, maxGap: 3 * time.Second, noDrop: true}, "rate", "480kbit", "burst", "4kb", "latency", "5s")
}

// tbfWant is what a runTBF test asks for: a lower layer within lowerIn, C's video never
// stopped for longer than maxGap, and with noDrop, nothing dropped by the bucket before
// the layer went down (the delay, not loss, lowered it).
type tbfWant struct {
	lowerIn, maxGap time.Duration
	noDrop          bool
}

var tcDropped = regexp.MustCompile(`dropped (\d+)`)

// runTBF: C's node sits behind a veth link in a network namespace of its own; once it
// receives A's full layer, the link's far end (C's downlink) gets the token bucket
// filter tbf (tc arguments). Needs root, iproute2, tc and unshare; skips without them.
// The test runs itself again in a fresh network namespace (unshare --net), so nothing
// touches the machine's own interfaces; the verdict and log come back from that run.
func runTBF(t *testing.T, want tbfWant, tbf ...string) {
	if os.Getenv(envTBF) == "" {
		if testing.Short() || os.Geteuid() != 0 {
			t.Skip("needs root (network namespaces, tc)")
		}
		for _, c := range []string{"unshare", "ip", "tc"} {
			if _, err := exec.LookPath(c); err != nil {
				t.Skipf("no %s", c)
			}
		}
		cmd := exec.Command("unshare", "--net", os.Args[0], "-test.run", "^"+t.Name()+"$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), envTBF+"=1")
		out, err := cmd.CombinedOutput()
		if strings.Contains(string(out), "--- SKIP: "+t.Name()) {
			t.Skipf("inside the namespace: %s", out)
		}
		if err != nil || !strings.Contains(string(out), "--- PASS: "+t.Name()) {
			t.Fatalf("in its own network namespace: %v\n%s", err, out)
		}
		for _, ln := range strings.Split(string(out), "\n") {
			if strings.Contains(ln, "simulcast_tbf_linux_test.go") {
				t.Log(strings.TrimSpace(ln))
			}
		}
		return
	}
	// Inside: this namespace holds A and B; C's engine gets a second one, linked by a veth
	// pair 10.77.0.1 (here) ↔ 10.77.0.2 (C's).
	sh(t, "ip", "link", "set", "lo", "up")
	ns := fmt.Sprintf("mmsc%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Skipf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	sh(t, "ip", "link", "add", "sc0", "type", "veth", "peer", "name", "sc1", "netns", ns)
	sh(t, "ip", "addr", "add", "10.77.0.1/24", "dev", "sc0")
	sh(t, "ip", "link", "set", "sc0", "up")
	sh(t, "ip", "-n", ns, "link", "set", "lo", "up")
	sh(t, "ip", "-n", ns, "addr", "add", "10.77.0.2/24", "dev", "sc1")
	sh(t, "ip", "-n", ns, "link", "set", "sc1", "up")

	n := newTestNet(t)
	n.config = func(c *Config) { c.ListenIP = "10.77.0.1" } // A, B: reachable from C's namespace
	n.spawnRun = func(id string, run func()) {
		if id != "peerC" {
			go run()
			return
		}
		// The engine opens its socket in Run: on a thread inside C's namespace, which it
		// keeps (never unlocked, it ends with the goroutine).
		go func() {
			runtime.LockOSThread()
			fd, err := unix.Open("/var/run/netns/"+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if err == nil {
				err = unix.Setns(fd, unix.CLONE_NEWNET)
				_ = unix.Close(fd)
			}
			if err != nil {
				t.Errorf("enter %s: %v", ns, err)
			}
			run()
		}()
	}
	ids := []string{"peerA", "peerB", "peerC"}
	engines := map[string]*Engine{}
	for _, id := range ids {
		if id == "peerC" {
			n.config = func(c *Config) { c.ListenIP = "10.77.0.2" }
		}
		engines[id] = n.startEngine(id, nil)
	}
	// A's browser reaches its node over the veth address (the fake browser only
	// gathers loopback candidates, so its node listens where it can be reached: the
	// harness's browsers talk to 127.0.0.1; A's node is also on 10.77.0.1).
	_ = n.startSimulcastBrowser("peerA")
	for _, id := range ids {
		if err := engines[id].SetPeers(testMeeting, ids); err != nil {
			t.Fatal(err)
		}
	}
	received := func() uint64 {
		st, _ := engines["peerC"].Stats(testMeeting).(*MeetingStats)
		if st == nil {
			return 0
		}
		for _, ts := range st.TracksReceived {
			if ts.Origin == "peerA" && ts.Source == "camera" {
				return ts.Packets
			}
		}
		return 0
	}
	eventually(t, 30*time.Second, "C's node receives A's full layer", func() bool {
		return sentLayer(engines["peerA"], "peerC", "peerA") == "f" && received() > 100
	})

	// The downlink to C shrinks; watch C's video for gaps meanwhile.
	sh(t, append([]string{"tc", "qdisc", "add", "dev", "sc0", "root", "tbf"}, tbf...)...)
	dropped := func() int {
		out, err := exec.Command("tc", "-s", "qdisc", "show", "dev", "sc0").CombinedOutput()
		m := tcDropped.FindSubmatch(out)
		if err != nil || m == nil {
			t.Fatalf("tc -s qdisc show: %v: %s", err, out)
		}
		n, _ := strconv.Atoi(string(m[1]))
		return n
	}
	var lowered, gap time.Duration
	droppedAt := 0
	start := time.Now()
	last, lastAt := received(), time.Now()
	for time.Since(start) < 6*time.Second {
		time.Sleep(20 * time.Millisecond)
		if n := received(); n != last {
			gap = max(gap, time.Since(lastAt))
			last, lastAt = n, time.Now()
		}
		if l := sentLayer(engines["peerA"], "peerC", "peerA"); lowered == 0 && (l == "q" || l == "h") {
			lowered, droppedAt = time.Since(start), dropped()
		}
	}
	gap = max(gap, time.Since(lastAt))
	t.Logf("tbf %s: lower layer after %v (%d packets dropped by then, %d in all); longest gap in C's video %v",
		strings.Join(tbf, " "), lowered, droppedAt, dropped(), gap)
	if lowered == 0 || lowered > want.lowerIn {
		t.Errorf("lower layer after %v, want within %v", lowered, want.lowerIn)
	}
	if want.noDrop && droppedAt != 0 {
		t.Errorf("the bucket dropped %d packets before the layer went down: not the delay that lowered it", droppedAt)
	}
	if gap > want.maxGap {
		t.Errorf("C's video stopped for %v, longer than %v", gap, want.maxGap)
	}
}
