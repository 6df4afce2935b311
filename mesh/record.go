package mesh

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on what people type.
const (
	MaxTitle       = 200
	MaxDescription = 4000
	MaxText        = 4096 // bytes of one chat message
	MaxName        = 64
	MaxDuration    = 24 * 60
	MaxCapacity    = 1000
)

// Record is the meeting as its host created it; it rides in the genesis event.
type Record struct {
	Title         string     `json:"title"`
	Description   string     `json:"description"`
	ScheduledTime *time.Time `json:"scheduledTime,omitempty"`
	Duration      int        `json:"duration"`
	Settings      Settings   `json:"settings"`
	CreatedAt     time.Time  `json:"createdAt"`
	// KeyCheck commits the genesis, and so the meeting ID, to the meeting
	// key: a key is trusted only when it matches (proves).
	KeyCheck string `json:"keyCheck"`
	// Lobby is the lobby key (base64url) of a meeting that requires
	// approval; members read it here, joiners get it in the link.
	Lobby string `json:"lobby,omitempty"`
}

// keyCheck is the commitment to a meeting key that its genesis carries.
func keyCheck(secret []byte) string {
	sum := sha256.Sum256(append([]byte("meshmeet/key-check\x00"), secret...))
	return hex.EncodeToString(sum[:])
}

// proves reports whether secret is the key the record was created with.
func (r *Record) proves(secret []byte) bool {
	return r != nil && subtle.ConstantTimeCompare([]byte(r.KeyCheck), []byte(keyCheck(secret))) == 1
}

// lobbyKey decodes the record's lobby key, nil when there is none.
func (r *Record) lobbyKey() []byte {
	if r == nil || r.Lobby == "" {
		return nil
	}
	k, err := base64.RawURLEncoding.DecodeString(r.Lobby)
	if err != nil || len(k) != secretLen {
		return nil
	}
	return k
}

// Settings are the meeting's options from the original design.
type Settings struct {
	MaxParticipants int  `json:"maxParticipants"`
	RequireApproval bool `json:"requireApproval"`
	EnableRecording bool `json:"enableRecording"`
	EnableChat      bool `json:"enableChat"`
	// AutoEnd ends the meeting when its duration (counted from the first
	// join, plus any extensions) is up.
	AutoEnd bool `json:"autoEnd,omitempty"`
}

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
	return r, r.validateInput()
}

func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

func (r Record) validateInput() error {
	switch {
	case r.Title == "":
		return fmt.Errorf("%w: title is required", ErrInvalid)
	case utf8.RuneCountInString(r.Title) > MaxTitle:
		return fmt.Errorf("%w: title is longer than %d characters", ErrInvalid, MaxTitle)
	case utf8.RuneCountInString(r.Description) > MaxDescription:
		return fmt.Errorf("%w: description is longer than %d characters", ErrInvalid, MaxDescription)
	case r.Duration < 1 || r.Duration > MaxDuration:
		return fmt.Errorf("%w: duration must be 1 to %d minutes", ErrInvalid, MaxDuration)
	case r.Settings.MaxParticipants < 2 || r.Settings.MaxParticipants > MaxCapacity:
		return fmt.Errorf("%w: maxParticipants must be 2 to %d", ErrInvalid, MaxCapacity)
	case r.ScheduledTime != nil && (r.ScheduledTime.Year() < 2000 || r.ScheduledTime.Year() > 9999):
		return fmt.Errorf("%w: scheduledTime is out of range", ErrInvalid)
	}
	return nil
}

func (r Record) validate() error {
	if err := r.validateInput(); err != nil {
		return err
	}
	if !utf8.ValidString(r.Title+r.Description) || r.Title != strings.TrimSpace(r.Title) {
		return fmt.Errorf("%w: record text", ErrInvalid)
	}
	if len(r.KeyCheck) != 64 {
		return fmt.Errorf("%w: record key check", ErrInvalid)
	}
	if r.Settings.RequireApproval != (r.lobbyKey() != nil) || (r.Lobby != "" && r.lobbyKey() == nil) {
		return fmt.Errorf("%w: record lobby key", ErrInvalid)
	}
	return nil
}

type joinBody struct {
	Name string `json:"name"`
}

// chatBody is a chat message: text, a shared file, or a file with a caption.
type chatBody struct {
	Text string   `json:"text"`
	File *FileRef `json:"file,omitempty"`
}

func (b chatBody) validate() error {
	if b.File == nil {
		return validText(b.Text)
	}
	if b.Text != "" {
		if err := validText(b.Text); err != nil {
			return err
		}
	}
	return b.File.validate()
}

// Roles a participant can hold.
const (
	RoleHost        = "host"
	RoleModerator   = "moderator"
	RoleParticipant = "participant"
)

// admitBody names the joiner a host or moderator lets in (admit) or turns
// away (deny), or the participant they remove (remove) or ask to mute (mute).
type admitBody struct {
	Peer string `json:"peer"`
}

// recordBody starts (On) or stops recording; the author's node records.
type recordBody struct {
	On bool `json:"on"`
}

type roleBody struct {
	Peer string `json:"peer"`
	Role string `json:"role"`
}

func (b roleBody) validate() error {
	if b.Role != RoleModerator && b.Role != RoleParticipant {
		return fmt.Errorf("%w: role must be moderator or participant", ErrInvalid)
	}
	return nil
}

func validName(s string) error {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > MaxName {
		return fmt.Errorf("%w: name must be valid text of at most %d characters", ErrInvalid, MaxName)
	}
	return nil
}

func validText(s string) error {
	switch {
	case strings.TrimSpace(s) == "":
		return fmt.Errorf("%w: message is empty", ErrInvalid)
	case len(s) > MaxText:
		return fmt.Errorf("%w: message is longer than %d bytes", ErrTooLarge, MaxText)
	case !utf8.ValidString(s):
		return fmt.Errorf("%w: message is not valid UTF-8", ErrInvalid)
	}
	return nil
}
