package node

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"meshmeet/mesh/datadir"
	"meshmeet/webui"
	"meshmeet/webui/api"
)

func (b *backend) SetRecording(ctx context.Context, id string, on bool) (api.Meeting, error) {
	v, err := b.n.mesh.SetRecording(ctx, id, on)
	if err != nil {
		return api.Meeting{}, apiErr(err)
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
		return nil, api.ErrInvalid.With("not a recording's path; take one from GET …/recordings")
	}
	f, err := os.OpenInRoot(datadir.Dir(b.n.cfg.DataDir).Recordings(id), filepath.FromSlash(path))
	if errors.Is(err, os.ErrNotExist) {
		return nil, api.ErrNotFound.With("no such recording on this node")
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

// Recordings lists what this node recorded of a meeting (other nodes' recordings stay
// on their disks), and where.
func (b *backend) Recordings(_ context.Context, id string) (api.Recordings, error) {
	v, err := b.n.mesh.Meeting(id)
	if err != nil {
		return api.Recordings{}, apiErr(err)
	}
	dir := datadir.Dir(b.n.cfg.DataDir).Recordings(id)
	files := []api.RecordingFile{}
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		files = append(files, api.RecordingFile{Path: filepath.ToSlash(rel), Size: info.Size(), Modified: info.ModTime().UTC()})
		return nil
	})
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return api.Recordings{}, err
	}
	// The log names everyone who was ever in the meeting, those gone too.
	names := map[string]string{}
	for _, p := range v.Participants {
		names[p.PeerID] = p.Name
	}
	return api.Recordings{Dir: dir, Recording: b.n.media.Recording(id) != "", Files: files, Names: names}, nil
}
