package media

import (
	"fmt"
	"os"

	"github.com/pion/webrtc/v4/pkg/media/ivfreader"
)

// ReadIVF is the frames of the IVF file at path (test clips: the load test's and the
// media tests' synthetic publishers); an error when it has none.
func ReadIVF(path string) ([][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, _, err := ivfreader.NewWith(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var out [][]byte
	for {
		fr, _, err := r.ParseNextFrame()
		if err != nil {
			break
		}
		out = append(out, fr)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s has no frames", path)
	}
	return out, nil
}

// VP8FrameSize reads the size from a VP8 keyframe (RFC 6386 §9.1: a 3-byte frame
// tag whose low bit is 0 for a keyframe, the start code 9d 01 2a, then 14-bit width
// and height).
func VP8FrameSize(frame []byte) (w, h int, ok bool) {
	if len(frame) < 10 || frame[0]&1 != 0 || frame[3] != 0x9d || frame[4] != 0x01 || frame[5] != 0x2a {
		return 0, 0, false
	}
	return int(frame[6]) | int(frame[7]&0x3f)<<8, int(frame[8]) | int(frame[9]&0x3f)<<8, true
}

// VP8KeyframeSize reads the keyframe size from an RTP payload that starts a VP8 frame
// (RFC 7741 §4.2: the payload descriptor comes first).
func VP8KeyframeSize(p []byte) (w, h int, ok bool) {
	if len(p) < 1 || p[0]&0x10 == 0 || p[0]&0x07 != 0 { // S bit, partition 0
		return 0, 0, false
	}
	i := 1
	if p[0]&0x80 != 0 { // X: extension byte
		if len(p) < 2 {
			return 0, 0, false
		}
		ext := p[1]
		i = 2
		if ext&0x80 != 0 { // I: picture ID, 7 or 15 bits
			if len(p) <= i {
				return 0, 0, false
			}
			if p[i]&0x80 != 0 {
				i++
			}
			i++
		}
		if ext&0x40 != 0 { // L: TL0PICIDX
			i++
		}
		if ext&0x30 != 0 { // T or K: TID/Y/KEYIDX
			i++
		}
	}
	if i >= len(p) {
		return 0, 0, false
	}
	return VP8FrameSize(p[i:])
}
