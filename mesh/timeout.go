package mesh

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Meeting time limits: a meeting whose settings say autoEnd ends by itself
// when its duration is up, counted from its first join or its scheduled
// start, whichever is later (a host who opens the link the day before does
// not use the meeting's time up), plus the minutes
// the host or a moderator added with extend events. No node has to announce
// it: every node folds the same deadline from the signed log and refuses
// events stamped at or after it, so all agree on what made it in time. Each
// node's own clock says when the deadline has passed (pages, media, notices).

// extendBody adds minutes to a time-limited meeting.
type extendBody struct {
	Minutes int `json:"minutes"`
}

func (b extendBody) validate() error {
	if b.Minutes < 1 || b.Minutes > MaxDuration {
		return fmt.Errorf("%w: minutes must be 1 to %d", ErrInvalid, MaxDuration)
	}
	return nil
}

// deadline is when the meeting ends by itself; zero when it has no time
// limit or has not started.
func (s *state) deadline() time.Time {
	return deadlineOf(s.record, s.started, s.extra)
}

func deadlineOf(r *Record, started time.Time, extra int) time.Time {
	if r == nil || !r.Settings.AutoEnd || started.IsZero() {
		return time.Time{}
	}
	if r.ScheduledTime != nil && r.ScheduledTime.After(started) {
		started = *r.ScheduledTime
	}
	return started.Add(time.Duration(r.Duration+extra) * time.Minute)
}

// over reports whether the meeting's time is up at t.
func (s *state) over(t time.Time) bool {
	d := s.deadline()
	return !d.IsZero() && !t.Before(d)
}

// ended reports whether the meeting is over at now, by its host or its time.
func (s *state) ended(now time.Time) bool {
	return s.status == StatusEnded || s.over(now)
}

func (s *state) canExtend(minutes int) error {
	switch {
	case !s.record.Settings.AutoEnd:
		return fmt.Errorf("%w: this meeting has no time limit to extend", ErrConflict)
	case s.record.Duration+s.extra+minutes > MaxDuration:
		return fmt.Errorf("%w: a meeting lasts at most %d minutes", ErrConflict, MaxDuration)
	}
	return nil
}

// Extend adds minutes to a time-limited meeting (host or moderator): a
// signed extend event.
func (m *Mesh) Extend(ctx context.Context, id string, minutes int) (MeetingView, error) {
	mt, err := m.known(id)
	if err != nil {
		return MeetingView{}, err
	}
	b := extendBody{Minutes: minutes}
	if err := b.validate(); err != nil {
		return MeetingView{}, err
	}
	body, _ := json.Marshal(b)
	if _, err := m.publishEvent(ctx, mt, TypeExtend, body); err != nil {
		return MeetingView{}, fmt.Errorf("extend meeting %s: %w", id, err)
	}
	return m.view(mt), nil
}

// expireMeetings tells the pages of meetings whose time ran out that they
// have ended, once.
func (m *Mesh) expireMeetings(now time.Time) {
	for _, mt := range m.snapshot() {
		mt.mu.Lock()
		over := mt.st.status != StatusEnded && mt.st.over(now)
		if over != mt.timedOut {
			// Back from over only when an extension made in time arrives late.
			mt.timedOut = over
			n := Notice{NoticeEnded, mt.viewLocked(m.self)}
			if !over {
				n.Type = NoticeUpdated
			}
			if d := mt.publishLocked(n); d > 0 {
				m.metrics.dropped.Add(float64(d))
			}
		}
		mt.mu.Unlock()
	}
}
