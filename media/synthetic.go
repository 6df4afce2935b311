package media

import (
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// synthesize publishes a synthetic microphone (Opus-sized packets every 20 ms) and camera
// (one VP8 packet of 1000 bytes per frame at 30 fps, a keyframe every second and when a
// receiver asks) in the meeting, in place of a browser's (Config.Synthetic). It starts
// nothing on its own: the engine's spawn owns the goroutines, which end with the meeting.
func (m *meeting) synthesize() {
	for _, s := range []struct {
		slot
		codec   webrtc.RTPCodecCapability
		every   time.Duration
		size    int
		advance uint32
	}{
		{slotMic, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: clockRateOpus, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1"}, 20 * time.Millisecond, 100, 960},
		{slotCamera, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: clockRateVid}, time.Second / 30, 1000, clockRateVid / 30},
	} {
		var key atomic.Bool
		ssrc := rand.Uint32()
		f := newForwarder(m.self, s.slot, s.codec, ssrc, &m.e.cfg, func([]rtcp.Packet) error {
			key.Store(true)
			return nil
		})
		m.setLocal(s.slot, f)
		m.e.spawn(func() {
			defer m.clearLocal(s.slot, f)
			defer f.close()
			t := time.NewTicker(s.every)
			defer t.Stop()
			var h rtp.Header
			h.Version, h.SSRC = 2, ssrc
			for i := 0; ; i++ {
				select {
				case <-m.ctx.Done():
					return
				case <-t.C:
				}
				payload := make([]byte, s.size)
				isKey := false
				if s.slot == slotCamera {
					// VP8 payload descriptor (start of partition), then a frame tag whose
					// lowest bit is 0 for a keyframe.
					isKey = i%30 == 0 || key.Swap(false)
					payload[0], payload[1] = 0x10, 0x01
					if isKey {
						payload[1] = 0x00
					}
				}
				h.SequenceNumber++
				h.Timestamp += s.advance
				h.Marker = s.slot == slotCamera
				f.dispatch(&rtp.Packet{Header: h, Payload: payload}, isKey, 0) // one layer
			}
		})
	}
}
