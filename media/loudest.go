package media

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/pion/rtp"
)

// Loudest microphones (issue 12): everyone's audio is forwarded until more than
// loudestAll microphones of a meeting talk at once; then each receiver gets only the
// loudest few. The relay decides for its site's pages, every node for its own page
// (peerLink.listener says why no other link is gated). "Talking" is the page's
// `speaking` signal (speaking.go): a packet louder than speakingLevel within speakingHold,
// read from the RFC 6464 audio level extension of the packets the forwarder sees, which
// every hop carries on (levelExts, sinkTrack.header).
//
// The per-packet work is one atomic add (forwarder.read) and, per receiver, one atomic
// load (sink.gate); a ranking every loudTick replaces each microphone's gate.
const (
	// loudestAll talking at once are all forwarded (issue 12: "only the loudest few
	// when more than 10 talk").
	loudestAll = 10
	// loudestN is how many of the loudest a receiver gets, plus the floor holder: three,
	// as Jitsi's videobridge routes (num-loudest = 3, always-route-dominant). More voices
	// at once are not understood anyway, and each costs every receiver a stream.
	loudestN = 3
	// loudTick is how often microphones are ranked: a new loudest voice is let through
	// at the next tick, not at presence-gossip speed.
	loudTick = 50 * time.Millisecond
	// loudBonus (dB) is a selected microphone's head start over the others (a voice
	// twice as loud takes its place), and loudDwell how long it may be outranked before
	// it leaves: a pause between two words or a cough elsewhere does not swap voices.
	loudBonus = 3
	loudDwell = 6 // ticks: 300 ms
	// The floor holder is the loudest over the last second or two (slow average); a
	// challenger takes the floor when louder by floorMargin dB for floorDwell.
	floorMargin = 6
	floorDwell  = 20 // ticks: 1 s
	// loudCap: a level louder than -20 dBov counts as -20 dBov. Loud speech measures
	// about that; a member who claims 0 dBov on every packet (the level is theirs to
	// write, docs/threat-model.md) then ties with a loud speaker instead of beating one.
	loudCap = 20

	holdTicks = int(speakingHold / loudTick)
)

// audioGate is who receives one microphone while loudest-N holds some back: the
// receivers (peer IDs) listed. A nil gate lets every receiver have it. Gates are
// replaced, never modified.
type audioGate struct{ to []string }

// hears says whether receiver gets the microphone gated by g.
func (g *audioGate) hears(receiver string) bool {
	return g == nil || slices.Contains(g.to, receiver)
}

// loudest ranks the microphones a meeting's node forwards and sets their gates.
type loudest struct {
	mu     sync.Mutex
	mics   map[*forwarder]*micState
	tick   int
	on     bool         // more than loudestAll talk: gates apply
	talked int          // how many talk, at the last ranking
	chosen []*forwarder // the loudest, with hysteresis (loudestN, more while one leaves)
	floor  *forwarder
	push   int // ticks a challenger has been louder than the floor holder
	shut   *audioGate
}

type micState struct {
	fast, slow float64 // loudness (127 − level, dB above −127 dBov): ~100 ms and ~1 s averages
	lastLoud   int     // tick of the last packet louder than speakingLevel
	behind     int     // ticks a chosen one has been outside the loudest
	talking    bool
}

func newLoudest() *loudest {
	return &loudest{mics: map[*forwarder]*micState{}, shut: &audioGate{}}
}

// add ranks f (a microphone) from now on.
func (l *loudest) add(f *forwarder) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.mics[f] = &micState{lastLoud: -holdTicks - 1}
}

// state is how many talk and whether gates apply (Engine.Stats).
func (l *loudest) state() (talking int, on bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.talked, l.on
}

func (l *loudest) run(ctx context.Context) {
	t := time.NewTicker(loudTick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			l.rank()
		}
	}
}

// rank takes each microphone's levels since the last tick and sets every gate.
func (l *loudest) rank() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tick++
	var talking []*forwarder
	for f, st := range l.mics {
		if f.isClosed() {
			delete(l.mics, f)
			continue
		}
		n, sum, loud := unpackLevels(f.levels.Swap(0))
		// A tick without packets changes nothing: a late read loop is not silence. A
		// muted microphone (no packets) stops talking after the hold all the same, and
		// silence sends its level (with DTX, a packet every 400 ms).
		if n > 0 {
			mean := float64(sum) / float64(n)
			st.fast = (st.fast + mean) / 2
			if loud > 0 && !st.talking {
				st.fast = mean // a voice that starts is as loud as it is at once
			}
			st.slow += (mean - st.slow) / 16
		}
		if loud > 0 {
			st.lastLoud = l.tick
		}
		st.talking = l.tick-st.lastLoud <= holdTicks
		if st.talking {
			talking = append(talking, f)
		}
	}
	l.talked = len(talking)
	if len(talking) <= loudestAll {
		if l.on {
			l.on, l.chosen, l.floor, l.push = false, nil, nil, 0
			for f := range l.mics {
				f.audio.Store(nil)
			}
		}
		return
	}
	l.on = true
	l.choose(talking)
	l.takeFloor(talking)
	open := slices.Clone(l.chosen)
	if l.floor != nil && !slices.Contains(open, l.floor) {
		open = append(open, l.floor)
	}
	to := make([]string, len(open))
	for i, f := range open {
		to[i] = f.origin
	}
	// The next loudest goes to those in the open set, who never hear themselves: so
	// they too hear as many voices as everyone else.
	var spare *forwarder
	for _, f := range talking { // loudest first (choose)
		if !slices.Contains(open, f) {
			spare = f
			break
		}
	}
	for f := range l.mics {
		switch {
		case slices.Contains(open, f):
			f.audio.Store(nil)
		case f == spare:
			f.audio.Store(&audioGate{to: to})
		default:
			f.audio.Store(l.shut)
		}
	}
}

// choose keeps the loudest loudestN talking microphones in l.chosen: talking sorted by
// loudness, the chosen ones with their head start. One of the loudest joins at once; a
// chosen one leaves when it stops talking, or after loudDwell outside the loudest (so a
// voice pushed out is not cut mid-word, and for that while a receiver hears one more).
func (l *loudest) choose(talking []*forwarder) {
	score := func(f *forwarder) float64 {
		s := l.mics[f].fast
		if slices.Contains(l.chosen, f) {
			s += loudBonus
		}
		return s
	}
	slices.SortFunc(talking, func(a, b *forwarder) int {
		switch sa, sb := score(a), score(b); {
		case sa > sb:
			return -1
		case sa < sb:
			return 1
		}
		return 0
	})
	top := talking[:min(loudestN, len(talking))]
	l.chosen = slices.DeleteFunc(l.chosen, func(f *forwarder) bool {
		st := l.mics[f]
		if st == nil || !st.talking {
			return true
		}
		if slices.Contains(top, f) {
			st.behind = 0
			return false
		}
		st.behind++
		return st.behind >= loudDwell
	})
	for _, f := range top { // at once: a new loudest voice is heard within a few ticks
		if !slices.Contains(l.chosen, f) {
			l.mics[f].behind = 0
			l.chosen = append(l.chosen, f)
		}
	}
}

// takeFloor keeps the floor holder: the talking microphone loudest over the last second
// or two. Someone else takes it only when the holder stops talking or after being louder
// by floorMargin for floorDwell, so three loud voices at once never cut the one speaking.
func (l *loudest) takeFloor(talking []*forwarder) {
	var best *forwarder
	for _, f := range talking {
		if f != l.floor && (best == nil || l.mics[f].slow > l.mics[best].slow) {
			best = f
		}
	}
	if st := l.mics[l.floor]; l.floor == nil || st == nil || !st.talking {
		l.floor, l.push = best, 0
		return
	}
	if best == nil || l.mics[best].slow <= l.mics[l.floor].slow+floorMargin {
		l.push = 0
		return
	}
	if l.push++; l.push >= floorDwell {
		l.floor, l.push = best, 0
	}
}

// Levels of one microphone between two ticks, in one atomic word (forwarder.levels):
// packets (bits 0–15), loudness sum (16–39), packets louder than speakingLevel (40–63).
func packLevel(level byte) uint64 {
	level &= 0x7f
	v := uint64(1) | uint64(127-max(level, loudCap))<<16
	if level <= speakingLevel {
		v |= 1 << 40
	}
	return v
}

func unpackLevels(v uint64) (n, sum, loud uint64) {
	return v & 0xffff, v >> 16 & 0xffffff, v >> 40
}

// listener is the receiver loudest-N gates this link's microphones for (sink.to): the
// node of the relay's site at the far end, its page being all that hears them. None
// ("") on the other links, as every node that ranks must see every level: a relay gets
// every microphone from its site's nodes and from the other relays, and in a mesh each
// node gets every other's (and gates only what goes to its page), so that all rank
// alike. A node that gated what it sends to its relay would hide a voice from the
// ranking, which would then turn on and off.
func (l *peerLink) listener() string {
	if l.role == roleServes {
		return l.peer
	}
	return ""
}

// levelID is the ID of the audio level extension inside a forwarded packet: the only
// extension it carries. sinkTrack.header puts it under each receiver's negotiated ID
// (header extension IDs are negotiated per PeerConnection).
const levelID = 1

// levelExts[b] is level byte b as a forwarded packet's extensions, shared and never
// modified: carrying the level on costs no allocation.
var levelExts = func() (t [256][]rtp.Extension) {
	for i := range t {
		var h rtp.Header
		_ = h.SetExtension(levelID, []byte{byte(i)})
		t[i] = h.Extensions
	}
	return t
}()

// withLevel makes p carry level byte b on.
func withLevel(p *rtp.Packet, b byte) {
	p.Extension, p.ExtensionProfile, p.Extensions = true, rtp.ExtensionProfileOneByte, levelExts[b]
}

// gate applies loudest-N to one microphone packet for this sink's receiver: nil when the
// receiver does not get it. What it leaves out is left out of the sequence numbers too,
// so the receiver sees one talk spurt end and another begin, never loss (pion's and the
// browsers' NACK generators ask for a gap, and reports count it lost); the first packet
// after a cut carries the marker, as the first of a talk spurt does (RFC 3551 §4.1).
// Timestamps go on: a jump is what silence suppression (DTX) looks like. Producer only.
func (s *sink) gate(p *rtp.Packet) *rtp.Packet {
	if s.to != "" && !s.f.audio.Load().hears(s.to) {
		s.cutSeq++
		s.cut = true
		return nil
	}
	if s.cutSeq == 0 {
		return p
	}
	q := &rtp.Packet{Header: p.Header, Payload: p.Payload} // p is shared: never modified
	q.SequenceNumber -= s.cutSeq
	if s.cut {
		q.Marker, s.cut = true, false
	}
	return q
}
