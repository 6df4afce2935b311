package loadtest

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/pion/webrtc/v4/pkg/media/ivfreader"
	"github.com/pion/webrtc/v4/pkg/media/oggreader"
)

// Simulcast layers a synthetic camera sends, smallest first, with the RIDs of the
// simulcast contract: "q" a quarter of the full size, "h" half, "f" full.
var layers = []struct{ rid, file string }{
	{"q", "clip-vp8-160x90-30fps.ivf"},
	{"h", "clip-vp8-320x180-30fps.ivf"},
	{"f", "clip-vp8-640x360-30fps.ivf"},
}

const audioClip = "clip-opus-48k.ogg"

// clips are the media every synthetic participant plays: VP8 frames per layer
// (index as in layers) and Opus pages, read once from the clip directory.
type clips struct {
	video  [][][]byte
	width  []int // the full width of each layer, from its keyframe: how a receiver tells the layer
	audio  [][]byte
	frames int // the shortest layer's frame count: layers loop together
}

func loadClips(dir string) (*clips, error) {
	c := &clips{}
	for _, l := range layers {
		frames, err := readIVF(filepath.Join(dir, l.file))
		if err != nil {
			return nil, err
		}
		w, _, ok := vp8FrameSize(frames[0])
		if !ok {
			return nil, fmt.Errorf("%w: %s does not start with a keyframe", ErrClips, l.file)
		}
		c.video = append(c.video, frames)
		c.width = append(c.width, w)
		if c.frames == 0 || len(frames) < c.frames {
			c.frames = len(frames)
		}
	}
	f, err := os.Open(filepath.Join(dir, audioClip))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrClips, err)
	}
	defer f.Close()
	r, _, err := oggreader.NewWith(f)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrClips, audioClip, err)
	}
	for {
		p, _, err := r.ParseNextPage()
		if err != nil {
			break
		}
		c.audio = append(c.audio, p)
	}
	if len(c.audio) == 0 {
		return nil, fmt.Errorf("%w: %s has no pages", ErrClips, audioClip)
	}
	return c, nil
}

func readIVF(path string) ([][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrClips, err)
	}
	defer f.Close()
	r, _, err := ivfreader.NewWith(f)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrClips, path, err)
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
		return nil, fmt.Errorf("%w: %s has no frames", ErrClips, path)
	}
	return out, nil
}

// layerOf is the layer whose keyframes are width wide, or -1.
func (c *clips) layerOf(width int) int {
	for i, w := range c.width {
		if w == width {
			return i
		}
	}
	return -1
}

// vp8FrameSize reads the size from a VP8 keyframe (RFC 6386 §9.1: a 3-byte frame
// tag whose low bit is 0 for a keyframe, the start code 9d 01 2a, then 14-bit width
// and height).
func vp8FrameSize(frame []byte) (w, h int, ok bool) {
	if len(frame) < 10 || frame[0]&1 != 0 || frame[3] != 0x9d || frame[4] != 0x01 || frame[5] != 0x2a {
		return 0, 0, false
	}
	return int(frame[6]) | int(frame[7]&0x3f)<<8, int(frame[8]) | int(frame[9]&0x3f)<<8, true
}

// vp8PayloadSize reads the keyframe size from an RTP payload that starts a VP8 frame
// (RFC 7741 §4.2: the payload descriptor comes first).
func vp8PayloadSize(p []byte) (w, h int, ok bool) {
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
	return vp8FrameSize(p[i:])
}
