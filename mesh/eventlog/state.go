package eventlog

import (
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// Meeting statuses.
const (
	StatusScheduled = "scheduled"
	StatusActive    = "active"
	StatusEnded     = "ended"
)

// Member is one participant as the log describes them.
type Member struct {
	Name     string
	Role     string
	Box      []byte // X25519 key new meeting keys are sealed to
	join     *Event // the join that let them in last
	JoinedAt time.Time
	LeftAt   *time.Time
}

// Present reports whether the member is in the meeting now.
func (m *Member) Present() bool { return m.LeftAt == nil }

// State is a meeting folded from its log. Read it, never write it: only the
// Log changes it.
type State struct {
	ID       string
	Record   *Record
	Host     peer.ID
	Created  time.Time
	Status   string
	EndedAt  *time.Time
	Members  map[peer.ID]*Member
	Order    []peer.ID             // first-join order
	Admitted map[peer.ID]bool      // let in from the lobby
	Denied   map[peer.ID]bool      // turned away in the lobby, until admitted after all
	Removed  map[peer.ID]bool      // removed from the meeting, until admitted again
	Recorder peer.ID               // whose node records now; "" when nobody does
	Started  time.Time             // first join: the duration counts from here
	Extra    int                   // minutes added by extensions
	Revision int                   // updates applied to the record
	Relays   map[string]SiteRelay  // by site: the node that relays its media
	relayAt  map[peer.ID]time.Time // each author's last relay event
	Epoch    int                   // the key epoch: rekeys so far
	KeyEvent *Event                // the rekey that set the current key; nil: the link's
	checks   map[string]bool       // KeyChecks of every key the meeting had
	valid    map[string]bool
}

// SiteRelay is the relay of one site: Peer relays its media ("": a mesh),
// named by the site's Epoch-th relay event.
type SiteRelay struct {
	Peer  peer.ID
	Epoch int
}

func newState(id string) *State {
	return &State{ID: id, Status: StatusScheduled, Members: map[peer.ID]*Member{}, Admitted: map[peer.ID]bool{},
		Denied: map[peer.ID]bool{}, Removed: map[peer.ID]bool{}, checks: map[string]bool{}, Relays: map[string]SiteRelay{}, relayAt: map[peer.ID]time.Time{}, valid: map[string]bool{}}
}

// Valid reports whether the event with this ID counts.
func (s *State) Valid(id string) bool { return s.valid[id] }

// PresentCount is how many members are in the meeting now.
func (s *State) PresentCount() int {
	n := 0
	for _, m := range s.Members {
		if m.Present() {
			n++
		}
	}
	return n
}

// In reports whether p is in the meeting now.
func (s *State) In(p peer.ID) bool {
	m := s.Members[p]
	return m != nil && m.Present()
}

// moderates reports whether p is in the meeting as host or moderator.
func (s *State) moderates(p peer.ID) bool {
	return s.In(p) && (s.Members[p].Role == RoleHost || s.Members[p].Role == RoleModerator)
}

// Deadline is when the meeting ends by itself; zero when it has no time
// limit or has not started.
func (s *State) Deadline() time.Time { return deadlineOf(s.Record, s.Started, s.Extra) }

// A time-limited meeting (autoEnd) ends when its duration is up, counted from
// its first join or its scheduled start, whichever is later (a host who
// opens the link the day before does not use its time up), plus the minutes
// extend events added. Every node folds the same deadline from the log and
// refuses events stamped at or after it.
func deadlineOf(r *Record, started time.Time, extra int) time.Time {
	if r == nil || !r.Settings.AutoEnd || started.IsZero() {
		return time.Time{}
	}
	if r.ScheduledTime != nil && r.ScheduledTime.After(started) {
		started = *r.ScheduledTime
	}
	return started.Add(time.Duration(r.Duration+extra) * time.Minute)
}

// Over reports whether the meeting's time is up at t.
func (s *State) Over(t time.Time) bool {
	d := s.Deadline()
	return !d.IsZero() && !t.Before(d)
}

// Ended reports whether the meeting is over at now, by its host or its time.
func (s *State) Ended(now time.Time) bool { return s.Status == StatusEnded || s.Over(now) }

// leave marks p gone at t; a recording p made ends with it.
func (s *State) leave(p peer.ID, t time.Time) {
	if m := s.Members[p]; m != nil && m.Present() {
		m.LeftAt = &t
	}
	if s.Recorder == p {
		s.Recorder = ""
	}
}

// Proves reports whether secret is a key the meeting had: the one it was
// created with or one a rekey moved it to.
func (s *State) Proves(secret []byte) bool {
	return s.Record.Proves(secret) || s.checks[KeyCheck(secret)]
}

// Keyholders are the members a new key is sealed to: every member with a
// box key who is not removed, present ones first, at most MaxBoxes.
func (s *State) Keyholders() []peer.ID {
	var in, out []peer.ID
	for _, p := range s.Order {
		switch m := s.Members[p]; {
		case s.Removed[p] || m.Box == nil:
		case m.Present():
			in = append(in, p)
		default:
			out = append(out, p)
		}
	}
	all := append(in, out...)
	return all[:min(len(all), MaxBoxes)]
}

// Exposed reports whether someone removed from the meeting still holds its
// current key: the meeting must move to a new one.
func (s *State) Exposed() bool {
	for p := range s.Removed {
		if s.KeyEvent == nil || BodyOf[Rekey](s.KeyEvent).Sealed(p) != nil {
			return true
		}
	}
	return false
}

// Moderates reports whether p is in the meeting as host or moderator.
func (s *State) Moderates(p peer.ID) bool { return s.moderates(p) }
