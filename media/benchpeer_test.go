package media

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/pion/webrtc/v4"
)

// benchPeerEnv makes the test binary act as the publisher and subscriber of
// BenchmarkForwardNode in a separate process, so that the benchmark process's CPU time is
// the forwarding node's alone.
const benchPeerEnv = "MEDIA_BENCH_PEER"

// runBenchPeer speaks a line protocol on stdin/stdout: it prints the publisher's offer,
// reads the node's answer, reads the node's offer, prints the subscriber's answer, then
// answers each "pump N" with "done <lost>" once N packets went through the node.
func runBenchPeer() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	out := json.NewEncoder(os.Stdout)
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "bench peer:", err)
		os.Exit(2)
	}
	readSDP := func() webrtc.SessionDescription {
		var d webrtc.SessionDescription
		if !in.Scan() {
			fail(io.ErrUnexpectedEOF)
		}
		if err := json.Unmarshal(in.Bytes(), &d); err != nil {
			fail(err)
		}
		return d
	}
	c := &chain{notify: make(chan struct{}, 1)}
	c.pps, _ = strconv.Atoi(os.Getenv("MEDIA_BENCH_PPS"))
	pub, _ := plainAPI().NewPeerConnection(webrtc.Configuration{})
	sub, _ := plainAPI().NewPeerConnection(webrtc.Configuration{})
	tr, _ := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "t0", "pub")
	if _, err := pub.AddTrack(tr); err != nil {
		fail(err)
	}
	c.pubTracks = append(c.pubTracks, tr)
	c.subscribe(sub)

	o, _ := pub.CreateOffer(nil)
	g := webrtc.GatheringCompletePromise(pub)
	_ = pub.SetLocalDescription(o)
	<-g
	_ = out.Encode(pub.LocalDescription())
	if err := pub.SetRemoteDescription(readSDP()); err != nil {
		fail(err)
	}
	if err := sub.SetRemoteDescription(readSDP()); err != nil {
		fail(err)
	}
	a, _ := sub.CreateAnswer(nil)
	g = webrtc.GatheringCompletePromise(sub)
	_ = sub.SetLocalDescription(a)
	<-g
	_ = out.Encode(sub.LocalDescription())
	for in.Scan() {
		n, err := strconv.Atoi(strings.TrimPrefix(in.Text(), "pump "))
		if err != nil {
			fail(err)
		}
		c.pump(n)
		fmt.Printf("done %d\n", c.lost.Load())
	}
	_ = pub.Close()
	_ = sub.Close()
}

// BenchmarkForwardNode is BenchmarkForward/relay with publisher and subscriber in another
// process: cpu-ns/pkt is the forwarding node's CPU per forwarded packet (SRTP receive,
// interceptors, forwarder, queue, SRTP send, two UDP syscalls), split into user-ns/pkt and
// sys-ns/pkt (kernel; on loopback sendto also pays for delivering the packet into the
// subscriber's socket and waking it). Run it with:
//
//	go test -run '^$' -bench BenchmarkForwardNode -benchtime 100000x -count 5 ./media/
//
// The publisher sends one packet at a time, as fast as 64 packets in flight allow. On a
// machine with two or more CPUs (and taskset) the publisher and subscriber run on the last
// CPU and the node on the others, so that the generator's CPU use does not disturb the
// node's; MEDIA_BENCH_SHARED=1 lets them share every CPU. MEDIA_BENCH_PPS=N paces the
// publisher at N packets per second instead (CPU per packet at a given load). steal-ms is
// the time a hypervisor gave to other guests during the run: figures from runs with much
// of it are inflated.
func BenchmarkForwardNode(b *testing.B) {
	prefix, undo := isolateCPUs(b)
	defer undo()
	args := append(prefix, os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), benchPeerEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = stdin.Close(); _ = cmd.Wait() }()
	rd := bufio.NewScanner(stdout)
	rd.Buffer(make([]byte, 1<<20), 1<<20)
	line := func() []byte {
		if !rd.Scan() {
			b.Fatal("bench peer ended")
		}
		return rd.Bytes()
	}

	c := &chain{}
	cfg := testConfig()
	vp8 := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}
	relayIn, _ := c.engineAPI(b).NewPeerConnection(webrtc.Configuration{})
	relayOut, _ := c.engineAPI(b).NewPeerConnection(webrtc.Configuration{})
	c.pcs = []*webrtc.PeerConnection{relayIn, relayOut}
	defer c.close()
	f := newForwarder("pub", slotCamera, vp8, 0, &cfg, relayIn.WriteRTCP)
	sk, _ := newSink(f, "pub")
	sk.batch = c.batch
	sender, err := relayOut.AddTrack(sk.track)
	if err != nil {
		b.Fatal(err)
	}
	go sk.writeLoop()
	go readRTCPLoop(sender, nil, func() *sink { return sk })
	f.addSink(sk)
	relayIn.OnTrack(func(t *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
		go drainRTCP(r)
		go f.readLoop(t)
	})

	var offer webrtc.SessionDescription
	if err := json.Unmarshal(line(), &offer); err != nil {
		b.Fatal(err)
	}
	_ = relayIn.SetRemoteDescription(offer)
	a, _ := relayIn.CreateAnswer(nil)
	g := webrtc.GatheringCompletePromise(relayIn)
	_ = relayIn.SetLocalDescription(a)
	<-g
	o, _ := relayOut.CreateOffer(nil)
	g = webrtc.GatheringCompletePromise(relayOut)
	_ = relayOut.SetLocalDescription(o)
	<-g
	enc := json.NewEncoder(stdin)
	_ = enc.Encode(relayIn.LocalDescription())
	_ = enc.Encode(relayOut.LocalDescription())
	var answer webrtc.SessionDescription
	if err := json.Unmarshal(line(), &answer); err != nil {
		b.Fatal(err)
	}
	if err := relayOut.SetRemoteDescription(answer); err != nil {
		b.Fatal(err)
	}
	c.waitConnectedOnly(b)
	pump := func(n int) string {
		fmt.Fprintf(stdin, "pump %d\n", n)
		return string(line())
	}
	pump(200) // warm up: first packets start the tracks
	u0, s0 := cpuTimes()
	st0 := stolenTime()
	b.ResetTimer()
	res := pump(b.N)
	b.StopTimer()
	u1, s1 := cpuTimes()
	b.ReportMetric(float64(u1-u0+s1-s0)/float64(b.N), "cpu-ns/pkt")
	b.ReportMetric(float64(u1-u0)/float64(b.N), "user-ns/pkt")
	b.ReportMetric(float64(s1-s0)/float64(b.N), "sys-ns/pkt")
	// Time the hypervisor stole meanwhile: runs with more than a few ms of it overstate.
	b.ReportMetric(float64(stolenTime()-st0)/1e6, "steal-ms")
	if lost, _ := strconv.Atoi(strings.TrimPrefix(res, "done ")); lost > 0 {
		b.ReportMetric(float64(lost), "lost")
	}
}
