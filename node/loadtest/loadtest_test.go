package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"meshmeet/media"
	"strings"
	"testing"
	"time"
)

func smallConfig(n int) Config {
	cfg := DefaultConfig()
	cfg.Participants, cfg.Duration, cfg.RelayOnly, cfg.ClipDir = n, 5*time.Second, true, "../../testdata"
	cfg.Settle = time.Minute
	// What is measured is forwarding: a test machine loaded (or -race) enough to hold
	// a heartbeat past 6 s must not re-elect the relay in the middle of it.
	cfg.PresenceTimeout = 20 * time.Second
	return cfg
}

// TestRunRelayOnly: six participants forced through one relay: everyone gets
// everyone's camera (six is within last-N) and microphone, the JSON carries every
// figure, and at least 99 % of what should arrive arrives (minDelivery: not under -race).
func TestRunRelayOnly(t *testing.T) {
	rep, err := Run(context.Background(), smallConfig(6))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := rep.WriteTable(&buf); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + buf.String())
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"participants", "seconds", "topology", "lastN", "mics", "simulcast", "delivery",
		"deliveryAll", "firstFrame", "settleSeconds", "layerSwitches", "relay"} {
		if _, ok := got[k]; !ok {
			t.Errorf("JSON without %q: %s", k, b)
		}
	}
	relay, _ := got["relay"].(map[string]any)
	for _, k := range []string{"peerId", "scope", "cpuCores", "rssMB", "uplinkMbps", "dropped", "loadTestCpuCores"} {
		if _, ok := relay[k]; !ok {
			t.Errorf("relay JSON without %q: %s", k, b)
		}
	}
	if rep.Topology != "relay" || rep.Participants != 6 || rep.Mics != 6 || rep.LastN != 0 {
		t.Fatalf("topology %s, %d participants, %d mics, last-N %d", rep.Topology, rep.Participants, rep.Mics, rep.LastN)
	}
	if f := rep.FirstFrame; f.Count != 30 || f.Missing != 0 || f.P50 <= 0 || f.P95 < f.P50 {
		t.Fatalf("first frames: %+v, want 30 (6 × 5 cameras)", f)
	}
	layers := map[string]Delivery{}
	for _, d := range rep.Delivery {
		layers[d.Layer] = d
		if d.Ratio < minDelivery || d.Received > d.Expected {
			t.Errorf("layer %s: %d of %d delivered", d.Layer, d.Received, d.Expected)
		}
	}
	a, f := layers["audio"], layers["f"]
	// 30 streams each (how many packets depends on the CPU the machine leaves the clips' pacing).
	if a.Streams != 30 || a.Expected < 30 || !rep.Simulcast && (f.Streams != 30 || f.Expected < 30) {
		t.Fatalf("delivery %+v", rep.Delivery)
	}
	if rep.DeliveryAll < minDelivery || rep.Relay.CPUCores <= 0 || rep.Relay.RSSMB <= 0 || rep.Relay.UplinkMbps <= 0 {
		t.Fatalf("report %s", b)
	}
}

// TestRunLastN: with last-N 2 of four participants, each receiver counts only the
// two selected cameras (one for a selected receiver itself).
func TestRunLastN(t *testing.T) {
	cfg := smallConfig(4)
	cfg.LastN, cfg.Muted = 2, 1
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.LastN != 2 || rep.Mics != 3 {
		t.Fatalf("last-N %d, mics %d", rep.LastN, rep.Mics)
	}
	// Two selected cameras to 4 receivers, less their own: 2×4-2 subscriptions.
	if f := rep.FirstFrame; f.Count+f.Missing != 6 || f.Missing != 0 {
		t.Fatalf("first frames %+v, want 6", f)
	}
	for _, d := range rep.Delivery {
		if d.Layer == "audio" && d.Streams != 9 {
			t.Fatalf("audio streams %d, want 3 mics × 3 receivers", d.Streams)
		}
		if d.Ratio < minDelivery {
			t.Errorf("layer %s: %d of %d delivered", d.Layer, d.Received, d.Expected)
		}
	}
}

// TestClips: each layer's keyframes tell its width, and the RTP form reads the same.
func TestClips(t *testing.T) {
	cl, err := loadClips("../../testdata")
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{160, 320, 640} {
		if cl.width[i] != want || cl.layerOf(want) != i {
			t.Fatalf("layer %d: width %d", i, cl.width[i])
		}
	}
	key := cl.video[2][0]
	for _, pre := range [][]byte{{0x10}, {0x90, 0x80, 0x12}, {0x90, 0x80, 0x81, 0x02}} {
		if w, h, ok := media.VP8KeyframeSize(append(pre, key...)); !ok || w != 640 || h != 360 {
			t.Fatalf("descriptor %x: %d×%d %v", pre, w, h, ok)
		}
	}
	if _, _, ok := media.VP8KeyframeSize(append([]byte{0x10}, cl.video[2][1]...)); ok {
		t.Fatal("a delta frame read as a keyframe")
	}
	if _, err := loadClips(t.TempDir()); err == nil || !strings.Contains(err.Error(), "clip") {
		t.Fatalf("no clips: %v", err)
	}
}
