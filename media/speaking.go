package media

import (
	"sync"
	"time"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// Speaking detection: browsers put each audio packet's level in the RFC 6464 header
// extension (0 dBov loudest … 127 silent), which the node reads from its own browser's
// microphone without decoding anything. A packet louder than speakingLevel starts
// "speaking"; it ends speakingHold after the last such packet (no packets at all — a
// muted microphone — ends it too). Loudest-N (loudest.go) calls a microphone "talking" by
// the same rule, for every microphone a node forwards.
const (
	speakingLevel = 45 // -45 dBov: speech, not room noise
	speakingHold  = 800 * time.Millisecond
)

// levelExtID is the id the receiver negotiated for the audio level extension, 0 if none.
func levelExtID(recv *webrtc.RTPReceiver) uint8 {
	for _, h := range recv.GetParameters().HeaderExtensions {
		if h.URI == sdp.AudioLevelURI {
			return uint8(h.ID)
		}
	}
	return 0
}

// speakingMeter turns audio levels into a speaking flag. It calls changed (on a goroutine
// of its own) when the flag may have changed; changed reads it with on, so reports that
// overtake each other still end on the current value.
type speakingMeter struct {
	changed func()

	mu       sync.Mutex
	speaking bool
	timer    *time.Timer
	stopped  bool
}

func newSpeakingMeter(changed func()) *speakingMeter {
	return &speakingMeter{changed: changed}
}

// on says whether the microphone's owner is speaking.
func (s *speakingMeter) on() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.speaking
}

// level takes one packet's extension payload (the read loop calls it).
func (s *speakingMeter) level(ext []byte) {
	if len(ext) == 0 || ext[0]&0x7f > speakingLevel {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return
	}
	if s.timer == nil {
		s.timer = time.AfterFunc(speakingHold, func() { s.set(false) })
	} else {
		s.timer.Reset(speakingHold)
	}
	if !s.speaking {
		s.speaking = true
		go s.changed()
	}
}

func (s *speakingMeter) set(on bool) {
	s.mu.Lock()
	changed := s.speaking != on && !s.stopped
	s.speaking = on
	s.mu.Unlock()
	if changed {
		s.changed()
	}
}

// stop ends the meter (the track ended): not speaking any more.
func (s *speakingMeter) stop() {
	s.set(false)
	s.mu.Lock()
	s.stopped = true
	if s.timer != nil {
		s.timer.Stop()
	}
	s.mu.Unlock()
}
