package node

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

func (b *backend) SetRecording(ctx context.Context, id string, on bool) (any, error) {
	v, err := b.n.mesh.SetRecording(ctx, id, on)
	if err != nil {
		return nil, apiErr(err)
	}
	b.n.bridge.refreshNow(ctx) // start or stop the engine's recording now
	return b.withLink(v), nil
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
	dir := recordingsDir(b.n.cfg.DataDir, id)
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
