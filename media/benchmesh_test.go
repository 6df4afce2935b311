package media

// BenchmarkMeshNode measures the CPU of ONE node in a full mesh of 4 and of 6 nodes, each
// node with a synthetic browser publishing the VP8 (640x360, 30 fps) and Opus clips of
// ../testdata. The measured node (its Engine only) runs in the benchmark process; the
// other nodes and all the browsers, its own included, run in a child process (the test
// binary again, with MEDIA_BENCH_MESH set), with signalling over the child's stdin/stdout.
// So the process CPU time (getrusage, user + system) is that node's alone: receiving its
// browser's two tracks and every peer's, sending its browser's tracks to every peer and
// every peer's tracks to its browser, with SRTP, interceptors, RTCP and ICE keepalives.
//
// The engines use DefaultConfig's timers (not testConfig's short ones). One iteration is
// one second of steady media (after the mesh is up and has settled).
// Run it with:
//
//	go test -run '^$' -bench BenchmarkMeshNode -benchtime 5x ./media/
//
// Metrics: cpu-% is the node's CPU in percent of one core; µs/pkt is its CPU time per
// packet it forwarded (packets sent: to the peers and to its browser), split into user-µs/pkt
// and sys-µs/pkt (kernel: on loopback a send also pays for delivering the datagram into the
// receiver's socket); pkts-out/s and pkts-in/s are the packet rates it sent and received;
// steal-ms is the time a hypervisor gave to other guests meanwhile (it inflates the figures).
// MEDIA_BENCH_CPUPROFILE=file writes a CPU profile of the measured seconds alone (unlike
// -cpuprofile, which also takes in the mesh coming up).

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/pprof"
	"strconv"
	"sync"
	"testing"
	"time"
)

const benchMeshEnv = "MEDIA_BENCH_MESH"

// benchSimulcastEnv, set (to anything) when the benchmark runs, makes every browser send
// its camera as three simulcast layers: the nodes then choose a layer per receiver, and
// stamp and read transport-wide congestion control feedback (twcc.go).
const benchSimulcastEnv = "MEDIA_BENCH_SIMULCAST"

// meshMsg is one signalling message between the benchmark and its child (testNet.remote).
type meshMsg struct {
	Kind string          `json:"k"`
	To   string          `json:"to"`
	From string          `json:"from,omitempty"`
	Msg  json.RawMessage `json:"m"`
}

func meshIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("node%d", i)
	}
	return ids
}

// lineWriter serialises JSON lines onto w.
type lineWriter struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func (l *lineWriter) send(kind, to, from string, msg []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	_ = l.enc.Encode(meshMsg{Kind: kind, To: to, From: from, Msg: msg})
}

func readLines(r io.Reader, n *testNet) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), MaxSignalSize*2)
	for sc.Scan() {
		var m meshMsg
		if json.Unmarshal(sc.Bytes(), &m) == nil {
			n.inject(m.Kind, m.To, m.From, m.Msg)
		}
	}
}

// procTB is the testing.TB of the child process: failures end it.
type procTB struct {
	testing.TB
	mu       sync.Mutex
	cleanups []func()
}

func (p *procTB) Helper()                        {}
func (p *procTB) Logf(format string, a ...any)   { fmt.Fprintf(os.Stderr, format+"\n", a...) }
func (p *procTB) Errorf(format string, a ...any) { p.Logf(format, a...) }
func (p *procTB) Fatal(a ...any)                 { fmt.Fprintln(os.Stderr, a...); os.Exit(2) }
func (p *procTB) Cleanup(f func()) {
	p.mu.Lock()
	p.cleanups = append(p.cleanups, f)
	p.mu.Unlock()
}

func (p *procTB) runCleanups() {
	p.mu.Lock()
	fs := p.cleanups
	p.mu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
}

// runMeshPeers is the child: nodes 1..n-1 and the browsers of all n nodes, until stdin
// ends; relay is the relay's ID, "" for a mesh.
func runMeshPeers(n int, relay string) {
	if !flag.Parsed() {
		flag.Parse()
	}
	tb := &procTB{}
	defer tb.runCleanups()
	net := newTestNet(tb)
	net.config = productionTimers
	out := &lineWriter{enc: json.NewEncoder(os.Stdout)}
	net.remote = out.send
	ids := meshIDs(n)
	for _, id := range ids[1:] {
		net.startEngine(id, nil)
	}
	for _, id := range ids {
		if os.Getenv(benchSimulcastEnv) != "" {
			net.startSimulcastBrowser(id)
		} else {
			net.startBrowser(id, true)
		}
	}
	for _, id := range ids[1:] {
		_ = net.engines[id].SetTopology(testMeeting, ids, relay)
	}
	readLines(os.Stdin, net)
}

// productionTimers puts back DefaultConfig's ICE keepalive and restart timers, which
// testConfig shortens (they tick on every link, whether media flows or not).
func productionTimers(c *Config) {
	d := DefaultConfig()
	c.ICEDisconnectedTimeout, c.ICEFailedTimeout, c.ICEKeepalive = d.ICEDisconnectedTimeout, d.ICEFailedTimeout, d.ICEKeepalive
	c.RestartAfter = d.RestartAfter
}

// nodePackets counts the packets an engine received (forwarders) and sent (sinks).
func nodePackets(e *Engine) (in, out uint64) {
	e.mu.Lock()
	m := e.meetings[testMeeting]
	if m == nil {
		e.mu.Unlock()
		return 0, 0
	}
	fs := m.forwardersLocked()
	var sinks []*sink
	links := make([]*peerLink, 0, len(m.links))
	for _, l := range m.links {
		links = append(links, l)
		for _, sk := range l.out {
			if sk != nil {
				sinks = append(sinks, sk)
			}
		}
	}
	b := m.browser
	e.mu.Unlock()
	for _, l := range links {
		sinks = append(sinks, l.extras.sinks()...)
	}
	if b != nil {
		sinks = append(sinks, b.out.sinks()...)
	}
	for _, f := range fs {
		in += f.packets.Load()
	}
	for _, sk := range sinks {
		out += sk.packets.Load()
	}
	return in, out
}

func BenchmarkMeshNode(b *testing.B) {
	for _, size := range []int{4, 6} {
		b.Run(fmt.Sprintf("nodes=%d", size), func(b *testing.B) { benchMeshNode(b, size, "") })
	}
}

// BenchmarkRelayNode is BenchmarkMeshNode for the relay of a meeting of 8 and of 12 nodes:
// it receives every node's two tracks and sends each to every other node and its browser.
func BenchmarkRelayNode(b *testing.B) {
	for _, size := range []int{8, 12} {
		b.Run(fmt.Sprintf("nodes=%d", size), func(b *testing.B) { benchMeshNode(b, size, "node0") })
	}
}

func benchMeshNode(b *testing.B, size int, relay string) {
	ids := meshIDs(size)
	net := newTestNet(b)
	net.config = productionTimers
	e := net.startEngine(ids[0], nil)

	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), benchMeshEnv+"="+strconv.Itoa(size)+","+relay)
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	in := &lineWriter{enc: json.NewEncoder(stdin)}
	net.remote = in.send
	readDone := make(chan struct{})
	go func() { defer close(readDone); readLines(stdout, net) }()
	// Registered after startEngine's cleanup, so it runs first: the child (peers and
	// browsers) ends before the measured engine closes.
	b.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Wait()
		<-readDone
	})
	if err := e.SetTopology(testMeeting, ids, relay); err != nil {
		b.Fatal(err)
	}

	// Up: the browser connected, two tracks from every peer, two tracks to every peer,
	// every peer's tracks sent to the browser, all flowing.
	want, wantSent := 2*(size-1), 2*(size-1)
	if relay != "" {
		wantSent *= size - 1 // to each node: its own two and two of every other
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		st, _ := e.Stats(testMeeting).(*MeetingStats)
		up := st != nil && st.Browser == "connected" && len(st.TracksReceived) == want && len(st.TracksSent) == wantSent
		if up {
			for _, t := range append(st.TracksReceived, st.TracksSent...) {
				up = up && t.Packets > 50
			}
		}
		if up {
			e.mu.Lock()
			br := e.meetings[testMeeting].browser
			e.mu.Unlock()
			up = len(br.out.sinks()) == want
		}
		if up {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("mesh of %d not up: %+v", size, st)
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // settle: keyframe requests, bandwidth estimates

	in0, out0 := nodePackets(e)
	u0, s0 := cpuTimes()
	st0, t0 := stolenTime(), time.Now()
	stopProfile := startCPUProfile(b)
	b.ResetTimer()
	time.Sleep(time.Duration(b.N) * time.Second)
	b.StopTimer()
	stopProfile()
	u1, s1 := cpuTimes()
	user, sys, wall := u1-u0, s1-s0, time.Since(t0)
	in1, out1 := nodePackets(e)
	b.ReportMetric(100*(user+sys).Seconds()/wall.Seconds(), "cpu-%")
	if out := float64(out1 - out0); out > 0 {
		b.ReportMetric(float64((user+sys).Nanoseconds())/1e3/out, "µs/pkt")
		b.ReportMetric(float64(user.Nanoseconds())/1e3/out, "user-µs/pkt")
		b.ReportMetric(float64(sys.Nanoseconds())/1e3/out, "sys-µs/pkt")
	}
	b.ReportMetric(float64(stolenTime()-st0)/1e6, "steal-ms")
	b.ReportMetric(float64(out1-out0)/wall.Seconds(), "pkts-out/s")
	b.ReportMetric(float64(in1-in0)/wall.Seconds(), "pkts-in/s")
}

// startCPUProfile starts the CPU profile MEDIA_BENCH_CPUPROFILE names, if any; the func
// returned stops it.
func startCPUProfile(tb testing.TB) (stop func()) {
	path := os.Getenv("MEDIA_BENCH_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		tb.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}
}
