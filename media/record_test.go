package media

import (
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

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

// TestRecordingPausesOnFullDisk: while the disk has no room the recorder drops what it is
// given (the file does not grow), and it goes on once there is room again.
func TestRecordingPausesOnFullDisk(t *testing.T) {
	cfg := testConfig()
	f := newForwarder("peerA", slotMic, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: clockRateOpus, Channels: 2}, 1, &cfg, nil)
	var full atomic.Bool
	room := func(int64) error {
		if full.Load() {
			return ErrClosed // any error: no room
		}
		return nil
	}
	path := filepath.Join(t.TempDir(), "a")
	r, err := newRecorder(f, path, room, cfg.Logger)
	if err != nil {
		t.Fatal(err)
	}
	_, audio := clips()
	seq := uint16(0)
	feed := func(n int) {
		for range n {
			seq++
			r.push(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: ptOpus, SequenceNumber: seq, Timestamp: uint32(seq) * 960, SSRC: 1},
				Payload: audio[int(seq)%len(audio)]}, false)
			if seq%64 == 0 {
				time.Sleep(5 * time.Millisecond) // the queue is bounded: let the writer keep up
			}
		}
	}
	size := func() int64 {
		st, err := os.Stat(path + ".ogg")
		if err != nil {
			t.Fatal(err)
		}
		return st.Size()
	}
	feed(3000) // past roomEvery: one check done
	full.Store(true)
	feed(3000) // past roomEvery again: the writer finds the disk full
	time.Sleep(100 * time.Millisecond)
	before := size()
	feed(2000)
	if after := size(); after != before {
		t.Fatalf("the file grew from %d to %d bytes while the disk was full", before, after)
	}
	full.Store(false)
	time.Sleep(1100 * time.Millisecond) // the writer asks the disk again each second
	feed(3000)
	r.close()
	if size() <= before {
		t.Fatal("the recording did not go on once the disk had room")
	}
}
