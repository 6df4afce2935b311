package eventlog

import (
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// Event types kept in a meeting's log.
const (
	TypeGenesis = "genesis"
	TypeJoin    = "join"
	TypeLeave   = "leave"
	TypeRole    = "role"
	TypeEnd     = "end"
	TypeChat    = "chat"
	TypeAdmit   = "admit"
	TypeDeny    = "deny"
	TypeRemove  = "remove"
	TypeMute    = "mute"
	TypeRecord  = "record"
	TypeExtend  = "extend"
	TypeUpdate  = "update"
	TypeRekey   = "rekey"
	TypeRelay   = "relay"
)

// Live notices the log's events give rise to.
const (
	NoticeJoined  = "participant-joined"
	NoticeLeft    = "participant-left"
	NoticeRemoved = "participant-removed"
	NoticeMute    = "mute-requested"
	NoticeChat    = "chat-message"
	NoticeUpdated = "meeting-updated"
	NoticeEnded   = "meeting-ended"
)

// relayGap is the least time between two relay events of one author.
const relayGap = 10 * time.Second

// kind is everything about one event type: the one place its rules live.
type kind struct {
	body func() body // its body's type; nil when it has none
	// may says whether the event may come at this point of the fold (after
	// the rules every event shares: see State.check).
	may func(s *State, ev *Event) error
	// fold applies a valid event.
	fold func(s *State, ev *Event)
	// rulesOut, for an event that takes rights away, reports whether it
	// rules out e, an event concurrent with it (see the package doc).
	rulesOut func(r, e *Event, ek kind) bool
	// audited events are listed in the meeting's audit log; audit adds
	// what it says beyond type, actor and time.
	audited bool
	audit   func(ev *Event, a *AuditEntry)
	notice  string
	// moderation events need the host's or a moderator's rights.
	moderation bool
}

func newBody[T any, P interface {
	*T
	body
}]() func() body {
	return func() body { return P(new(T)) }
}

var kinds = map[string]kind{
	TypeGenesis: {
		body:    newBody[Record](),
		fold:    func(s *State, ev *Event) { s.Record, s.Host, s.Created = BodyOf[Record](ev), ev.Author, ev.Time() },
		audited: true, audit: func(_ *Event, a *AuditEntry) { a.Type = "created" },
		notice: NoticeUpdated,
	},
	TypeJoin: {
		body: newBody[Join](),
		may: func(s *State, ev *Event) error {
			switch {
			case s.Removed[ev.Author]:
				return fmt.Errorf("%w: you were removed from this meeting", ErrForbidden)
			case s.Record.Settings.RequireApproval && ev.Author != s.Host && !s.Admitted[ev.Author]:
				return fmt.Errorf("%w: waiting for the host to admit you", ErrForbidden)
			case s.In(ev.Author):
				return fmt.Errorf("%w: already in the meeting", ErrConflict)
			case s.PresentCount() >= s.Record.Settings.MaxParticipants:
				return fmt.Errorf("%w: the meeting is full (at most %d participants)", ErrConflict, s.Record.Settings.MaxParticipants)
			}
			return nil
		},
		fold: func(s *State, ev *Event) {
			m := s.Members[ev.Author]
			if m == nil {
				m = &Member{Role: RoleParticipant}
				if ev.Author == s.Host {
					m.Role = RoleHost
				}
				s.Members[ev.Author] = m
				s.Order = append(s.Order, ev.Author)
			}
			b := BodyOf[Join](ev)
			m.JoinedAt, m.LeftAt, m.Name, m.Box, m.join = ev.Time(), nil, b.Name, b.box, ev
			s.Status = StatusActive
			if s.Started.IsZero() {
				s.Started = ev.Time()
			}
		},
		audited: true, notice: NoticeJoined,
	},
	TypeLeave: {
		may: func(s *State, ev *Event) error {
			if !s.In(ev.Author) {
				return fmt.Errorf("%w: not in the meeting", ErrConflict)
			}
			return nil
		},
		fold:    func(s *State, ev *Event) { s.leave(ev.Author, ev.Time()) },
		audited: true, notice: NoticeLeft,
	},
	TypeChat: {
		body: newBody[Chat](),
		may: func(s *State, ev *Event) error {
			switch {
			case !s.Record.Settings.EnableChat:
				return fmt.Errorf("%w: chat is disabled in this meeting", ErrForbidden)
			case !s.In(ev.Author):
				return fmt.Errorf("%w: join the meeting before chatting", ErrForbidden)
			}
			return nil
		},
		fold:   func(*State, *Event) {},
		notice: NoticeChat,
	},
	TypeEnd: {
		may: func(s *State, ev *Event) error {
			if ev.Author != s.Host {
				return fmt.Errorf("%w: only the host can end the meeting", ErrForbidden)
			}
			return nil
		},
		fold: func(s *State, ev *Event) {
			at := ev.Time()
			s.Status, s.EndedAt, s.Recorder = StatusEnded, &at, ""
			for p := range s.Members {
				s.leave(p, at)
			}
		},
		rulesOut: func(_, _ *Event, _ kind) bool { return true }, // nothing written beside an end counts
		audited:  true, notice: NoticeEnded,
	},
	TypeAdmit: {
		body: newBody[Target](),
		may:  moderatorOnly("admit or deny"),
		fold: func(s *State, ev *Event) {
			t := BodyOf[Target](ev).ID()
			s.Admitted[t] = true
			delete(s.Denied, t)
			delete(s.Removed, t)
		},
		audited: true, audit: auditTarget, notice: NoticeUpdated, moderation: true,
	},
	TypeDeny: {
		body: newBody[Target](),
		may: func(s *State, ev *Event) error {
			if err := moderatorOnly("admit or deny")(s, ev); err != nil {
				return err
			}
			if s.Admitted[BodyOf[Target](ev).ID()] {
				return fmt.Errorf("%w: already admitted", ErrConflict)
			}
			return nil
		},
		fold:    func(s *State, ev *Event) { s.Denied[BodyOf[Target](ev).ID()] = true },
		audited: true, audit: auditTarget, notice: NoticeUpdated, moderation: true,
	},
	TypeRemove: {
		body: newBody[Target](),
		// Present or not: a member who slipped out (a backdated leave) is
		// removed all the same.
		may: actOnMember("remove", false),
		fold: func(s *State, ev *Event) {
			t := BodyOf[Target](ev).ID()
			s.leave(t, ev.Time())
			s.Removed[t] = true
			if s.Record.Settings.RequireApproval {
				delete(s.Admitted, t) // back through the lobby, if at all
			}
		},
		// Nothing the removed member wrote beside the removal counts.
		rulesOut: func(r, e *Event, _ kind) bool { return e.Author == BodyOf[Target](r).ID() },
		audited:  true, audit: auditTarget, notice: NoticeRemoved, moderation: true,
	},
	TypeMute: {
		body: newBody[Target](),
		may:  actOnMember("mute", true),
		fold: func(*State, *Event) {},
		// A mute is a request to one node's page, not a change of state.
		audited: true, audit: auditTarget, notice: NoticeMute, moderation: true,
	},
	TypeRecord: {
		body: newBody[Recording](),
		may: func(s *State, ev *Event) error {
			if err := moderatorOnly("start or stop recording")(s, ev); err != nil {
				return err
			}
			if !s.Record.Settings.EnableRecording {
				return fmt.Errorf("%w: recording is not allowed in this meeting", ErrForbidden)
			}
			if on := BodyOf[Recording](ev).On; on == (s.Recorder != "") {
				return fmt.Errorf("%w: recording is already %s", ErrConflict, map[bool]string{true: "on", false: "off"}[on])
			}
			return nil
		},
		fold: func(s *State, ev *Event) {
			s.Recorder = ""
			if BodyOf[Recording](ev).On {
				s.Recorder = ev.Author
			}
		},
		audited: true, notice: NoticeUpdated, moderation: true,
		audit: func(ev *Event, a *AuditEntry) {
			a.Type = map[bool]string{true: "recording-started", false: "recording-stopped"}[BodyOf[Recording](ev).On]
		},
	},
	TypeExtend: {
		body: newBody[Extend](),
		may: func(s *State, ev *Event) error {
			if err := moderatorOnly("extend the meeting")(s, ev); err != nil {
				return err
			}
			return s.CanExtend(BodyOf[Extend](ev).Minutes)
		},
		fold:    func(s *State, ev *Event) { s.Extra += BodyOf[Extend](ev).Minutes },
		audited: true, audit: func(ev *Event, a *AuditEntry) { a.Minutes = BodyOf[Extend](ev).Minutes },
		notice: NoticeUpdated, moderation: true,
	},
	TypeUpdate: {
		body: newBody[Update](),
		may: func(s *State, ev *Event) error {
			if ev.Author != s.Host {
				return fmt.Errorf("%w: only the host can edit the meeting", ErrForbidden)
			}
			b := BodyOf[Update](ev)
			r := b.ApplyTo(*s.Record)
			switch d := deadlineOf(&r, s.Started, s.Extra); {
			case b.Settings.RequireApproval != s.Record.Settings.RequireApproval:
				return fmt.Errorf("%w: whether the meeting requires approval is fixed when it is created", ErrConflict)
			case b.Duration+s.Extra > MaxDuration:
				return fmt.Errorf("%w: a meeting lasts at most %d minutes", ErrConflict, MaxDuration)
			case !d.IsZero() && !ev.Time().Before(d):
				return fmt.Errorf("%w: that would end the meeting now; end it instead", ErrConflict)
			}
			return nil
		},
		fold: func(s *State, ev *Event) {
			r := BodyOf[Update](ev).ApplyTo(*s.Record)
			s.Record = &r
			s.Revision++
		},
		audited: true, notice: NoticeUpdated,
	},
	TypeRekey: {
		body: newBody[Rekey](),
		may: func(s *State, ev *Event) error {
			if err := moderatorOnly("change the meeting key")(s, ev); err != nil {
				return err
			}
			// Of two rekeys to the same epoch, the first in the order counts.
			if BodyOf[Rekey](ev).Epoch != s.Epoch+1 {
				return fmt.Errorf("%w: the meeting key changed meanwhile", ErrConflict)
			}
			return nil
		},
		fold: func(s *State, ev *Event) {
			b := BodyOf[Rekey](ev)
			s.Epoch, s.KeyEvent, s.checks[b.Check] = b.Epoch, ev, true
		},
		audited: true, moderation: true,
	},
	TypeRelay: {
		body: newBody[Relay](),
		may: func(s *State, ev *Event) error {
			b := BodyOf[Relay](ev)
			switch {
			case !s.In(ev.Author):
				return fmt.Errorf("%w: only a participant can change the media relay", ErrForbidden)
			case b.id != "" && b.id != ev.Author:
				return fmt.Errorf("%w: a node names only itself the relay", ErrForbidden)
			case b.Epoch != s.Relays[b.Site].Epoch+1:
				// Of two relay events to the same epoch, the first in the order counts.
				return fmt.Errorf("%w: the relay changed meanwhile", ErrConflict)
			case ev.Time().Sub(s.relayAt[ev.Author]) < relayGap:
				// Nobody moves the relay to and fro faster than media can follow.
				return fmt.Errorf("%w: the relay changed a moment ago", ErrConflict)
			}
			return nil
		},
		fold: func(s *State, ev *Event) {
			b := BodyOf[Relay](ev)
			s.Relays[b.Site], s.relayAt[ev.Author] = SiteRelay{Peer: b.id, Epoch: b.Epoch}, ev.Time()
		},
	},
	TypeRole: {
		body: newBody[Role](),
		may: func(s *State, ev *Event) error {
			if ev.Author != s.Host {
				return fmt.Errorf("%w: only the host can change roles", ErrForbidden)
			}
			if t := BodyOf[Role](ev).ID(); s.Members[t] == nil || t == s.Host {
				return fmt.Errorf("%w: no such participant to change", ErrInvalid)
			}
			return nil
		},
		fold: func(s *State, ev *Event) { b := BodyOf[Role](ev); s.Members[b.ID()].Role = b.Role },
		// A demoted moderator's moderation beside the demotion does not count.
		rulesOut: func(r, e *Event, ek kind) bool {
			b := BodyOf[Role](r)
			return b.Role == RoleParticipant && e.Author == b.ID() && ek.moderation
		},
		audited: true, notice: NoticeUpdated,
		audit: func(ev *Event, a *AuditEntry) { b := BodyOf[Role](ev); a.Target, a.Role = b.Peer, b.Role },
	},
}

func moderatorOnly(what string) func(s *State, ev *Event) error {
	return func(s *State, ev *Event) error {
		if !s.moderates(ev.Author) {
			return fmt.Errorf("%w: only the host or a moderator can %s", ErrForbidden, what)
		}
		return nil
	}
}

// actOnMember: the host removes or mutes anyone else; a moderator, plain
// participants. A mute needs them present; a removal, a member at all.
func actOnMember(what string, present bool) func(s *State, ev *Event) error {
	return func(s *State, ev *Event) error {
		if err := moderatorOnly(what+" a participant")(s, ev); err != nil {
			return err
		}
		target := BodyOf[Target](ev).ID()
		switch t := s.Members[target]; {
		case t == nil || present && !t.Present() || s.Removed[target]:
			return fmt.Errorf("%w: no such participant in the meeting", ErrConflict)
		case target == s.Host:
			return fmt.Errorf("%w: nobody can %s the host", ErrForbidden, what)
		case t.Role == RoleModerator && ev.Author != s.Host:
			return fmt.Errorf("%w: only the host can %s a moderator", ErrForbidden, what)
		}
		return nil
	}
}

func auditTarget(ev *Event, a *AuditEntry) { a.Target = BodyOf[Target](ev).Peer }

// NoticeOf is the live notice an event of this type gives rise to.
func NoticeOf(typ string) string { return kinds[typ].notice }

// check says whether ev may come next in the fold; it changes nothing.
func (s *State) check(ev *Event) error {
	if ev.Type == TypeGenesis {
		if s.Record != nil || ev.ID[:32] != s.ID {
			return fmt.Errorf("%w: genesis does not match meeting", ErrInvalid)
		}
		return nil
	}
	switch {
	case s.Record == nil:
		return fmt.Errorf("%w: meeting record not known yet", ErrNotFound)
	case ev.Meeting != s.ID:
		return fmt.Errorf("%w: event for another meeting", ErrInvalid)
	case s.Status == StatusEnded:
		return fmt.Errorf("%w: the meeting has ended", ErrConflict)
	case s.Over(ev.Time()):
		return fmt.Errorf("%w: the meeting's time is up", ErrConflict)
	}
	return kinds[ev.Type].may(s, ev)
}

// CanExtend says whether minutes may be added to the meeting now.
func (s *State) CanExtend(minutes int) error {
	switch {
	case !s.Record.Settings.AutoEnd:
		return fmt.Errorf("%w: this meeting has no time limit to extend", ErrConflict)
	case s.Record.Duration+s.Extra+minutes > MaxDuration:
		return fmt.Errorf("%w: a meeting lasts at most %d minutes", ErrConflict, MaxDuration)
	}
	return nil
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

// Audited reports whether ev belongs in the audit log, and its line.
func Audited(ev *Event) (AuditEntry, bool) {
	k := kinds[ev.Type]
	if !k.audited {
		return AuditEntry{}, false
	}
	a := AuditEntry{ID: ev.ID, Type: ev.Type, Actor: ev.Author.String(), Time: ev.Time(), HLC: ev.HLC}
	if k.audit != nil {
		k.audit(ev, &a)
	}
	return a, true
}

// TargetOf is the member an event is about (admit, deny, remove, mute,
// role), "" for other events.
func TargetOf(ev *Event) peer.ID {
	if b := BodyOf[Target](ev); b != nil {
		return b.ID()
	}
	if b := BodyOf[Role](ev); b != nil {
		return b.ID()
	}
	return ""
}
