package node

import (
	"meshmeet/media"
	"meshmeet/mesh"
	"meshmeet/webui/api"
)

// The mesh and the media engine keep their own views (they may not import
// webui, DESIGN.md §1); these turn them into the API's wire types
// (webui/api), by conversion where the fields are the same, so that a field
// added on either side is a compile error here, not a silent change on the wire.

func meetingOf(v mesh.MeetingView, link string) api.Meeting {
	m := api.Meeting{ID: v.ID, Title: v.Title, Description: v.Description, ScheduledTime: v.ScheduledTime,
		Duration: v.Duration, Status: v.Status, Host: v.Host, CreatedAt: v.CreatedAt, EndedAt: v.EndedAt,
		EndsAt: v.EndsAt, Joined: v.Joined, Revision: v.Revision, Recording: v.Recording, Recorder: v.Recorder,
		Settings:     api.Settings(v.Settings),
		Participants: each(v.Participants, participantOf), JoinURL: link}
	return m
}

// each converts every element of xs with f.
func each[T, U any](xs []T, f func(T) U) []U {
	out := make([]U, 0, len(xs))
	for _, x := range xs {
		out = append(out, f(x))
	}
	return out
}

func participantOf(p mesh.ParticipantView) api.Participant {
	out := api.Participant{PeerID: p.PeerID, Name: p.Name, Fingerprint: p.Fingerprint, Role: p.Role,
		JoinedAt: p.JoinedAt, LeftAt: p.LeftAt, Online: p.Online, RelayCapacity: p.RelayCapacity}
	if ms := p.Media; ms != nil {
		st := api.MediaState(*ms)
		out.Media = &st
	}
	return out
}

func messageOf(m mesh.MessageView) api.Message {
	out := api.Message{ID: m.ID, Meeting: m.Meeting, From: m.From, Name: m.Name, Text: m.Text, Time: m.Time, HLC: m.HLC}
	if f := m.File; f != nil {
		ref := api.FileRef(*f)
		out.File = &ref
	}
	return out
}

func nodeOf(info mesh.NodeInfo) api.Node {
	n := api.Node{PeerID: info.PeerID, Name: info.Name, Addresses: info.Addresses, Peers: info.Peers,
		Rendezvous: each(info.Rendezvous, func(r mesh.RendezvousStatus) api.Rendezvous { return api.Rendezvous(r) }),
		Clock:      api.ClockStatus(info.Clock)}
	if c := info.IdentityClash; c != nil {
		n.IdentityClash = &api.IdentityClash{Since: c.Since, Last: c.Last, ReportedBy: c.ReportedBy}
	}
	return n
}

func mediaStatsOf(st *media.MeetingStats) api.MediaStats {
	out := api.MediaStats{MeetingID: st.MeetingID, Mode: st.Mode, Relay: st.Relay, Self: st.Self, Browser: st.Browser,
		Links:      each(st.Links, func(l media.LinkStats) api.LinkStats { return api.LinkStats(l) }),
		TracksSent: each(st.TracksSent, trackOf), TracksReceived: each(st.TracksReceived, trackOf),
		TracksToBrowser: each(st.TracksToBrowser, trackOf)}
	return out
}

// eventOf turns a mesh notice into the event the page gets.
func (b *backend) eventOf(n mesh.Notice) api.Event {
	ev := api.Event{Type: n.Type}
	switch d := n.Data.(type) {
	case mesh.ParticipantView:
		ev.Data = participantOf(d)
	case mesh.MessageView:
		ev.Data = messageOf(d)
	case mesh.MeetingView:
		ev.Data = meetingOf(d, b.link(d.ID))
	case []mesh.LobbyEntry:
		ev.Data = each(d, lobbyEntryOf)
	case mesh.Reaction:
		ev.Meeting, ev.Peer, ev.Emoji = d.Meeting, d.Peer, d.Emoji
	default:
		ev.Data = d
	}
	return ev
}

func trackOf(t media.TrackStats) api.TrackStats        { return api.TrackStats(t) }
func lobbyEntryOf(e mesh.LobbyEntry) api.LobbyEntry    { return api.LobbyEntry(e) }
func auditEntryOf(e mesh.AuditEntry) api.AuditEntry    { return api.AuditEntry(e) }
func clockOffsetOf(c mesh.ClockOffset) api.ClockOffset { return api.ClockOffset(c) }
