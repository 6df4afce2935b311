package mesh

import (
	"strings"
	"time"
)

// MeetingInput is the body of a create request; absent fields take defaults.
type MeetingInput struct {
	Title         string         `json:"title"`
	Description   string         `json:"description"`
	ScheduledTime *time.Time     `json:"scheduledTime"`
	Duration      *int           `json:"duration"`
	Settings      *SettingsInput `json:"settings"`
}

// SettingsInput mirrors Settings with optional fields.
type SettingsInput struct {
	MaxParticipants *int  `json:"maxParticipants"`
	RequireApproval *bool `json:"requireApproval"`
	EnableRecording *bool `json:"enableRecording"`
	EnableChat      *bool `json:"enableChat"`
	AutoEnd         *bool `json:"autoEnd"`
}

// DecodeMeetingInput strictly decodes and validates a create request body.
func DecodeMeetingInput(body []byte) (Record, error) {
	var in MeetingInput
	if err := decodeStrict(body, &in); err != nil {
		return Record{}, err
	}
	r := Record{
		Title:         strings.TrimSpace(in.Title),
		Description:   in.Description,
		ScheduledTime: in.ScheduledTime,
		Duration:      60,
		Settings:      Settings{MaxParticipants: 50, EnableChat: true},
	}
	if in.Duration != nil {
		r.Duration = *in.Duration
	}
	if s := in.Settings; s != nil {
		set(&r.Settings.MaxParticipants, s.MaxParticipants)
		set(&r.Settings.RequireApproval, s.RequireApproval)
		set(&r.Settings.EnableRecording, s.EnableRecording)
		set(&r.Settings.EnableChat, s.EnableChat)
		set(&r.Settings.AutoEnd, s.AutoEnd)
	}
	if r.ScheduledTime != nil {
		t := r.ScheduledTime.UTC()
		r.ScheduledTime = &t
	}
	return r, r.CheckInput()
}

func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}
