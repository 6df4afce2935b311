package mesh

import (
	"context"
	"encoding/json"
	"fmt"
	"meshmeet/mesh/eventlog"
	"strings"
	"time"
)

// Editing a meeting: the host publishes a signed update event carrying the whole editable
// part of the record (title, description, schedule, duration, settings) as it is to be;
// the fold replaces those fields, later updates winning in log order.

// UpdateInput is the body of an edit request; absent fields stay as they are.
type UpdateInput struct {
	Title         *string        `json:"title"`
	Description   *string        `json:"description"`
	ScheduledTime *time.Time     `json:"scheduledTime"`
	Duration      *int           `json:"duration"`
	Settings      *SettingsInput `json:"settings"`
}

// UpdateMeeting edits the meeting (host only) from an edit request body.
func (m *Mesh) UpdateMeeting(ctx context.Context, id string, body []byte) (MeetingView, error) {
	mt, err := m.known(id)
	if err != nil {
		return MeetingView{}, err
	}
	var in UpdateInput
	if err := decodeStrict(body, &in); err != nil {
		return MeetingView{}, err
	}
	mt.mu.Lock()
	r := *mt.st().Record
	mt.mu.Unlock()
	b := eventlog.Update{Title: r.Title, Description: r.Description, ScheduledTime: r.ScheduledTime, Duration: r.Duration, Settings: r.Settings}
	if in.Title != nil {
		b.Title = strings.TrimSpace(*in.Title)
	}
	set(&b.Description, in.Description)
	if in.ScheduledTime != nil {
		t := in.ScheduledTime.UTC()
		b.ScheduledTime = &t
	}
	set(&b.Duration, in.Duration)
	if s := in.Settings; s != nil {
		if s.RequireApproval != nil && *s.RequireApproval != b.Settings.RequireApproval {
			return MeetingView{}, fmt.Errorf("%w: whether the meeting requires approval is fixed when it is created", ErrConflict)
		}
		set(&b.Settings.MaxParticipants, s.MaxParticipants)
		set(&b.Settings.EnableRecording, s.EnableRecording)
		set(&b.Settings.EnableChat, s.EnableChat)
		set(&b.Settings.AutoEnd, s.AutoEnd)
	}
	raw, _ := json.Marshal(b)
	if _, err := m.publishEvent(ctx, mt, TypeUpdate, raw); err != nil {
		return MeetingView{}, fmt.Errorf("update meeting %s: %w", id, err)
	}
	return m.view(mt), nil
}
