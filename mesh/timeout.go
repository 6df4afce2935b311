package mesh

import (
	"context"
	"encoding/json"
	"fmt"
	"meshmeet/mesh/eventlog"
	"time"
)

// Meeting time limits (eventlog's deadline rule) need no announcement: every
// node folds the same deadline from the signed log. Each node's own clock
// says when the deadline has passed (pages, media, notices).

// Extend adds minutes to a time-limited meeting (host or moderator): a
// signed extend event.
func (m *Mesh) Extend(ctx context.Context, id string, minutes int) (MeetingView, error) {
	mt, err := m.known(id)
	if err != nil {
		return MeetingView{}, err
	}
	body, _ := json.Marshal(eventlog.Extend{Minutes: minutes})
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
		over := mt.st().Status != StatusEnded && mt.st().Over(now)
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
