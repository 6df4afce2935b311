package node

import (
	"context"
	"errors"
	"io"
	"strings"
	"time"

	"meshmeet/media"
	"meshmeet/mesh"
	"meshmeet/webui"
	"meshmeet/webui/api"
)

// backend adapts the mesh to the local API.
type backend struct{ n *Node }

var _ webui.Backend = (*backend)(nil)

// errKinds maps the mesh's sentinel errors to the API's error kinds.
var errKinds = []struct {
	mesh error
	api  *api.Error
}{
	{mesh.ErrTooLarge, api.ErrTooLarge},
	{mesh.ErrInvalid, api.ErrInvalid},
	{mesh.ErrWrongKey, api.ErrWrongKey},
	{mesh.ErrClockSkew, api.ErrClockSkew},
	{mesh.ErrForbidden, api.ErrForbidden},
	{mesh.ErrNotFound, api.ErrNotFound},
	{mesh.ErrConflict, api.ErrConflict},
	{mesh.ErrNotReady, api.ErrNotReady},
	{mesh.ErrDiskFull, api.ErrDiskFull},
	{mesh.ErrRateLimited, api.ErrRateLimited},
	{mesh.ErrBadReaction, api.ErrBadReaction},
}

// apiErr maps a mesh error to the API's error kinds, keeping the
// person-readable message without the sentinel's own words.
func apiErr(err error) error {
	if err == nil {
		return nil
	}
	for _, k := range errKinds {
		if errors.Is(err, k.mesh) {
			return k.api.With("%s", strings.Replace(err.Error(), k.mesh.Error()+": ", "", 1))
		}
	}
	return err
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

func (b *backend) withLink(v mesh.MeetingView) api.Meeting { return meetingOf(v, b.link(v.ID)) }

func (b *backend) Node(context.Context) (api.Node, error) {
	info, err := b.n.mesh.Info()
	if err != nil {
		return api.Node{}, apiErr(err)
	}
	n := nodeOf(info)
	n.Version, n.UI = b.n.cfg.Version, b.n.ui.URL()
	return n, nil
}

func (b *backend) CreateMeeting(ctx context.Context, body []byte) (api.Created, error) {
	v, _, err := b.n.mesh.CreateMeeting(ctx, body)
	if err != nil {
		return api.Created{}, apiErr(err)
	}
	m := b.withLink(v)
	return api.Created{Meeting: m, JoinURL: m.JoinURL}, nil
}

func (b *backend) Meetings(context.Context) ([]api.Meeting, error) {
	vs, err := b.n.mesh.Meetings()
	if err != nil {
		return nil, apiErr(err)
	}
	out := make([]api.Meeting, 0, len(vs))
	for _, v := range vs {
		out = append(out, b.withLink(v))
	}
	return out, nil
}

func (b *backend) Meeting(_ context.Context, id string) (*api.Meeting, *api.Waiting, error) {
	if b.n.mesh.Waiting(id) {
		return nil, &api.Waiting{ID: id, Status: api.StatusWaiting}, nil
	}
	if b.n.mesh.Denied(id) {
		return nil, &api.Waiting{ID: id, Status: api.StatusDenied}, nil
	}
	m, err := b.meetingResult(b.n.mesh.Meeting(id))
	if err != nil {
		return nil, nil, err
	}
	return &m, nil, nil
}

func (b *backend) Join(ctx context.Context, joinURL string) (*api.Meeting, *api.Waiting, error) {
	if _, _, _, err := mesh.ParseJoinLink(joinURL); err != nil {
		return nil, nil, api.ErrBadLink.With("this join link is not valid: it is incomplete or mistyped (%s)",
			strings.TrimPrefix(err.Error(), mesh.ErrInvalid.Error()+": "))
	}
	v, err := b.n.mesh.Join(ctx, joinURL)
	if errors.Is(err, mesh.ErrWaiting) {
		return nil, &api.Waiting{ID: v.ID, Status: api.StatusWaiting}, nil
	}
	if err != nil {
		return nil, nil, apiErr(err)
	}
	b.n.bridge.refreshNow(ctx)
	m := b.withLink(v)
	return &m, nil, nil
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

func (b *backend) SetRole(ctx context.Context, id, peerID, role string) (api.Meeting, error) {
	return b.meetingResult(b.n.mesh.SetRole(ctx, id, peerID, role))
}

func (b *backend) UpdateMeeting(ctx context.Context, id string, body []byte) (api.Meeting, error) {
	return b.meetingResult(b.n.mesh.UpdateMeeting(ctx, id, body))
}

func (b *backend) Extend(ctx context.Context, id string, minutes int) (api.Meeting, error) {
	return b.meetingResult(b.n.mesh.Extend(ctx, id, minutes))
}

func (b *backend) Rekey(ctx context.Context, id string) (api.Meeting, error) {
	return b.meetingResult(b.n.mesh.Rekey(ctx, id))
}

// meetingResult answers with the meeting and its link, or the mapped error.
func (b *backend) meetingResult(v mesh.MeetingView, err error) (api.Meeting, error) {
	if err != nil {
		return api.Meeting{}, apiErr(err)
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

func (b *backend) Lobby(_ context.Context, id string) ([]api.LobbyEntry, error) {
	l, err := b.n.mesh.Lobby(id)
	return each(l, lobbyEntryOf), apiErr(err)
}

func (b *backend) Messages(_ context.Context, id, after string, limit int) ([]api.Message, error) {
	ms, err := b.n.mesh.Messages(id, after, limit)
	return each(ms, messageOf), apiErr(err)
}

func (b *backend) PostMessage(ctx context.Context, id, text string) (api.Message, error) {
	m, err := b.n.mesh.PostMessage(ctx, id, text)
	return messageOf(m), apiErr(err)
}

// fileWait is how long a download waits for a file still being fetched.
const fileWait = time.Minute

func (b *backend) ShareFile(ctx context.Context, id, name, mediaType string, body io.Reader) (api.Message, error) {
	m, err := b.n.mesh.ShareFile(ctx, id, name, mediaType, "", body)
	return messageOf(m), apiErr(err)
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

func (b *backend) Participants(_ context.Context, id string) ([]api.Participant, error) {
	ps, err := b.n.mesh.Participants(id)
	return each(ps, participantOf), apiErr(err)
}

func (b *backend) SetMediaState(ctx context.Context, id string, body []byte) (api.Participant, error) {
	p, err := b.n.mesh.SetMediaState(ctx, id, body)
	return participantOf(p), apiErr(err)
}

func (b *backend) React(ctx context.Context, id, emoji string) error {
	return apiErr(b.n.mesh.React(ctx, id, emoji))
}

func (b *backend) Media(_ context.Context, id string) (api.MediaStats, error) {
	if _, err := b.n.mesh.Meeting(id); err != nil {
		return api.MediaStats{}, apiErr(err)
	}
	if st, ok := b.n.media.Stats(id).(*media.MeetingStats); ok && st != nil {
		return mediaStatsOf(st), nil
	}
	return api.MediaStats{MeetingID: id, Mode: "mesh", Browser: "none", Links: []api.LinkStats{},
		TracksSent: []api.TrackStats{}, TracksReceived: []api.TrackStats{}, TracksToBrowser: []api.TrackStats{}}, nil
}

func (b *backend) Calendar(_ context.Context, id string) ([]byte, error) {
	v, err := b.n.mesh.Meeting(id)
	if err != nil {
		return nil, apiErr(err)
	}
	return calendarICS(v, b.link(id), time.Now()), nil
}

func (b *backend) Audit(_ context.Context, id string) ([]api.AuditEntry, error) {
	a, err := b.n.mesh.Audit(id)
	return each(a, auditEntryOf), apiErr(err)
}

func (b *backend) Subscribe(ctx context.Context, id string) (<-chan api.Event, error) {
	ch, err := b.n.mesh.Subscribe(ctx, id)
	if err != nil {
		return nil, apiErr(err)
	}
	out := make(chan api.Event, 64)
	b.n.bridge.addBrowser(id, out)
	go func() {
		// Only this goroutine closes out, after the bridge lets go of it.
		defer close(out)
		defer b.n.bridge.removeBrowser(id, out)
		for n := range ch {
			select {
			case out <- b.eventOf(n):
			case <-ctx.Done():
				for range ch {
				}
				return
			}
		}
	}()
	return out, nil
}
