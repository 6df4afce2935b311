package media

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pion/webrtc/v4/pkg/media/ivfreader"
	"github.com/pion/webrtc/v4/pkg/media/oggreader"
)

// ivfFrames counts the frames of an IVF file and reports whether the first is a VP8 keyframe.
func ivfFrames(t *testing.T, path string) (int, bool) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, _, err := ivfreader.NewWith(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	n, firstKey := 0, false
	for {
		frame, _, err := r.ParseNextFrame()
		if err != nil {
			return n, firstKey
		}
		if n == 0 {
			firstKey = len(frame) > 0 && frame[0]&0x01 == 0 // VP8: P bit clear on keyframes
		}
		n++
	}
}

func oggPages(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, _, err := oggreader.NewWith(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	n := 0
	for {
		if _, _, err := r.ParseNextPage(); err != nil {
			return n
		}
		n++
	}
}

// TestRecording: a node records a meeting: its own browser's camera and microphone and
// the other participant's, each to a file that starts at a keyframe and holds the media
// that flowed; forwarding goes on meanwhile and after the stop.
func TestRecording(t *testing.T) {
	n := newTestNet(t)
	ids := []string{"peerA", "peerB"}
	browsers := map[string]*fakeBrowser{}
	for _, id := range ids {
		n.startEngine(id, nil)
		browsers[id] = n.startBrowser(id, true)
	}
	for _, id := range ids {
		if err := n.engines[id].SetPeers(testMeeting, ids); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 20*time.Second, "media flows", func() bool {
		return receivesFrom(browsers["peerA"], "peerB") && receivesFrom(browsers["peerB"], "peerA")
	})
	dir := filepath.Join(t.TempDir(), "rec")
	a := n.engines["peerA"]
	if err := a.StartRecording(testMeeting, dir); err != nil {
		t.Fatal(err)
	}
	if a.Recording(testMeeting) != dir {
		t.Fatalf("Recording = %q", a.Recording(testMeeting))
	}
	eventually(t, 20*time.Second, "a second of every track on disk", func() bool {
		for _, who := range ids {
			if frames, _ := ivfFrames(t, filepath.Join(dir, who+"-camera.ivf")); frames < 30 {
				return false
			}
			if oggPages(t, filepath.Join(dir, who+"-mic.ogg")) < 50 {
				return false
			}
		}
		return true
	})
	if err := a.StopRecording(testMeeting); err != nil {
		t.Fatal(err)
	}
	if a.Recording(testMeeting) != "" {
		t.Fatal("still recording after the stop")
	}
	for _, who := range ids {
		frames, key := ivfFrames(t, filepath.Join(dir, who+"-camera.ivf"))
		if frames < 30 || !key {
			t.Errorf("%s camera: %d frames, first a keyframe: %v", who, frames, key)
		}
		if pages := oggPages(t, filepath.Join(dir, who+"-mic.ogg")); pages < 50 {
			t.Errorf("%s microphone: %d Ogg pages", who, pages)
		}
	}
	before := browsers["peerB"].count("peerA", "video").packets
	eventually(t, 5*time.Second, "forwarding goes on", func() bool {
		return browsers["peerB"].count("peerA", "video").packets > before+30
	})
}
