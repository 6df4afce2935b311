package media

import (
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// startTalker starts a browser on node that publishes only its microphone, every packet
// at the audio level the test sets (fakeBrowser.level).
func (n *testNet) startTalker(node string, level int) *fakeBrowser {
	return n.startBrowserOpts(node, true, webrtc.MimeTypeVP8, false, func(b *fakeBrowser) {
		b.talk, _ = webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: clockRateOpus, Channels: 2}, "a", "self")
		b.level.Store(int32(level))
	})
}

// playTalk sends the Opus clip every 20 ms, each packet with the audio level extension
// at b.level, as a browser's microphone does (no packets while muted).
func (b *fakeBrowser) playTalk() {
	defer b.n.wg.Done()
	_, audio := clips()
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	var seq uint16
	var id uint8
	for i := 0; ; i++ {
		select {
		case <-b.n.ctx.Done():
			return
		case <-t.C:
		}
		level := b.level.Load()
		if level < 0 {
			continue
		}
		for _, tr := range b.pc.GetTransceivers() {
			if id == 0 && tr.Sender() != nil && tr.Sender().Track() == b.talk {
				id = uint8(levelIDOf(tr.Sender().GetParameters().HeaderExtensions))
			}
		}
		seq++
		p := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: uint32(i) * 960},
			Payload: audio[i%len(audio)]}
		if id != 0 {
			_ = p.SetExtension(id, []byte{byte(level)})
		}
		if err := b.talk.WriteRTP(p); err != nil {
			return
		}
	}
}

func levelIDOf(hs []webrtc.RTPHeaderExtensionParameter) int {
	for _, h := range hs {
		if h.URI == sdp.AudioLevelURI {
			return h.ID
		}
	}
	return 0
}

// hearing is whose microphone each browser gets now: packets within half a second.
func hearing(bs map[string]*fakeBrowser) map[string][]string {
	count := func() map[string]map[string]int {
		c := map[string]map[string]int{}
		for r, b := range bs {
			c[r] = map[string]int{}
			for o := range bs {
				c[r][o] = b.count(o, "audio").packets
			}
		}
		return c
	}
	before := count()
	time.Sleep(500 * time.Millisecond)
	after := count()
	out := map[string][]string{}
	for r := range bs {
		out[r] = []string{}
		for o := range bs {
			if o != r && after[r][o]-before[r][o] >= 10 {
				out[r] = append(out[r], o)
			}
		}
		slices.Sort(out[r])
	}
	return out
}

// TestLoudestMicrophones: 13 participants through a relay. While at most 10 talk, every
// page hears every other; when 13 do, each hears only the three loudest others, the
// next loudest standing in for the one it is; a new loudest voice is heard within a
// second; the levels reach every page, and no page sees a sequence gap (no NACK, no
// loss reported) for what was held back.
func TestLoudestMicrophones(t *testing.T) {
	ids := make([]string, 13)
	for i := range ids {
		ids[i] = fmt.Sprintf("p%02d", i)
	}
	// Levels in −dBov; 127 is silence. p01–p03 are the loudest; p01–p03 and p12
	// start silent, so 9 talk.
	level := map[string]int{"p00": 40, "p01": 22, "p02": 25, "p03": 28, "p04": 33, "p05": 34, "p06": 35,
		"p07": 37, "p08": 39, "p09": 41, "p10": 43, "p11": 44, "p12": 45}
	n := newTestNet(t)
	engines := map[string]*Engine{}
	bs := map[string]*fakeBrowser{}
	for _, id := range ids {
		engines[id] = n.startEngine(id, nil)
	}
	for _, id := range ids {
		l := level[id]
		if id == "p01" || id == "p02" || id == "p03" || id == "p12" {
			l = 127
		}
		bs[id] = n.startTalker(id, l)
	}
	for _, id := range ids {
		if err := engines[id].SetTopology(testMeeting, ids, "p00"); err != nil {
			t.Fatal(err)
		}
	}
	others := func(r string) []string {
		return slices.DeleteFunc(slices.Clone(ids), func(o string) bool { return o == r })
	}
	everyone := func() map[string][]string {
		want := map[string][]string{}
		for _, r := range ids {
			want[r] = others(r)
		}
		return want
	}
	hears := func(what string, within time.Duration, want map[string][]string) {
		t.Helper()
		for deadline := time.Now().Add(within); ; {
			got := hearing(bs)
			if maps.EqualFunc(got, want, slices.Equal) {
				return
			}
			if time.Now().After(deadline) {
				for _, r := range ids {
					if !slices.Equal(got[r], want[r]) {
						t.Errorf("%s hears %v, want %v", r, got[r], want[r])
					}
				}
				t.Fatalf("timed out after %v waiting for %s", within, what)
			}
		}
	}
	hears("9 talk: everyone hears everyone", 60*time.Second, everyone())
	for _, b := range bs { // the links are up: from now on no packet may be missing
		b.forgetGaps()
	}

	// 13 talk: the three loudest; those three hear the fourth instead of themselves.
	loudest := func(open []string, spare string) map[string][]string {
		want := map[string][]string{}
		for _, r := range ids {
			if slices.Contains(open, r) {
				want[r] = slices.Sorted(slices.Values(append(slices.DeleteFunc(slices.Clone(open), func(o string) bool { return o == r }), spare)))
			} else {
				want[r] = slices.Sorted(slices.Values(open))
			}
		}
		return want
	}
	for _, id := range []string{"p01", "p02", "p03", "p12"} {
		bs[id].level.Store(int32(level[id]))
	}
	hears("13 talk: the three loudest", 10*time.Second, loudest([]string{"p01", "p02", "p03"}, "p04"))

	// p12 shouts: heard within a second; p03 (now fourth) stands in for the others.
	before := bs["p05"].count("p12", "audio").packets
	start := time.Now()
	bs["p12"].level.Store(20)
	eventually(t, 5*time.Second, "p05 hears p12", func() bool {
		return bs["p05"].count("p12", "audio").packets > before+2
	})
	took := time.Since(start)
	t.Logf("a new loudest voice is heard after %v", took)
	if took > time.Second {
		t.Errorf("a new loudest voice took %v, want < 1s", took)
	}
	hears("p12 among the loudest", 10*time.Second, loudest([]string{"p01", "p02", "p12"}, "p03"))

	// Back to 9 talking: everyone again, once the four silent ones' hold is over.
	for _, id := range []string{"p09", "p10", "p11", "p12"} {
		bs[id].level.Store(127)
	}
	hears("9 talk again: everyone hears everyone", 10*time.Second, everyone())
	for _, id := range []string{"p09", "p10", "p11", "p12"} {
		level[id] = 127
	}

	// Every page got each level as sent (the extension crossed page → node → relay →
	// node → page), and every stream whole: at most a packet or two really lost.
	eventually(t, 5*time.Second, "the levels reach every page", func() bool {
		for _, r := range ids {
			for _, o := range others(r) {
				if c := bs[r].count(o, "audio"); c.level != level[o] {
					t.Logf("%s gets %s at level %d, sent at %d", r, o, c.level, level[o])
					return false
				}
			}
		}
		return true
	})
	for _, r := range ids {
		for _, o := range others(r) {
			if c := bs[r].count(o, "audio"); c.maxGap > 2 || c.jumps > 0 {
				t.Errorf("%s gets %s with %d sequence numbers missing in a row, %d jumps", r, o, c.maxGap, c.jumps)
			}
		}
	}
}
