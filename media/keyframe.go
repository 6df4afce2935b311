package media

import (
	"strings"

	"github.com/pion/webrtc/v4"
)

// keyframeFunc returns the keyframe detector for a codec: it reports whether an RTP payload
// starts a keyframe (the point from which a new or recovering receiver can decode). Audio
// and unknown codecs have none.
func keyframeFunc(mime string) func([]byte) bool {
	switch strings.ToLower(mime) {
	case strings.ToLower(webrtc.MimeTypeVP8):
		return isVP8Keyframe
	case strings.ToLower(webrtc.MimeTypeVP9):
		return isVP9Keyframe
	case strings.ToLower(webrtc.MimeTypeH264):
		return isH264Keyframe
	}
	return nil
}

// isVP8Keyframe reports whether payload starts a VP8 keyframe (RFC 7741 §4.2, §4.3).
func isVP8Keyframe(b []byte) bool {
	if len(b) < 1 {
		return false
	}
	x, s, pid := b[0]&0x80 != 0, b[0]&0x10 != 0, b[0]&0x07
	if !s || pid != 0 {
		return false
	}
	i := 1
	if x {
		if len(b) < 2 {
			return false
		}
		ext := b[1]
		i = 2
		if ext&0x80 != 0 { // PictureID
			if len(b) <= i {
				return false
			}
			if b[i]&0x80 != 0 {
				i += 2
			} else {
				i++
			}
		}
		if ext&0x40 != 0 { // TL0PICIDX
			i++
		}
		if ext&0x30 != 0 { // TID/KEYIDX
			i++
		}
	}
	return len(b) > i && b[i]&0x01 == 0
}

// isVP9Keyframe reports whether payload starts a VP9 keyframe: the first packet of a frame
// (B) that is not inter-picture predicted (P = 0), of spatial layer 0 when layer indices are
// present (RFC 9628 §4.2).
func isVP9Keyframe(b []byte) bool {
	if len(b) < 1 {
		return false
	}
	i, p, l, begin := b[0]&0x80 != 0, b[0]&0x40 != 0, b[0]&0x20 != 0, b[0]&0x08 != 0
	if p || !begin {
		return false
	}
	if !l {
		return true
	}
	n := 1
	if i { // PictureID, 7 or 15 bits
		if len(b) < 2 {
			return false
		}
		n = 2
		if b[1]&0x80 != 0 {
			n = 3
		}
	}
	if len(b) <= n {
		return false
	}
	return (b[n]>>1)&0x07 == 0 // SID
}

// isH264Keyframe reports whether payload carries a sequence parameter set (RFC 6184 §5:
// single NAL unit, STAP-A, FU-A start), which is where a receiver can start decoding: browsers
// send SPS and PPS ahead of every IDR picture, and an IDR without them (its SPS/PPS packets
// lost or dropped) is not decodable for a new receiver.
func isH264Keyframe(b []byte) bool {
	if len(b) < 1 {
		return false
	}
	key := func(t byte) bool { return t == 7 }
	switch t := b[0] & 0x1f; {
	case t >= 1 && t <= 23:
		return key(t)
	case t == 24: // STAP-A: 16-bit size, NAL unit, ...
		for i := 1; i+2 < len(b); {
			size := int(b[i])<<8 | int(b[i+1])
			if size == 0 || i+2+size > len(b) {
				return false
			}
			if key(b[i+2] & 0x1f) {
				return true
			}
			i += 2 + size
		}
	case t == 28: // FU-A: start bit and the fragmented unit's type
		return len(b) >= 2 && b[1]&0x80 != 0 && key(b[1]&0x1f)
	}
	return false
}
