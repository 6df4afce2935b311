package mesh

import (
	"meshmeet/mesh/eventlog"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// Notice types on a meeting's live stream.
const (
	NoticeJoined      = eventlog.NoticeJoined
	NoticeLeft        = eventlog.NoticeLeft
	NoticeRemoved     = eventlog.NoticeRemoved
	NoticeMute        = eventlog.NoticeMute
	NoticeChat        = eventlog.NoticeChat
	NoticeUpdated     = eventlog.NoticeUpdated
	NoticeEnded       = eventlog.NoticeEnded
	NoticeMediaState  = "media-state-changed"
	NoticeLobby       = "lobby-updated"
	noticeBufferDepth = 256
)

// muteFreshness is how old a mute request may be and still mute a microphone.
const muteFreshness = 30 * time.Second

// Notice is one live event for subscribers of a meeting.
type Notice struct {
	Type string
	Data any
}

// MediaState is what presence says about a participant's media.
type MediaState struct {
	Audio       bool `json:"audio"`
	Video       bool `json:"video"`
	ScreenShare bool `json:"screenShare"`
	HandRaised  bool `json:"handRaised"`
	// HandRaisedAt is when the hand went up (unix ms), stamped by the
	// raiser's node (SetMediaState) so that every node orders hands alike.
	HandRaisedAt int64 `json:"handRaisedAt,omitempty"`
	Speaking     bool  `json:"speaking"`
}

// MeetingView is a meeting as the API shows it.
type MeetingView struct {
	ID            string            `json:"id"`
	Title         string            `json:"title"`
	Description   string            `json:"description"`
	ScheduledTime *time.Time        `json:"scheduledTime,omitempty"`
	Duration      int               `json:"duration"`
	Settings      Settings          `json:"settings"`
	Status        string            `json:"status"`
	Host          string            `json:"host"`
	CreatedAt     time.Time         `json:"createdAt"`
	EndedAt       *time.Time        `json:"endedAt,omitempty"`
	EndsAt        *time.Time        `json:"endsAt,omitempty"` // when a time-limited meeting ends by itself
	Joined        bool              `json:"joined"`
	Revision      int               `json:"revision"`           // edits by the host so far
	Recording     bool              `json:"recording"`          // somebody's node records the meeting now
	Recorder      string            `json:"recorder,omitempty"` // whose
	Participants  []ParticipantView `json:"participants"`
}

// ParticipantView is one person in a meeting.
type ParticipantView struct {
	PeerID      string      `json:"peerId"`
	Name        string      `json:"name"`
	Fingerprint string      `json:"fingerprint"`
	Role        string      `json:"role"`
	JoinedAt    time.Time   `json:"joinedAt"`
	LeftAt      *time.Time  `json:"leftAt,omitempty"`
	Online      bool        `json:"online"`
	Media       *MediaState `json:"media,omitempty"`
	// RelayCapacity is 0 for a node that must not relay media, else 1 (presence).
	RelayCapacity int `json:"relayCapacity"`
	// Site is the participant's site (presence): its media goes through the site's relay.
	Site string `json:"site,omitempty"`
}

// MessageView is one chat message.
type MessageView struct {
	ID      string    `json:"id"`
	Meeting string    `json:"meetingId"`
	From    string    `json:"from"`
	Name    string    `json:"name"`
	Text    string    `json:"text"`
	File    *FileRef  `json:"file,omitempty"` // a shared file: GET …/files/{sha256}
	Time    time.Time `json:"time"`
	HLC     uint64    `json:"hlc"`
}

// Fingerprint is the short form of a peer ID shown beside a claimed name.
func Fingerprint(id peer.ID) string {
	s := peerString(id)
	if len(s) > 6 {
		s = s[len(s)-6:]
	}
	return s
}

func (m *meeting) viewLocked(self peer.ID) MeetingView {
	st := m.st()
	v := MeetingView{ID: m.id, Status: st.Status, Host: peerString(st.Host), CreatedAt: st.Created, EndedAt: st.EndedAt, Revision: st.Revision, Participants: []ParticipantView{}}
	if r := st.Record; r != nil {
		v.Title, v.Description, v.ScheduledTime, v.Duration, v.Settings = r.Title, r.Description, r.ScheduledTime, r.Duration, r.Settings
	}
	if d := st.Deadline(); !d.IsZero() && st.Status != StatusEnded {
		v.EndsAt = &d
		if st.Over(time.Now()) {
			v.Status, v.EndedAt = StatusEnded, &d
		}
	}
	if st.In(self) && v.Status != StatusEnded {
		v.Joined = true
	}
	if st.Recorder != "" && v.Status != StatusEnded {
		v.Recording, v.Recorder = true, st.Recorder.String()
	}
	for _, id := range st.Order {
		v.Participants = append(v.Participants, m.participantLocked(id, self))
	}
	return v
}

func (m *meeting) participantLocked(id, self peer.ID) ParticipantView {
	mb := m.st().Members[id]
	p := ParticipantView{PeerID: peerString(id), Name: mb.Name, Fingerprint: Fingerprint(id), Role: mb.Role, JoinedAt: mb.JoinedAt, LeftAt: mb.LeftAt}
	if hb := m.presence[id]; hb != nil && mb.Present() {
		p.Online = true
		ms := hb.Media
		p.Media, p.RelayCapacity, p.Site = &ms, hb.RelayCapacity, hb.Site
	}
	if id == self && mb.Present() {
		p.Online = true
		ms := m.selfMedia
		p.Media, p.RelayCapacity, p.Site = &ms, m.selfCapacity, m.selfSite
	}
	return p
}

// liveLocked lists participants who are in the meeting and heard from now.
func (m *meeting) liveLocked(self peer.ID) []ParticipantView {
	out := []ParticipantView{}
	if m.st().Over(time.Now()) {
		return out
	}
	for _, id := range m.st().Order {
		p := m.participantLocked(id, self)
		if p.LeftAt == nil && p.Online {
			out = append(out, p)
		}
	}
	return out
}

func (m *meeting) messageLocked(ev *Event) MessageView {
	b := eventlog.BodyOf[eventlog.Chat](ev)
	name := ""
	if mb := m.st().Members[ev.Author]; mb != nil {
		name = mb.Name
	}
	return MessageView{ID: ev.ID, Meeting: m.id, From: ev.Author.String(), Name: name, Text: b.Text, File: b.File, Time: ev.Time(), HLC: ev.HLC}
}

// auditLocked is the meeting's audit log: its valid audited events, in order.
func (m *meeting) auditLocked() []AuditEntry {
	out := []AuditEntry{}
	for _, ev := range m.log.Events() {
		if a, ok := eventlog.Audited(ev); ok && m.st().Valid(ev.ID) {
			out = append(out, a)
		}
	}
	return out
}

// noticeLocked turns a newly valid event into a live notice.
func (m *meeting) noticeLocked(ev *Event, self peer.ID) (Notice, bool) {
	n := Notice{Type: eventlog.NoticeOf(ev.Type)}
	switch n.Type {
	case NoticeChat:
		n.Data = m.messageLocked(ev)
	case NoticeJoined, NoticeLeft:
		n.Data = m.participantLocked(ev.Author, self)
	case NoticeRemoved:
		n.Data = m.participantLocked(eventlog.TargetOf(ev), self)
	case NoticeMute:
		// Only this node's page acts, and only on a fresh request: a mute
		// learnt from history (a late sync) must not silence anyone now.
		if eventlog.TargetOf(ev) != self || time.Since(ev.Time()).Abs() > muteFreshness {
			return Notice{}, false
		}
		n.Data = m.participantLocked(ev.Author, self)
	case NoticeEnded, NoticeUpdated:
		n.Data = m.viewLocked(self)
	default:
		return Notice{}, false
	}
	return n, true
}

// publishLocked hands a notice to every subscriber without ever blocking: a
// subscriber that falls behind loses live notices, not history.
func (m *meeting) publishLocked(n Notice) (dropped int) {
	for ch := range m.listeners {
		select {
		case ch <- n:
		default:
			dropped++
		}
	}
	return dropped
}
