package media

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// chain is publisher → relay (engine API: receive, forwarder, sink, send) → subscriber,
// all pion PeerConnections on 127.0.0.1, with n VP8 streams.
type chain struct {
	pubTracks []*webrtc.TrackLocalStaticRTP
	received  atomic.Int64
	lost      atomic.Int64
	notify    chan struct{}
	seq       uint16

	pionDefaults bool
	fwd          []*forwarder
	pcs          []*webrtc.PeerConnection
	muxes        []interface{ Close() error }
	batch        *batchConn // the last engineAPI socket
	pps          int        // pump's pace in packets per second; 0: as fast as the window allows
	done         chan struct{}
}

func plainAPI() *webrtc.API {
	me := &webrtc.MediaEngine{}
	_ = me.RegisterDefaultCodecs()
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	// An empty registry: without one pion registers its default interceptors.
	return webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se),
		webrtc.WithInterceptorRegistry(&interceptor.Registry{}))
}

// engineAPI is the relay's API: the engine's own, or with pionDefaults set, pion's default
// interceptors (for comparison).
func (c *chain) engineAPI(tb testing.TB) *webrtc.API {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		tb.Fatal(err)
	}
	cfg := testConfig()
	lf := pionLoggerFactory{log: cfg.Logger}
	c.batch, err = newBatchConn(conn)
	if err != nil {
		tb.Fatal(err)
	}
	mux := webrtc.NewICEUDPMux(lf.NewLogger("udpmux"), c.batch)
	c.muxes = append(c.muxes, mux)
	if c.pionDefaults {
		me := &webrtc.MediaEngine{}
		_ = me.RegisterDefaultCodecs()
		reg := &interceptor.Registry{}
		_ = webrtc.RegisterDefaultInterceptors(me, reg)
		se := webrtc.SettingEngine{}
		se.SetICEUDPMux(mux)
		se.SetIncludeLoopbackCandidate(true)
		return webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se))
	}
	api, err := newAPI(cfg, mux, lf, nil, false)
	if err != nil {
		tb.Fatal(err)
	}
	return api
}

func connect(tb testing.TB, offerer, answerer *webrtc.PeerConnection) {
	o, err := offerer.CreateOffer(nil)
	if err != nil {
		tb.Fatal(err)
	}
	g := webrtc.GatheringCompletePromise(offerer)
	_ = offerer.SetLocalDescription(o)
	<-g
	if err := answerer.SetRemoteDescription(*offerer.LocalDescription()); err != nil {
		tb.Fatal(err)
	}
	a, _ := answerer.CreateAnswer(nil)
	g = webrtc.GatheringCompletePromise(answerer)
	_ = answerer.SetLocalDescription(a)
	<-g
	if err := offerer.SetRemoteDescription(*answerer.LocalDescription()); err != nil {
		tb.Fatal(err)
	}
}

// newDirect is the baseline: publisher → subscriber with no relay.
func newDirect(tb testing.TB) *chain {
	c := &chain{done: make(chan struct{}), notify: make(chan struct{}, 1)}
	pub, _ := plainAPI().NewPeerConnection(webrtc.Configuration{})
	sub, _ := plainAPI().NewPeerConnection(webrtc.Configuration{})
	c.pcs = []*webrtc.PeerConnection{pub, sub}
	tr, _ := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "t0", "pub")
	if _, err := pub.AddTrack(tr); err != nil {
		tb.Fatal(err)
	}
	c.pubTracks = append(c.pubTracks, tr)
	c.subscribe(sub)
	connect(tb, pub, sub)
	return c
}

func (c *chain) subscribe(sub *webrtc.PeerConnection) {
	sub.OnTrack(func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		buf := make([]byte, 1500)
		for {
			if _, _, err := t.Read(buf); err != nil {
				return
			}
			c.received.Add(1)
			select {
			case c.notify <- struct{}{}:
			default:
			}
		}
	})
}

func newChain(tb testing.TB, n int, pionDefaults bool) *chain {
	c := &chain{done: make(chan struct{}), notify: make(chan struct{}, 1), pionDefaults: pionDefaults}
	cfg := testConfig()
	vp8 := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}
	pub, _ := plainAPI().NewPeerConnection(webrtc.Configuration{})
	sub, _ := plainAPI().NewPeerConnection(webrtc.Configuration{})
	relayIn, _ := c.engineAPI(tb).NewPeerConnection(webrtc.Configuration{})
	relayOut, _ := c.engineAPI(tb).NewPeerConnection(webrtc.Configuration{})
	c.pcs = []*webrtc.PeerConnection{pub, relayIn, relayOut, sub}
	byID := map[string]*forwarder{}
	for i := range n {
		id := fmt.Sprint("t", i)
		tr, _ := webrtc.NewTrackLocalStaticRTP(vp8, id, "pub")
		if _, err := pub.AddTrack(tr); err != nil {
			tb.Fatal(err)
		}
		c.pubTracks = append(c.pubTracks, tr)
		f := newForwarder("pub", slotCamera, vp8, 0, &cfg, relayIn.WriteRTCP)
		sk, err := newSink(f, "pub")
		if err != nil {
			tb.Fatal(err)
		}
		sender, err := relayOut.AddTrack(sk.track)
		if err != nil {
			tb.Fatal(err)
		}
		go sk.writeLoop()
		go readRTCPLoop(sender, nil, func() *sink { return sk })
		f.addSink(sk)
		byID[id] = f
		c.fwd = append(c.fwd, f)
	}
	relayIn.OnTrack(func(t *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
		go drainRTCP(r)
		go byID[t.ID()].readLoop(t)
	})
	c.subscribe(sub)
	connect(tb, relayOut, sub)
	connect(tb, pub, relayIn)
	return c
}

var window int64 = 64

// pump sends perStream packets on every stream, keeping at most 64 in flight.
func (c *chain) pump(perStream int) {
	payload := make([]byte, 1100)
	payload[0] = 0x10 // VP8 descriptor: start of partition 0; payload[1] = 0: keyframe
	sent := c.received.Load()
	start, k := time.Now(), 0
	for range perStream {
		c.seq++
		for _, tr := range c.pubTracks {
			p := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: c.seq, Timestamp: uint32(c.seq) * 3000, Marker: true}, Payload: payload}
			for c.received.Load() < sent-window {
				select {
				case <-c.notify:
					continue
				case <-time.After(200 * time.Millisecond): // lost packets: stop waiting for them
				}
				c.lost.Add(sent - window - c.received.Load())
				sent = c.received.Load() + window
			}
			_ = tr.WriteRTP(p)
			sent++
			if k++; c.pps > 0 {
				time.Sleep(time.Until(start.Add(time.Duration(k) * time.Second / time.Duration(c.pps))))
			}
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for c.received.Load() < sent-int64(len(c.pubTracks))*4 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
}

func (c *chain) close() {
	for _, pc := range c.pcs {
		_ = pc.Close()
	}
	for _, m := range c.muxes {
		_ = m.Close()
	}
}

func (c *chain) waitConnected(tb testing.TB) {
	c.waitConnectedOnly(tb)
	// OnTrack needs first packets: prime every stream.
	c.pump(5)
}

func (c *chain) waitConnectedOnly(tb testing.TB) {
	deadline := time.Now().Add(10 * time.Second)
	for _, pc := range c.pcs {
		for pc.ConnectionState() != webrtc.PeerConnectionStateConnected {
			if time.Now().After(deadline) {
				tb.Fatal("chain not connected")
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

func cpuTime() time.Duration {
	u, s := cpuTimes()
	return u + s
}

// cpuTimes is the process's user and system (kernel: syscalls, loopback delivery) CPU time.
func cpuTimes() (user, sys time.Duration) {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
}

// BenchmarkForward measures one forwarded packet end to end: "relay" is publisher SRTP →
// node (SRTP receive, interceptors, forwarder, queue, SRTP send) → subscriber; "direct" is
// publisher → subscriber alone. cpu-ns/pkt is the whole process's CPU per packet, so the
// node's CPU per forwarded packet is relay's figure minus direct's.
func BenchmarkForward(b *testing.B) {
	for _, tc := range []struct {
		name string
		mk   func(testing.TB) *chain
	}{
		{"direct", newDirect},
		{"relay", func(tb testing.TB) *chain { return newChain(tb, 1, false) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			c := tc.mk(b)
			defer c.close()
			c.waitConnected(b)
			cpu0 := cpuTime()
			b.ResetTimer()
			c.pump(b.N)
			b.StopTimer()
			b.ReportMetric(float64(c.lost.Load()), "lost")
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/pkt")
		})
	}
}

// BenchmarkStreamMemory measures memory per forwarded stream: streams through the chain,
// NACK buffers filled, live heap plus goroutine stacks after GC. MB/stream is that of 16
// streams divided by 16, so it carries a 16th of the fixed cost (the four PeerConnections,
// the two sockets' batch buffers); marginalMB/stream is what one more stream costs,
// (live(16) - live(4)) / 12; fixedMB is the rest. Each chain runs in a process of its own
// (the test binary again, with MEDIA_BENCH_MEMORY set), so neither starts with the other's
// memory in pools and caches. All four PeerConnections' share of a stream is counted, the
// publisher's and the subscriber's too.
func BenchmarkStreamMemory(b *testing.B) {
	b.Run("engine", func(b *testing.B) { benchStreamMemory(b, false) })
	b.Run("pionDefaults", func(b *testing.B) { benchStreamMemory(b, true) })
}

const benchMemoryEnv = "MEDIA_BENCH_MEMORY"

func benchStreamMemory(b *testing.B, pionDefaults bool) {
	const many, few = 16, 4
	var perStream, marginal, fixed, inusePerStream, goroutines float64
	for i := range b.N {
		live, inuse, g := chainMemoryProcess(b, many, pionDefaults)
		liveFew, _, _ := chainMemoryProcess(b, few, pionDefaults)
		if i == 0 {
			perStream = live / many
			marginal = (live - liveFew) / (many - few)
			fixed = live - many*marginal
			inusePerStream, goroutines = inuse/many, g
		}
	}
	b.ReportMetric(perStream, "MB/stream")
	b.ReportMetric(marginal, "marginalMB/stream")
	b.ReportMetric(fixed, "fixedMB")
	b.ReportMetric(inusePerStream, "heapInuseMB/stream")
	b.ReportMetric(goroutines, "goroutines")
}

// chainMemoryProcess runs chainMemory in a new process.
func chainMemoryProcess(b *testing.B, n int, pionDefaults bool) (live, inuse, goroutines float64) {
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d,%t", benchMemoryEnv, n, pionDefaults))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		b.Fatal(err)
	}
	if _, err := fmt.Sscan(string(out), &live, &inuse, &goroutines); err != nil {
		b.Fatalf("%s: %q", err, out)
	}
	return live, inuse, goroutines
}

// runChainMemory is the child of chainMemoryProcess: it prints chainMemory's results.
func runChainMemory(n int, pionDefaults bool) {
	if !flag.Parsed() {
		flag.Parse() // testConfig reads -test.v
	}
	tb := &procTB{}
	defer tb.runCleanups()
	live, inuse, g := chainMemory(tb, n, pionDefaults)
	fmt.Println(live, inuse, g)
}

// chainMemory runs a chain of n streams and returns the live memory (heap and stacks) and
// heap in use it added, in MB, and the goroutines then running.
func chainMemory(tb testing.TB, n int, pionDefaults bool) (live, inuse, goroutines float64) {
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	c := newChain(tb, n, pionDefaults)
	defer c.close()
	c.waitConnected(tb)
	c.pump(1100) // more than pion's default 1024-packet NACK buffer
	runtime.GC() // twice: the second empties sync.Pool victim caches
	runtime.GC()
	runtime.ReadMemStats(&m1)
	mb := func(a, b uint64) float64 { return float64(int64(a)-int64(b)) / (1 << 20) }
	return mb(m1.HeapAlloc+m1.StackInuse, m0.HeapAlloc+m0.StackInuse), mb(m1.HeapInuse, m0.HeapInuse), float64(runtime.NumGoroutine())
}
