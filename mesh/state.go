package mesh

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// Meeting statuses.
const (
	StatusScheduled = "scheduled"
	StatusActive    = "active"
	StatusEnded     = "ended"
)

// member is one participant as the log describes them.
type member struct {
	Name     string
	Role     string
	JoinedAt time.Time
	LeftAt   *time.Time
}

func (m *member) present() bool { return m.LeftAt == nil }

// state is a meeting folded from its log in (HLC, ID) order. The same set of
// events gives the same state on every node; events that break a rule at
// their place in that order are skipped.
type state struct {
	id       string
	record   *Record
	host     peer.ID
	created  time.Time
	status   string
	endedAt  *time.Time
	members  map[peer.ID]*member
	order    []peer.ID // first-join order
	admitted map[peer.ID]bool
	denied   map[peer.ID]bool // turned away in the lobby, until admitted after all
	removed  map[peer.ID]bool // removed from the meeting, until admitted again
	recorder peer.ID          // whose node records now; "" when nobody does
	started  time.Time        // first join: the duration counts from here
	extra    int              // minutes added by extensions
	revision int              // updates applied to the record
	valid    map[string]bool
}

func newState(id string) *state {
	return &state{id: id, status: StatusScheduled, members: map[peer.ID]*member{}, admitted: map[peer.ID]bool{}, denied: map[peer.ID]bool{}, removed: map[peer.ID]bool{}, valid: map[string]bool{}}
}

func (s *state) presentCount() int {
	n := 0
	for _, m := range s.members {
		if m.present() {
			n++
		}
	}
	return n
}

// check says whether ev may come next; it changes nothing.
func (s *state) check(ev *Event) error {
	if ev.Type == TypeGenesis {
		if s.record != nil || ev.ID[:32] != s.id {
			return fmt.Errorf("%w: genesis does not match meeting", ErrInvalid)
		}
		return nil
	}
	if s.record == nil {
		return fmt.Errorf("%w: meeting record not known yet", ErrNotFound)
	}
	if ev.Meeting != s.id {
		return fmt.Errorf("%w: event for another meeting", ErrInvalid)
	}
	if s.status == StatusEnded {
		return fmt.Errorf("%w: the meeting has ended", ErrConflict)
	}
	if s.over(hlcTime(ev.HLC)) {
		return fmt.Errorf("%w: the meeting's time is up", ErrConflict)
	}
	m := s.members[ev.Author]
	inMeeting := m != nil && m.present()
	switch ev.Type {
	case TypeJoin:
		if s.removed[ev.Author] {
			return fmt.Errorf("%w: you were removed from this meeting", ErrForbidden)
		}
		if s.record.Settings.RequireApproval && ev.Author != s.host && !s.admitted[ev.Author] {
			return fmt.Errorf("%w: waiting for the host to admit you", ErrForbidden)
		}
		if inMeeting {
			return fmt.Errorf("%w: already in the meeting", ErrConflict)
		}
		if s.presentCount() >= s.record.Settings.MaxParticipants {
			return fmt.Errorf("%w: the meeting is full (at most %d participants)", ErrConflict, s.record.Settings.MaxParticipants)
		}
	case TypeLeave:
		if !inMeeting {
			return fmt.Errorf("%w: not in the meeting", ErrConflict)
		}
	case TypeChat:
		if !s.record.Settings.EnableChat {
			return fmt.Errorf("%w: chat is disabled in this meeting", ErrForbidden)
		}
		if !inMeeting {
			return fmt.Errorf("%w: join the meeting before chatting", ErrForbidden)
		}
	case TypeEnd:
		if ev.Author != s.host {
			return fmt.Errorf("%w: only the host can end the meeting", ErrForbidden)
		}
	case TypeAdmit, TypeDeny:
		if !inMeeting || (m.Role != RoleHost && m.Role != RoleModerator) {
			return fmt.Errorf("%w: only the host or a moderator can admit or deny", ErrForbidden)
		}
		if ev.Type == TypeDeny {
			var b admitBody
			_ = json.Unmarshal(ev.Body, &b)
			if target, _ := peer.Decode(b.Peer); s.admitted[target] {
				return fmt.Errorf("%w: already admitted", ErrConflict)
			}
		}
	case TypeRemove, TypeMute:
		// The host removes or mutes anyone else; a moderator, plain participants.
		what := map[string]string{TypeRemove: "remove", TypeMute: "mute"}[ev.Type]
		if !inMeeting || (m.Role != RoleHost && m.Role != RoleModerator) {
			return fmt.Errorf("%w: only the host or a moderator can %s a participant", ErrForbidden, what)
		}
		var b admitBody
		_ = json.Unmarshal(ev.Body, &b)
		target, _ := peer.Decode(b.Peer)
		t := s.members[target]
		switch {
		case t == nil || !t.present():
			return fmt.Errorf("%w: no such participant in the meeting", ErrConflict)
		case target == s.host:
			return fmt.Errorf("%w: nobody can %s the host", ErrForbidden, what)
		case t.Role == RoleModerator && ev.Author != s.host:
			return fmt.Errorf("%w: only the host can %s a moderator", ErrForbidden, what)
		}
	case TypeRecord:
		if !inMeeting || (m.Role != RoleHost && m.Role != RoleModerator) {
			return fmt.Errorf("%w: only the host or a moderator can start or stop recording", ErrForbidden)
		}
		if !s.record.Settings.EnableRecording {
			return fmt.Errorf("%w: recording is not allowed in this meeting", ErrForbidden)
		}
		var b recordBody
		_ = json.Unmarshal(ev.Body, &b)
		if b.On == (s.recorder != "") {
			return fmt.Errorf("%w: recording is already %s", ErrConflict, map[bool]string{true: "on", false: "off"}[b.On])
		}
	case TypeUpdate:
		if ev.Author != s.host {
			return fmt.Errorf("%w: only the host can edit the meeting", ErrForbidden)
		}
		var b updateBody
		_ = json.Unmarshal(ev.Body, &b)
		r := b.applyTo(*s.record)
		switch d := deadlineOf(&r, s.started, s.extra); {
		case b.Settings.RequireApproval != s.record.Settings.RequireApproval:
			return fmt.Errorf("%w: whether the meeting requires approval is fixed when it is created", ErrConflict)
		case b.Duration+s.extra > MaxDuration:
			return fmt.Errorf("%w: a meeting lasts at most %d minutes", ErrConflict, MaxDuration)
		case !d.IsZero() && !hlcTime(ev.HLC).Before(d):
			return fmt.Errorf("%w: that would end the meeting now; end it instead", ErrConflict)
		}
	case TypeExtend:
		if !inMeeting || (m.Role != RoleHost && m.Role != RoleModerator) {
			return fmt.Errorf("%w: only the host or a moderator can extend the meeting", ErrForbidden)
		}
		var b extendBody
		_ = json.Unmarshal(ev.Body, &b)
		if err := s.canExtend(b.Minutes); err != nil {
			return err
		}
	case TypeRole:
		if ev.Author != s.host {
			return fmt.Errorf("%w: only the host can change roles", ErrForbidden)
		}
		var b roleBody
		_ = json.Unmarshal(ev.Body, &b)
		target, err := peer.Decode(b.Peer)
		if err != nil || s.members[target] == nil || target == s.host {
			return fmt.Errorf("%w: no such participant to change", ErrInvalid)
		}
	}
	return nil
}

// apply folds ev in if it is valid at this point and reports whether it was.
func (s *state) apply(ev *Event) bool {
	if err := s.check(ev); err != nil {
		return false
	}
	s.valid[ev.ID] = true
	at := hlcTime(ev.HLC)
	switch ev.Type {
	case TypeGenesis:
		var r Record
		_ = json.Unmarshal(ev.Body, &r)
		s.record, s.host, s.created = &r, ev.Author, at
	case TypeJoin:
		var b joinBody
		_ = json.Unmarshal(ev.Body, &b)
		m := s.members[ev.Author]
		if m == nil {
			m = &member{Role: RoleParticipant}
			if ev.Author == s.host {
				m.Role = RoleHost
			}
			s.members[ev.Author] = m
			s.order = append(s.order, ev.Author)
		}
		m.JoinedAt, m.LeftAt, m.Name = at, nil, b.Name
		s.status = StatusActive
		if s.started.IsZero() {
			s.started = at
		}
	case TypeLeave:
		s.members[ev.Author].LeftAt = &at
		if s.recorder == ev.Author {
			s.recorder = "" // the recording node left: the recording ends
		}
	case TypeRecord:
		var b recordBody
		_ = json.Unmarshal(ev.Body, &b)
		s.recorder = ""
		if b.On {
			s.recorder = ev.Author
		}
	case TypeExtend:
		var b extendBody
		_ = json.Unmarshal(ev.Body, &b)
		s.extra += b.Minutes
	case TypeUpdate:
		var b updateBody
		_ = json.Unmarshal(ev.Body, &b)
		r := b.applyTo(*s.record)
		s.record = &r
		s.revision++
	case TypeRole:
		var b roleBody
		_ = json.Unmarshal(ev.Body, &b)
		target, _ := peer.Decode(b.Peer)
		s.members[target].Role = b.Role
	case TypeAdmit:
		var b admitBody
		_ = json.Unmarshal(ev.Body, &b)
		target, _ := peer.Decode(b.Peer)
		s.admitted[target] = true
		delete(s.denied, target)
		delete(s.removed, target)
	case TypeRemove:
		var b admitBody
		_ = json.Unmarshal(ev.Body, &b)
		target, _ := peer.Decode(b.Peer)
		s.members[target].LeftAt = &at
		s.removed[target] = true
		if s.recorder == target {
			s.recorder = ""
		}
		if s.record.Settings.RequireApproval {
			delete(s.admitted, target) // back through the lobby, if at all
		}
	case TypeDeny:
		var b admitBody
		_ = json.Unmarshal(ev.Body, &b)
		target, _ := peer.Decode(b.Peer)
		s.denied[target] = true
	case TypeEnd:
		s.status, s.endedAt, s.recorder = StatusEnded, &at, ""
		for _, m := range s.members {
			if m.present() {
				m.LeftAt = &at
			}
		}
	}
	return true
}
