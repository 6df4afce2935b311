package node

import (
	"context"
	"errors"
	"io"
	"strings"
	"time"

	"meshmeet/mesh"
	"meshmeet/webui"
)

// backend adapts the mesh to the local API.
type backend struct{ n *Node }

var _ webui.Backend = (*backend)(nil)

// apiError keeps the person-readable message and the status class apart.
type apiError struct {
	kind error
	msg  string
}

func (e apiError) Error() string { return e.msg }
func (e apiError) Unwrap() error { return e.kind }

var errKinds = []struct{ mesh, api error }{
	{mesh.ErrTooLarge, webui.ErrTooLarge},
	{mesh.ErrInvalid, webui.ErrInvalid},
	{mesh.ErrWrongKey, webui.ErrWrongKey},
	{mesh.ErrClockSkew, webui.ErrClockSkew},
	{mesh.ErrForbidden, webui.ErrForbidden},
	{mesh.ErrNotFound, webui.ErrNotFound},
	{mesh.ErrConflict, webui.ErrConflict},
	{mesh.ErrNotReady, webui.ErrNotReady},
	{mesh.ErrDiskFull, webui.ErrDiskFull},
}

// apiErr maps a mesh error to the API's error classes.
func apiErr(err error) error {
	if err == nil {
		return nil
	}
	for _, k := range errKinds {
		if errors.Is(err, k.mesh) {
			msg := strings.Replace(err.Error(), k.mesh.Error()+": ", "", 1)
			return apiError{kind: k.api, msg: msg}
		}
	}
	return err
}

// meetingJSON is a meeting with the link to share it.
type meetingJSON struct {
	mesh.MeetingView
	JoinURL string `json:"joinUrl"`
}

func (b *backend) withLink(v mesh.MeetingView) meetingJSON {
	return meetingJSON{MeetingView: v, JoinURL: b.link(v.ID)}
}

// link is the join link to share: the lobby link when the meeting
// requires approval.
func (b *backend) link(id string) string {
	key, lobby, err := b.n.mesh.ShareKey(id)
	switch {
	case err != nil:
		return ""
	case lobby:
		return mesh.FormatLobbyLink(b.n.ui.URL(), id, key)
	}
	return mesh.FormatJoinLink(b.n.ui.URL(), id, key)
}

// waitingJSON is a meeting this node waits to be admitted to.
type waitingJSON struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

func (b *backend) Node(context.Context) (any, error) {
	info, err := b.n.mesh.Info()
	if err != nil {
		return nil, apiErr(err)
	}
	return struct {
		mesh.NodeInfo
		Version string `json:"version"`
		UI      string `json:"ui"`
	}{info, b.n.cfg.Version, b.n.ui.URL()}, nil
}

func (b *backend) CreateMeeting(ctx context.Context, body []byte) (any, error) {
	v, _, err := b.n.mesh.CreateMeeting(ctx, body)
	if err != nil {
		return nil, apiErr(err)
	}
	m := b.withLink(v)
	return map[string]any{"meeting": m, "joinUrl": m.JoinURL}, nil
}

func (b *backend) Meetings(context.Context) (any, error) {
	vs, err := b.n.mesh.Meetings()
	if err != nil {
		return nil, apiErr(err)
	}
	out := make([]meetingJSON, 0, len(vs))
	for _, v := range vs {
		out = append(out, b.withLink(v))
	}
	return out, nil
}

func (b *backend) Meeting(_ context.Context, id string) (any, error) {
	if b.n.mesh.Waiting(id) {
		return waitingJSON{ID: id, Status: "waiting"}, nil
	}
	if b.n.mesh.Denied(id) {
		return waitingJSON{ID: id, Status: "denied"}, nil
	}
	return b.meetingResult(b.n.mesh.Meeting(id))
}

func (b *backend) Join(ctx context.Context, joinURL string) (any, error) {
	if _, _, _, err := mesh.ParseJoinLink(joinURL); err != nil {
		return nil, apiError{kind: webui.ErrBadLink, msg: "this join link is not valid: it is incomplete or mistyped (" +
			strings.TrimPrefix(err.Error(), mesh.ErrInvalid.Error()+": ") + ")"}
	}
	v, err := b.n.mesh.Join(ctx, joinURL)
	if errors.Is(err, mesh.ErrWaiting) {
		return webui.Waiting{Body: waitingJSON{ID: v.ID, Status: "waiting"}}, nil
	}
	if err != nil {
		return nil, apiErr(err)
	}
	b.n.bridge.refreshNow(ctx)
	return b.withLink(v), nil
}

func (b *backend) Leave(ctx context.Context, id string) error {
	if err := b.n.mesh.Leave(ctx, id); err != nil {
		return apiErr(err)
	}
	b.n.bridge.refreshNow(ctx)
	return nil
}

func (b *backend) End(ctx context.Context, id string) error {
	if err := b.n.mesh.End(ctx, id); err != nil {
		return apiErr(err)
	}
	b.n.bridge.refreshNow(ctx)
	return nil
}

func (b *backend) SetRole(ctx context.Context, id, peerID, role string) (any, error) {
	return b.meetingResult(b.n.mesh.SetRole(ctx, id, peerID, role))
}

func (b *backend) UpdateMeeting(ctx context.Context, id string, body []byte) (any, error) {
	return b.meetingResult(b.n.mesh.UpdateMeeting(ctx, id, body))
}

func (b *backend) Extend(ctx context.Context, id string, minutes int) (any, error) {
	return b.meetingResult(b.n.mesh.Extend(ctx, id, minutes))
}

func (b *backend) Rekey(ctx context.Context, id string) (any, error) {
	return b.meetingResult(b.n.mesh.Rekey(ctx, id))
}

// meetingResult answers with the meeting and its link, or the mapped error.
func (b *backend) meetingResult(v mesh.MeetingView, err error) (any, error) {
	if err != nil {
		return nil, apiErr(err)
	}
	return b.withLink(v), nil
}

func (b *backend) Admit(ctx context.Context, id, peerID string) error {
	return apiErr(b.n.mesh.Admit(ctx, id, peerID))
}

func (b *backend) Deny(ctx context.Context, id, peerID string) error {
	return apiErr(b.n.mesh.Deny(ctx, id, peerID))
}

func (b *backend) Mute(ctx context.Context, id, peerID string) error {
	return apiErr(b.n.mesh.Mute(ctx, id, peerID))
}

func (b *backend) Remove(ctx context.Context, id, peerID string) error {
	if err := b.n.mesh.Remove(ctx, id, peerID); err != nil {
		return apiErr(err)
	}
	b.n.bridge.refreshNow(ctx)
	return nil
}

func (b *backend) Lobby(_ context.Context, id string) (any, error) {
	l, err := b.n.mesh.Lobby(id)
	return l, apiErr(err)
}

func (b *backend) Messages(_ context.Context, id, after string, limit int) (any, error) {
	ms, err := b.n.mesh.Messages(id, after, limit)
	return ms, apiErr(err)
}

func (b *backend) PostMessage(ctx context.Context, id, text string) (any, error) {
	m, err := b.n.mesh.PostMessage(ctx, id, text)
	if err != nil {
		return nil, apiErr(err)
	}
	return m, nil
}

// fileWait is how long a download waits for a file still being fetched.
const fileWait = time.Minute

func (b *backend) ShareFile(ctx context.Context, id, name, mediaType string, body io.Reader) (any, error) {
	m, err := b.n.mesh.ShareFile(ctx, id, name, mediaType, "", body)
	if err != nil {
		return nil, apiErr(err)
	}
	return m, nil
}

func (b *backend) OpenFile(ctx context.Context, id, sha string) (*webui.File, error) {
	ctx, cancel := context.WithTimeout(ctx, fileWait)
	defer cancel()
	f, ref, err := b.n.mesh.OpenFile(ctx, id, sha)
	if err != nil {
		return nil, apiErr(err)
	}
	var mod time.Time
	if st, err := f.Stat(); err == nil {
		mod = st.ModTime()
	}
	return &webui.File{Name: ref.Name, ModTime: mod, Content: f}, nil
}

func (b *backend) Participants(_ context.Context, id string) (any, error) {
	ps, err := b.n.mesh.Participants(id)
	return ps, apiErr(err)
}

func (b *backend) SetMediaState(ctx context.Context, id string, body []byte) (any, error) {
	p, err := b.n.mesh.SetMediaState(ctx, id, body)
	if err != nil {
		return nil, apiErr(err)
	}
	return p, nil
}

func (b *backend) Media(_ context.Context, id string) (any, error) {
	if _, err := b.n.mesh.Meeting(id); err != nil {
		return nil, apiErr(err)
	}
	if st := b.n.media.Stats(id); st != nil {
		return st, nil
	}
	return map[string]any{"mode": "mesh", "relay": "", "epoch": 0, "links": []any{}, "tracks": []any{}}, nil
}

func (b *backend) Calendar(_ context.Context, id string) ([]byte, error) {
	v, err := b.n.mesh.Meeting(id)
	if err != nil {
		return nil, apiErr(err)
	}
	return calendarICS(v, b.link(id), time.Now()), nil
}

func (b *backend) Audit(_ context.Context, id string) (any, error) {
	a, err := b.n.mesh.Audit(id)
	return a, apiErr(err)
}

func (b *backend) Subscribe(ctx context.Context, id string) (<-chan webui.Event, error) {
	ch, err := b.n.mesh.Subscribe(ctx, id)
	if err != nil {
		return nil, apiErr(err)
	}
	out := make(chan webui.Event, 64)
	b.n.bridge.addBrowser(id, out)
	go func() {
		// Only this goroutine closes out, after the bridge lets go of it.
		defer close(out)
		defer b.n.bridge.removeBrowser(id, out)
		for n := range ch {
			select {
			case out <- webui.Event{Type: n.Type, Data: n.Data}:
			case <-ctx.Done():
				for range ch {
				}
				return
			}
		}
	}()
	return out, nil
}
