package node

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"meshmeet/mesh/datadir"
	"meshmeet/webui"
)

func (b *backend) SetRecording(ctx context.Context, id string, on bool) (any, error) {
	v, err := b.n.mesh.SetRecording(ctx, id, on)
	if err != nil {
		return nil, apiErr(err)
	}
	b.n.bridge.refreshNow(ctx) // start or stop the engine's recording now
	return b.withLink(v), nil
}

// recordingPath is what a recording's path in the list looks like:
// <start>/<peerID>-<source>[-<n>].<ext> (n for a second track of one source, as when a
// participant republishes); nothing else is served.
var recordingPath = regexp.MustCompile(`^[0-9]{8}T[0-9]{6}Z/[1-9A-HJ-NP-Za-km-z]{20,80}-(mic|camera|screen)(-[0-9]{1,6})?\.(ivf|ogg|h264)$`)

// OpenRecording opens one of this node's recorded files of the meeting.
func (b *backend) OpenRecording(_ context.Context, id, path string) (*webui.File, error) {
	if _, err := b.n.mesh.Meeting(id); err != nil {
		return nil, apiErr(err)
	}
	if !recordingPath.MatchString(path) {
		return nil, apiError{kind: webui.ErrInvalid, msg: "not a recording's path; take one from GET …/recordings"}
	}
	f, err := os.OpenInRoot(datadir.Dir(b.n.cfg.DataDir).Recordings(id), filepath.FromSlash(path))
	if errors.Is(err, os.ErrNotExist) {
		return nil, apiError{kind: webui.ErrNotFound, msg: "no such recording on this node"}
	}
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &webui.File{Name: strings.ReplaceAll(path, "/", "-"), ModTime: st.ModTime(), Content: f}, nil
}

// recordingFile is one recorded track on this node's disk.
type recordingFile struct {
	Path     string    `json:"path"` // under dir: <start>/<peerID>-<source>.<ivf|ogg|h264>
	Size     int64     `json:"size"`
	Modified time.Time `json:"modified"`
}

// Recordings lists what this node recorded of a meeting (other nodes' recordings stay
// on their disks), and where.
func (b *backend) Recordings(_ context.Context, id string) (any, error) {
	if _, err := b.n.mesh.Meeting(id); err != nil {
		return nil, apiErr(err)
	}
	dir := datadir.Dir(b.n.cfg.DataDir).Recordings(id)
	files := []recordingFile{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		files = append(files, recordingFile{Path: filepath.ToSlash(rel), Size: info.Size(), Modified: info.ModTime().UTC()})
		return nil
	})
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	return map[string]any{"dir": dir, "recording": b.n.media.Recording(id) != "", "files": files}, nil
}
