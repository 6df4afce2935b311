package media

import (
	"fmt"
	"maps"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/pion/rtcp"
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

// playTalk sends a 120 ms Opus packet (the clip's, whatever it holds) every 120 ms, each
// with the audio level extension at b.level, as a browser's microphone does (no packets
// while muted). Not 20 ms: twelve talkers, forwarded to eleven pages each, must fit the
// race detector on a loaded two-core machine.
func (b *fakeBrowser) playTalk() {
	defer b.n.wg.Done()
	_, audio := clips()
	t := time.NewTicker(talkEvery)
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
			if id != 0 {
				break
			}
			if tr.Sender() != nil && tr.Sender().Track() == b.talk {
				id = uint8(levelIDOf(tr.Sender().GetParameters().HeaderExtensions))
			}
		}
		seq++
		p := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: uint32(i) * clockRateOpus / 1000 * uint32(talkEvery/time.Millisecond)},
			Payload: audio[i%len(audio)]}
		if id != 0 {
			_ = p.SetExtension(id, []byte{byte(level)})
		}
		if err := b.talk.WriteRTP(p); err != nil {
			return
		}
	}
}

const talkEvery = 120 * time.Millisecond

func levelIDOf(hs []webrtc.RTPHeaderExtensionParameter) int {
	for _, h := range hs {
		if h.URI == sdp.AudioLevelURI {
			return h.ID
		}
	}
	return 0
}

// hearing is whose microphone each browser gets now: packets within a second.
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
	time.Sleep(time.Second)
	after := count()
	out := map[string][]string{}
	for r := range bs {
		out[r] = []string{}
		for o := range bs {
			// of 8 sent: a starved machine (the race detector) sends and forwards
			// late; what is held back gets none
			if o != r && after[r][o]-before[r][o] >= 3 {
				out[r] = append(out[r], o)
			}
		}
		slices.Sort(out[r])
	}
	return out
}

// TestLoudestMicrophones: 12 participants through a relay. While at most 10 talk, every
// page hears every other; when 11 or 12 do, each hears only the three loudest others, the
// next loudest standing in for the one it is; a new loudest voice is heard within a
// second; the levels reach every page, and no page sees a sequence gap (no NACK, no
// loss reported) for what was held back.
func TestLoudestMicrophones(t *testing.T) {
	ids := make([]string, 12)
	for i := range ids {
		ids[i] = fmt.Sprintf("p%02d", i)
	}
	// Levels in −dBov; 127 is silence. p01–p03 are the loudest; p01–p03 and p11
	// start silent, so 8 talk.
	level := map[string]int{"p00": 40, "p01": 22, "p02": 25, "p03": 28, "p04": 33, "p05": 34, "p06": 35,
		"p07": 37, "p08": 39, "p09": 41, "p10": 43, "p11": 45}
	n := newTestNet(t)
	// Twelve nodes and pages on a loaded machine (the race detector): ICE checks and
	// DTLS handshakes come late, which must not fail or rebuild links (what is tested
	// here comes after).
	n.config = func(c *Config) {
		c.ICEDisconnectedTimeout, c.ICEFailedTimeout, c.ICEKeepalive = 5*time.Second, 10*time.Second, time.Second
		c.RestartAfter, c.StuckAfter = 5*time.Second, time.Minute
	}
	engines := map[string]*Engine{}
	bs := map[string]*fakeBrowser{}
	for _, id := range ids {
		engines[id] = n.startEngine(id, nil)
	}
	for _, id := range ids {
		l := level[id]
		if id == "p01" || id == "p02" || id == "p03" || id == "p11" {
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
				st := engines["p00"].Stats(testMeeting).(*MeetingStats)
				links := map[string]int{}
				for _, l := range st.Links {
					links[l.State+"/"+l.ICEState]++
				}
				var in []string
				for _, tr := range st.TracksReceived {
					in = append(in, tr.Origin)
				}
				slices.Sort(in)
				for _, id := range ids {
					st := engines[id].Stats(testMeeting).(*MeetingStats)
					var held []string
					for _, tr := range append(st.TracksSent, st.TracksToBrowser...) {
						if tr.Held {
							held = append(held, tr.Origin+"→"+tr.PeerID)
						}
					}
					t.Logf("%s: %d talking, loudest only %v, holds back %v", id, st.Talking, st.LoudestOnly, held)
				}
				t.Fatalf("timed out after %v waiting for %s (the relay's links: %v; it receives from %v)", within, what, links, in)
			}
		}
	}
	hears("8 talk: everyone hears everyone", 2*time.Minute, everyone())
	for _, b := range bs { // the links are up: from now on no packet may be missing
		b.forgetGaps()
	}

	// 11 talk: the three loudest; those three hear the fourth instead of themselves.
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
	for _, id := range []string{"p01", "p02", "p03"} {
		bs[id].level.Store(int32(level[id]))
	}
	hears("11 talk: the three loudest", 30*time.Second, loudest([]string{"p01", "p02", "p03"}, "p04"))
	if st := engines["p00"].Stats(testMeeting).(*MeetingStats); !st.LoudestOnly || st.Talking != 11 {
		t.Errorf("the relay shows %d talking, loudest only %v; want 11, true", st.Talking, st.LoudestOnly)
	}

	// p11 starts to shout: heard within a second; p03 (now fourth) stands in for the
	// others.
	before := bs["p05"].count("p11", "audio").packets
	start := time.Now()
	bs["p11"].level.Store(20)
	eventually(t, 5*time.Second, "p05 hears p11", func() bool {
		return bs["p05"].count("p11", "audio").packets > before
	})
	took := time.Since(start)
	t.Logf("a new loudest voice is heard after %v", took)
	// The ranking runs every 50 ms (125–300 ms here unloaded); presence, which the
	// node's speaking flag travels in, would take seconds. A starved machine (the race
	// detector beside other work) gets a wider bound.
	if took > 3*time.Second {
		t.Errorf("a new loudest voice took %v, want well under the seconds presence takes", took)
	}
	hears("p11 among the loudest", 30*time.Second, loudest([]string{"p01", "p02", "p11"}, "p03"))

	// Back to 9 talking: everyone again, once the three silent ones' hold is over.
	for _, id := range []string{"p09", "p10", "p11"} {
		bs[id].level.Store(127)
		level[id] = 127
	}
	hears("9 talk again: everyone hears everyone", 30*time.Second, everyone())

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

// rankNet is a loudest ranker over microphones whose levels the test sets, one tick at a
// time, without a network.
type rankNet struct {
	l    *loudest
	mics map[string]*forwarder
}

func newRankNet(t *testing.T, n int) *rankNet {
	cfg := testConfig()
	r := &rankNet{l: newLoudest(), mics: map[string]*forwarder{}}
	for i := range n {
		f := newForwarder(fmt.Sprintf("p%02d", i), slotMic, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus}, uint32(i), &cfg, nil)
		r.mics[f.origin] = f
		r.l.add(f)
	}
	return r
}

// tick sends each microphone's packets of one tick at its level (-1: none) and ranks.
func (r *rankNet) tick(levels map[string]int) {
	for id, f := range r.mics {
		if l, ok := levels[id]; ok && l >= 0 {
			for range 3 {
				f.levels.Add(packLevel(byte(l)))
			}
		}
	}
	r.l.rank()
}

// open lists the microphones every receiver gets, and the one the open ones get too.
func (r *rankNet) open() (open []string, spare string) {
	for id, f := range r.mics {
		switch g := f.audio.Load(); {
		case g == nil:
			open = append(open, id)
		case len(g.to) > 0:
			spare = id
		}
	}
	slices.Sort(open)
	return open, spare
}

func TestLoudestRank(t *testing.T) {
	talk := func(n int, first int) map[string]int { // n talking, p00 loudest, 2 dB apart
		m := map[string]int{}
		for i := range n {
			m[fmt.Sprintf("p%02d", i)] = first + 2*i
		}
		return m
	}
	t.Run("ten talking: everyone", func(t *testing.T) {
		r := newRankNet(t, 12)
		for range 20 {
			r.tick(talk(10, 22))
		}
		if open, _ := r.open(); len(open) != 12 {
			t.Fatalf("open %v, want all 12", open)
		}
	})
	t.Run("eleven talking: the three loudest, the fourth to them", func(t *testing.T) {
		r := newRankNet(t, 12)
		for range 20 {
			r.tick(talk(11, 22))
		}
		open, spare := r.open()
		if !slices.Equal(open, []string{"p00", "p01", "p02"}) || spare != "p03" {
			t.Fatalf("open %v spare %q, want p00–p02 and p03", open, spare)
		}
		if g := r.mics["p03"].audio.Load(); !g.hears("p01") || g.hears("p05") {
			t.Fatalf("the spare goes to %v, want the open ones", g.to)
		}
	})
	t.Run("close voices do not flap", func(t *testing.T) {
		r := newRankNet(t, 12)
		levels := talk(11, 22)
		changes := 0
		var last []string
		for i := range 200 {
			// p02 and p03 swap being louder by 2 dB every 100 ms
			levels["p02"], levels["p03"] = 26, 28
			if i/2%2 == 1 {
				levels["p02"], levels["p03"] = 28, 26
			}
			r.tick(levels)
			if open, _ := r.open(); i > 20 && !slices.Equal(open, last) {
				changes++
			}
			last, _ = r.open()
		}
		if changes > 0 {
			t.Fatalf("the open set changed %d times in 10 s", changes)
		}
	})
	t.Run("a new loudest voice at once; the one it displaces after the dwell", func(t *testing.T) {
		r := newRankNet(t, 12)
		levels := talk(11, 24)
		levels["p11"] = 127
		for range 20 {
			r.tick(levels)
		}
		levels["p11"] = 20
		ticks := 0
		for open, _ := r.open(); !slices.Contains(open, "p11"); open, _ = r.open() {
			r.tick(levels)
			if ticks++; ticks > 10 {
				t.Fatal("p11 not heard after 10 ticks")
			}
		}
		t.Logf("the new loudest is open after %d ticks (%v)", ticks, time.Duration(ticks)*loudTick)
		for range loudDwell + 1 {
			r.tick(levels)
		}
		if open, _ := r.open(); !slices.Equal(open, []string{"p00", "p01", "p11"}) {
			t.Fatalf("open %v, want p00 p01 p11", open)
		}
	})
	t.Run("the floor holder is not cut by a burst", func(t *testing.T) {
		r := newRankNet(t, 14)
		levels := talk(11, 30) // p00 holds the floor
		for range 60 {
			r.tick(levels)
		}
		for _, id := range []string{"p11", "p12", "p13"} {
			levels[id] = 22 // three shout for half a second
		}
		for range 10 {
			r.tick(levels)
		}
		if open, _ := r.open(); !slices.Contains(open, "p00") || len(open) != 4 {
			t.Fatalf("open %v, want the three shouting and p00", open)
		}
	})
	t.Run("a tick without packets is not silence; muted stops talking after the hold", func(t *testing.T) {
		r := newRankNet(t, 12)
		levels := talk(11, 22)
		for range 20 {
			r.tick(levels)
		}
		levels["p00"] = -1
		r.tick(levels)
		if open, _ := r.open(); !slices.Contains(open, "p00") {
			t.Fatalf("open %v after one tick without p00's packets", open)
		}
		for range holdTicks + 1 {
			r.tick(levels)
		}
		if open, _ := r.open(); len(open) != 12 {
			t.Fatalf("open %v: p00 muted, 10 talk, want all", open)
		}
	})
	t.Run("a level above the cap counts as the cap", func(t *testing.T) {
		if packLevel(0) != packLevel(loudCap) || packLevel(loudCap+1) == packLevel(loudCap) {
			t.Fatal("the cap")
		}
		if _, _, loud := unpackLevels(packLevel(speakingLevel + 1)); loud != 0 {
			t.Fatal("a packet below the speaking level counts as talking")
		}
	})
}

// levelTrackContext is a fakeTrackContext that negotiated the audio level extension.
type levelTrackContext struct{ fakeTrackContext }

func (levelTrackContext) HeaderExtensions() []webrtc.RTPHeaderExtensionParameter {
	return []webrtc.RTPHeaderExtensionParameter{{URI: sdp.AudioLevelURI, ID: 3}}
}

// BenchmarkDispatchAudio is the engine's share of forwarding one microphone packet to 10
// receivers: as before loudest-N ("plain": no level), with its level carried on
// ("level"), and with loudest-N holding it back from half the receivers after a cut
// ("gated": those it reaches get rewritten sequence numbers).
func BenchmarkDispatchAudio(b *testing.B) {
	for _, mode := range []string{"plain", "level", "gated"} {
		b.Run(mode, func(b *testing.B) {
			cfg := DefaultConfig()
			f := newForwarder("p", slotMic, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000}, 1, &cfg,
				func([]rtcp.Packet) error { return nil })
			var sinks []*sink
			for i := range 10 {
				sk, _ := newSink(f, "p")
				sk.to = fmt.Sprintf("r%d", i)
				ctx := fakeTrackContext{codecs: []webrtc.RTPCodecParameters{{RTPCodecCapability: f.codec, PayloadType: 111}}, w: &discardWriter{}}
				if _, err := sk.track.Bind(levelTrackContext{ctx}); err != nil {
					b.Fatal(err)
				}
				go sk.writeLoop()
				f.addSink(sk)
				sinks = append(sinks, sk)
			}
			if mode == "gated" {
				f.audio.Store(&audioGate{to: []string{"r0", "r1", "r2", "r3", "r4"}})
				for _, sk := range sinks {
					sk.cutSeq = 7 // an earlier cut
				}
			}
			raw, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 111}, Payload: make([]byte, 120)}).Marshal()
			if mode != "plain" {
				p := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 111}, Payload: make([]byte, 120)}
				_ = p.SetExtension(1, []byte{30})
				raw, _ = p.Marshal()
			}
			var h rtp.Header
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				p := forwardPacket(raw, &h)
				if mode != "plain" { // read's part
					if ext := h.GetExtension(1); len(ext) > 0 {
						f.levels.Add(packLevel(ext[0]))
						withLevel(p, ext[0])
					}
				}
				for len(sinks[9].q) > cap(sinks[9].q)/2 {
					runtime.Gosched()
				}
				f.dispatch(p, false, 0)
			}
			b.StopTimer()
			f.close()
		})
	}
}

// TestLoudestListener: loudest-N gates only what goes to a page: a relay's links to its
// site's nodes (their pages); never a node's link to its relay, two relays' link or a
// mesh link, whose far end ranks every microphone itself.
func TestLoudestListener(t *testing.T) {
	for r, want := range map[role]string{roleServes: "peerB", roleSends: "", roleRelays: "", roleMesh: ""} {
		if got := (&peerLink{peer: "peerB", role: r}).listener(); got != want {
			t.Errorf("role %d: listener %q, want %q", r, got, want)
		}
	}
}
