package loadtest

import (
	"fmt"
	"meshmeet/media"
	"os"
	"path/filepath"

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
		w, _, ok := media.VP8FrameSize(frames[0])
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

// readIVF is the frames of the IVF clip at path.
func readIVF(path string) ([][]byte, error) {
	out, err := media.ReadIVF(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrClips, err)
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
