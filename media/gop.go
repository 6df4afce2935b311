package media

import "github.com/pion/rtp"

// A receiver that starts a camera (new, or let through again by last-N) needs a
// keyframe. Asking the publisher for one costs a round trip to it and a frame
// interval, and in a crowd that joins at once a rate-limited wait on top (the PLI
// gap). So each layer keeps the packets since its last keyframe while they are few
// and recent, and a starting receiver begins with them at once: on a relay and on
// the receiver's own node, a new subscriber sees its first frame within a packet of
// any layer arriving, not a round trip to the publisher later.
//
// Only starting receivers replay: a layer switch or a receiver that lost packets for
// congestion waits for a fresh keyframe (a burst of old frames would land on the path
// that is short of bandwidth). The bound keeps the replay to the keyframe and the frame
// or two after it: a decoder catches up on it at once, the memory is packets that would
// be freed a moment later, and the burst stays small (with 250 ms kept, 20 synthetic
// participants lost 2-8 points of full-layer delivery to more layer switches; with
// 67 ms the first frame was as quick, median 70-84 ms against 120-175 ms without).
const (
	gopPackets = 64
	gopSpan    = 90000 / 15 // 67 ms, two frame intervals at 30 fps, at the 90 kHz clock of every video codec
)

// keep adds p (of this layer; keyframe: it starts one) to the replay, or drops the
// replay once it is too long to be worth one. Dispatch only.
func (l *layer) keep(p *rtp.Packet, keyframe bool) {
	switch {
	case keyframe:
		clear(l.gop)
		l.gop = append(l.gop[:0], p)
	case len(l.gop) == 0:
	case len(l.gop) < gopPackets && p.Timestamp-l.gop[0].Timestamp <= gopSpan:
		l.gop = append(l.gop, p)
	default:
		clear(l.gop) // let the packets go
		l.gop = l.gop[:0]
	}
}

// replayable reports whether a starting sink can begin now with a replay.
func (s *sink) replayable() bool {
	return s.starting && s.ready()
}

// replay starts s with layer li's packets since its last keyframe (which include the
// packet being dispatched) and reports whether there were any. Dispatch only.
func (s *sink) replay(li int, now int64) bool {
	l := s.f.layers[li].Load()
	if l == nil || len(l.gop) == 0 {
		return false
	}
	s.replays.Add(1)
	s.starting = false // once: what follows is the path every packet takes
	for i, p := range l.gop {
		if s.f.simulcast {
			s.pushLayer(p, i == 0, li, now)
		} else {
			s.push(p, i == 0)
		}
	}
	return true
}

// askUncached asks upstream for a keyframe of every layer that has none to replay: a
// sink just bound starts from the replay where there is one (at the next dispatch).
func (f *forwarder) askUncached() {
	f.dmu.Lock()
	var ask [numLayers]bool
	for i := range numLayers {
		if l := f.layers[i].Load(); l != nil && len(l.gop) == 0 {
			ask[i] = true
		}
	}
	f.dmu.Unlock()
	for i, a := range ask {
		if a {
			f.requestLayerKeyframe(i)
		}
	}
}
