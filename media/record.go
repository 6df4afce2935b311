package media

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/h264writer"
	"github.com/pion/webrtc/v4/pkg/media/ivfwriter"
	"github.com/pion/webrtc/v4/pkg/media/oggwriter"
)

// recordQueue bounds the packets waiting for the disk: a slow disk drops packets, it
// never stalls forwarding.
const recordQueue = 512

// recording is a meeting's recording on this node: one file per forwarded track, the
// local browser's and every remote participant's, in one directory.
type recording struct {
	dir   string
	recs  []*recorder    // under Engine.mu
	names map[string]int // file names used, under Engine.mu
}

// rtpWriter is what pion's media writers have in common.
type rtpWriter interface {
	WriteRTP(*rtp.Packet) error
	Close() error
}

// recorder writes one track: VP8 and VP9 to IVF, H.264 to an Annex B stream, Opus to Ogg.
// Video starts at a keyframe.
type recorder struct {
	f        *forwarder
	w        rtpWriter
	q        chan *rtp.Packet
	waitKey  bool        // read loop only
	rekey    atomic.Bool // the writer paused (a full disk): start again at a keyframe
	room     func(need int64) error
	log      *slog.Logger
	done     chan struct{}
	finished chan struct{}
	once     sync.Once
}

// roomEvery is how many bytes a recorder writes between two checks of the disk.
const roomEvery = 256 << 10

func newRecorder(f *forwarder, base string, room func(int64) error, log *slog.Logger) (*recorder, error) {
	var w rtpWriter
	var err error
	switch mime := strings.ToLower(f.codec.MimeType); mime {
	case strings.ToLower(webrtc.MimeTypeVP8), strings.ToLower(webrtc.MimeTypeVP9):
		w, err = ivfwriter.New(base+".ivf", ivfwriter.WithCodec(f.codec.MimeType))
	case strings.ToLower(webrtc.MimeTypeH264):
		w, err = h264writer.New(base + ".h264")
	case strings.ToLower(webrtc.MimeTypeOpus):
		w, err = oggwriter.New(base+".ogg", clockRateOpus, 2)
	default:
		return nil, fmt.Errorf("%w: cannot record %s", ErrProtocol, f.codec.MimeType)
	}
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	r := &recorder{f: f, w: w, q: make(chan *rtp.Packet, recordQueue), waitKey: f.video, room: room, log: log,
		done: make(chan struct{}), finished: make(chan struct{})}
	go r.run()
	return r, nil
}

// push queues p without blocking; the forwarder's read loop is the only caller.
func (r *recorder) push(p *rtp.Packet, keyframe bool) {
	if r.rekey.Load() && r.f.video {
		r.waitKey = true
		r.rekey.Store(false)
	}
	if r.waitKey {
		if !keyframe {
			r.f.requestKeyframe() // rate-limited; a lost request or answer must not leave the file empty
			return
		}
		r.waitKey = false
	}
	select {
	case r.q <- p:
	default: // the disk is behind: this packet is lost to the file
	}
}

// run writes queued packets. Every roomEvery bytes it asks whether the disk has room;
// while it has not, packets are dropped (the recording has a gap, the node's history
// stays writable) and the disk is asked again each second.
func (r *recorder) run() {
	defer close(r.finished)
	var written int64
	var full time.Time // when the disk was last found full; zero while it has room
	for {
		select {
		case p := <-r.q:
			if written += int64(len(p.Payload)); r.room != nil && (written >= roomEvery || !full.IsZero()) {
				if !full.IsZero() && time.Since(full) < time.Second {
					continue
				}
				written = 0
				if err := r.room(roomEvery); err != nil {
					if full.IsZero() {
						r.log.Warn("recording paused: the disk is full", "err", err)
					}
					full = time.Now()
					continue
				}
				if !full.IsZero() {
					r.log.Info("recording resumed: the disk has room again")
					full = time.Time{}
					r.rekey.Store(true)
					continue
				}
			}
			_ = r.w.WriteRTP(p)
		case <-r.done:
			for len(r.q) > 0 {
				_ = r.w.WriteRTP(<-r.q)
			}
			_ = r.w.Close()
			return
		}
	}
}

// close detaches the recorder, writes what is queued and closes the file.
func (r *recorder) close() {
	r.once.Do(func() {
		r.f.removeRecorder(r)
		close(r.done)
	})
	<-r.finished
}

// StartRecording records the meeting into dir (created if needed): every track this
// node forwards now or later, until StopRecording or the meeting is left. Starting again
// is harmless.
func (e *Engine) StartRecording(meetingID, dir string) error {
	m, err := e.meeting(meetingID)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("record: %w", err)
	}
	e.mu.Lock()
	if m.rec != nil {
		e.mu.Unlock()
		return nil
	}
	m.rec = &recording{dir: dir, names: map[string]int{}}
	fs := m.forwardersLocked()
	e.mu.Unlock()
	for _, f := range fs {
		m.record(f)
	}
	e.log.Info("recording", "meetingId", meetingID, "dir", dir)
	return nil
}

// StopRecording ends the meeting's recording and closes its files.
func (e *Engine) StopRecording(meetingID string) error {
	m, err := e.meeting(meetingID)
	if err != nil {
		return err
	}
	m.stopRecording()
	return nil
}

// Recording is the directory the meeting is being recorded to, or "".
func (e *Engine) Recording(meetingID string) string {
	m, err := e.meeting(meetingID)
	if err != nil {
		return ""
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if m.rec == nil {
		return ""
	}
	return m.rec.dir
}

// forwardersLocked lists every track the meeting forwards: the browser's and the links'.
func (m *meeting) forwardersLocked() []*forwarder {
	var fs []*forwarder
	for _, f := range m.local {
		if f != nil {
			fs = append(fs, f)
		}
	}
	for _, l := range m.links {
		for _, f := range l.remote {
			if f != nil {
				fs = append(fs, f)
			}
		}
		fs = append(fs, l.extraRemote...) // other nodes' tracks, through the relay
	}
	return fs
}

// record starts a file for f if the meeting is being recorded: "<peer>-<source>" in the
// recording's directory, numbered when a source comes back (a new track after a restart).
func (m *meeting) record(f *forwarder) {
	m.e.mu.Lock()
	rec := m.rec
	var base string
	if rec != nil {
		name := f.origin + "-" + slotSource[f.slot]
		if n := rec.names[name]; n > 0 {
			name = fmt.Sprintf("%s-%d", name, n+1)
		}
		rec.names[f.origin+"-"+slotSource[f.slot]]++
		base = filepath.Join(rec.dir, name)
	}
	m.e.mu.Unlock()
	if rec == nil {
		return
	}
	r, err := newRecorder(f, base, m.e.cfg.DiskRoom, m.e.log)
	if err != nil {
		m.e.log.Warn("track not recorded", "meetingId", m.id, "peerId", f.origin, "err", err)
		return
	}
	m.e.mu.Lock()
	if m.rec != rec { // stopped meanwhile
		m.e.mu.Unlock()
		r.close()
		return
	}
	rec.recs = append(rec.recs, r)
	m.e.mu.Unlock()
	if !f.addRecorder(r) {
		r.close()
		return
	}
	f.requestKeyframe()
}

func (m *meeting) stopRecording() {
	m.e.mu.Lock()
	rec := m.rec
	m.rec = nil
	m.e.mu.Unlock()
	if rec == nil {
		return
	}
	for _, r := range rec.recs {
		r.close()
	}
	m.e.log.Info("recording stopped", "meetingId", m.id, "dir", rec.dir)
}
