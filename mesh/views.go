package mesh

import (
	"encoding/json"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// Notice types on a meeting's live stream.
const (
	NoticeJoined      = "participant-joined"
	NoticeLeft        = "participant-left"
	NoticeRemoved     = "participant-removed"
	NoticeMute        = "mute-requested"
	NoticeChat        = "chat-message"
	NoticeMediaState  = "media-state-changed"
	NoticeUpdated     = "meeting-updated"
	NoticeEnded       = "meeting-ended"
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
	Speaking    bool `json:"speaking"`
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

// AuditEntry is one control event of a meeting.
type AuditEntry struct {
	ID      string    `json:"id"`
	Type    string    `json:"type"`
	Actor   string    `json:"actor"`
	Target  string    `json:"target,omitempty"`
	Role    string    `json:"role,omitempty"`
	Minutes int       `json:"minutes,omitempty"` // of an extension
	Time    time.Time `json:"time"`
	HLC     uint64    `json:"hlc"`
}

// Fingerprint is the short form of a peer ID shown beside a claimed name.
func Fingerprint(id peer.ID) string {
	s := id.String()
	if len(s) > 6 {
		s = s[len(s)-6:]
	}
	return s
}

func (m *meeting) viewLocked(self peer.ID) MeetingView {
	st := m.st
	v := MeetingView{ID: m.id, Status: st.status, Host: st.host.String(), CreatedAt: st.created, EndedAt: st.endedAt, Revision: st.revision, Participants: []ParticipantView{}}
	if r := st.record; r != nil {
		v.Title, v.Description, v.ScheduledTime, v.Duration, v.Settings = r.Title, r.Description, r.ScheduledTime, r.Duration, r.Settings
	}
	if d := st.deadline(); !d.IsZero() && st.status != StatusEnded {
		v.EndsAt = &d
		if st.over(time.Now()) {
			v.Status, v.EndedAt = StatusEnded, &d
		}
	}
	if me := st.members[self]; me != nil && me.present() && v.Status != StatusEnded {
		v.Joined = true
	}
	if st.recorder != "" && v.Status != StatusEnded {
		v.Recording, v.Recorder = true, st.recorder.String()
	}
	for _, id := range st.order {
		v.Participants = append(v.Participants, m.participantLocked(id, self))
	}
	return v
}

func (m *meeting) participantLocked(id, self peer.ID) ParticipantView {
	mb := m.st.members[id]
	p := ParticipantView{PeerID: id.String(), Name: mb.Name, Fingerprint: Fingerprint(id), Role: mb.Role, JoinedAt: mb.JoinedAt, LeftAt: mb.LeftAt}
	if hb := m.presence[id]; hb != nil && mb.present() {
		p.Online = true
		ms := hb.Media
		p.Media, p.RelayCapacity = &ms, hb.RelayCapacity
	}
	if id == self && mb.present() {
		p.Online = true
		ms := m.selfMedia
		p.Media, p.RelayCapacity = &ms, m.selfCapacity
	}
	return p
}

// liveLocked lists participants who are in the meeting and heard from now.
func (m *meeting) liveLocked(self peer.ID) []ParticipantView {
	out := []ParticipantView{}
	if m.st.over(time.Now()) {
		return out
	}
	for _, id := range m.st.order {
		p := m.participantLocked(id, self)
		if p.LeftAt == nil && p.Online {
			out = append(out, p)
		}
	}
	return out
}

func (m *meeting) messageLocked(ev *Event) MessageView {
	var b chatBody
	_ = json.Unmarshal(ev.Body, &b)
	name := ""
	if mb := m.st.members[ev.Author]; mb != nil {
		name = mb.Name
	}
	return MessageView{ID: ev.ID, Meeting: m.id, From: ev.Author.String(), Name: name, Text: b.Text, File: b.File, Time: hlcTime(ev.HLC), HLC: ev.HLC}
}

// auditLocked is the meeting's audit log: every valid event but chat, in order.
func (m *meeting) auditLocked() []AuditEntry {
	out := []AuditEntry{}
	for _, ev := range m.events {
		if ev.Type != TypeChat && m.st.valid[ev.ID] {
			out = append(out, auditEntry(ev))
		}
	}
	return out
}

func auditEntry(ev *Event) AuditEntry {
	a := AuditEntry{ID: ev.ID, Type: ev.Type, Actor: ev.Author.String(), Time: hlcTime(ev.HLC), HLC: ev.HLC}
	if ev.Type == TypeGenesis {
		a.Type = "created"
	}
	switch ev.Type {
	case TypeRole:
		var b roleBody
		_ = json.Unmarshal(ev.Body, &b)
		a.Target, a.Role = b.Peer, b.Role
	case TypeAdmit, TypeDeny, TypeRemove, TypeMute:
		var b admitBody
		_ = json.Unmarshal(ev.Body, &b)
		a.Target = b.Peer
	case TypeRecord:
		var b recordBody
		_ = json.Unmarshal(ev.Body, &b)
		a.Type = map[bool]string{true: "recording-started", false: "recording-stopped"}[b.On]
	case TypeExtend:
		var b extendBody
		_ = json.Unmarshal(ev.Body, &b)
		a.Minutes = b.Minutes
	}
	return a
}

// noticeLocked turns a newly valid event into a live notice.
func (m *meeting) noticeLocked(ev *Event, self peer.ID) (Notice, bool) {
	switch ev.Type {
	case TypeChat:
		return Notice{NoticeChat, m.messageLocked(ev)}, true
	case TypeJoin:
		return Notice{NoticeJoined, m.participantLocked(ev.Author, self)}, true
	case TypeLeave:
		return Notice{NoticeLeft, m.participantLocked(ev.Author, self)}, true
	case TypeRemove:
		var b admitBody
		_ = json.Unmarshal(ev.Body, &b)
		target, _ := peer.Decode(b.Peer)
		return Notice{NoticeRemoved, m.participantLocked(target, self)}, true
	case TypeMute:
		// Only this node's page acts, and only on a fresh request: a mute
		// learnt from history (a late sync) must not silence anyone now.
		var b admitBody
		_ = json.Unmarshal(ev.Body, &b)
		if b.Peer != self.String() || time.Since(hlcTime(ev.HLC)).Abs() > muteFreshness {
			return Notice{}, false
		}
		return Notice{NoticeMute, m.participantLocked(ev.Author, self)}, true
	case TypeEnd:
		return Notice{NoticeEnded, m.viewLocked(self)}, true
	case TypeGenesis, TypeRole, TypeAdmit, TypeDeny, TypeRecord, TypeExtend, TypeUpdate:
		return Notice{NoticeUpdated, m.viewLocked(self)}, true
	}
	return Notice{}, false
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
