package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"meshmeet/mesh"
	"meshmeet/mesh/datadir"
	"meshmeet/node/export"
	"meshmeet/webui"
	"meshmeet/webui/api"
)

// Export renders the meeting's record (participants, chat with files by
// name and hash, activity) as md, html or json.
func (n *Node) Export(id, format string) ([]byte, error) {
	v, err := n.mesh.Meeting(id)
	if err != nil {
		return nil, err
	}
	msgs, err := n.mesh.Messages(id, "", 0)
	if err != nil {
		return nil, err
	}
	audit, err := n.mesh.Audit(id)
	if err != nil {
		return nil, err
	}
	return export.Render(exportRecord(v, msgs, audit, n.mesh.Self().String(), n.now()), format)
}

func exportRecord(v mesh.MeetingView, msgs []mesh.MessageView, audit []mesh.AuditEntry, self string, now time.Time) export.Record {
	names := map[string]string{}
	r := export.Record{
		Meeting: export.Meeting{ID: v.ID, Title: v.Title, Description: v.Description, Host: v.Host, Status: v.Status,
			CreatedAt: v.CreatedAt, ScheduledTime: v.ScheduledTime, EndedAt: v.EndedAt, Duration: v.Duration},
		Participants: []export.Participant{}, Chat: []export.Message{}, Activity: []export.Activity{},
		ExportedAt: now.UTC(), ExportedBy: self,
	}
	for _, p := range v.Participants {
		names[p.PeerID] = p.Name
		r.Participants = append(r.Participants, export.Participant{PeerID: p.PeerID, Name: p.Name, Fingerprint: p.Fingerprint,
			Role: p.Role, JoinedAt: p.JoinedAt, LeftAt: p.LeftAt})
	}
	r.Meeting.HostName = names[v.Host]
	for _, m := range msgs {
		c := export.Message{Time: m.Time, PeerID: m.From, Name: m.Name, Text: m.Text}
		if m.File != nil {
			c.File = &export.File{Name: m.File.Name, Size: m.File.Size, SHA256: m.File.SHA256}
		}
		r.Chat = append(r.Chat, c)
	}
	for _, a := range audit {
		r.Activity = append(r.Activity, export.Activity{Time: a.Time, Type: a.Type, Actor: a.Actor, ActorName: names[a.Actor],
			Target: a.Target, TargetName: names[a.Target], Role: a.Role, Minutes: a.Minutes})
	}
	return r
}

// DeleteMeeting deletes this node's copy of a meeting: it leaves, then its
// history and shared files go (mesh.Forget) and its recordings on this
// disk. The other members keep theirs.
func (n *Node) DeleteMeeting(ctx context.Context, id string) error {
	if err := n.mesh.Forget(ctx, id); err != nil {
		return err
	}
	n.bridge.refreshNow(ctx) // the engine leaves the meeting, which stops a recording
	if err := os.RemoveAll(datadir.Dir(n.cfg.DataDir).Recordings(id)); err != nil {
		return fmt.Errorf("delete the recordings of meeting %s: %w", id, err)
	}
	n.log.Info("meeting deleted", "meeting", id)
	return nil
}

func (b *backend) Export(_ context.Context, id, format string) (*webui.File, error) {
	data, err := b.n.Export(id, format)
	if errors.Is(err, export.ErrFormat) {
		return nil, api.ErrInvalid.With("the format must be md, html or json")
	}
	if err != nil {
		return nil, apiErr(err)
	}
	return &webui.File{Name: "meeting-" + id + "." + format, ModTime: b.n.now(), Content: nopCloser{bytes.NewReader(data)}}, nil
}

func (b *backend) Delete(ctx context.Context, id string) error {
	return apiErr(b.n.DeleteMeeting(ctx, id))
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }
