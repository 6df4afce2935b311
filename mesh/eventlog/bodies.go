package eventlog

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/libp2p/go-libp2p/core/peer"
)

// Limits on what people type and share.
const (
	MaxTitle       = 200
	MaxDescription = 4000
	MaxText        = 4096 // bytes of one chat message
	MaxName        = 64
	MaxDuration    = 24 * 60
	MaxCapacity    = 1000
	MaxFile        = 64 << 20 // bytes of one shared file
	MaxFileName    = 255      // bytes of its name
	MaxFileType    = 127
	secretLen      = 32
)

// Roles a participant can hold.
const (
	RoleHost        = "host"
	RoleModerator   = "moderator"
	RoleParticipant = "participant"
)

var (
	shaPattern      = regexp.MustCompile(`^[0-9a-f]{64}$`)
	fileTypePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$`)
)

// body is an event's decoded body; validate checks it alone.
type body interface{ validate() error }

// Record is the meeting as its host created it: the genesis body.
type Record struct {
	Title         string     `json:"title"`
	Description   string     `json:"description"`
	ScheduledTime *time.Time `json:"scheduledTime,omitempty"`
	Duration      int        `json:"duration"`
	Settings      Settings   `json:"settings"`
	CreatedAt     time.Time  `json:"createdAt"`
	// KeyCheck commits the genesis, and so the meeting ID, to the meeting
	// key: a key is trusted only when the record proves it.
	KeyCheck string `json:"keyCheck"`
	// Lobby is the lobby key (base64url) of a meeting that requires
	// approval; members read it here, joiners get it in the link.
	Lobby string `json:"lobby,omitempty"`
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
	// LastN is how many participants' cameras a relayed meeting forwards:
	// the most recent speakers (0: DefaultLastN).
	LastN int `json:"lastN,omitempty"`
}

// DefaultLastN is the cameras a relayed meeting forwards unless its
// settings say otherwise.
const DefaultLastN = 9

// Cameras is how many participants' cameras the meeting forwards.
func (s Settings) Cameras() int {
	if s.LastN > 0 {
		return s.LastN
	}
	return DefaultLastN
}

// KeyCheck is the commitment to a meeting key that its genesis carries.
func KeyCheck(secret []byte) string {
	sum := sha256.Sum256(append([]byte("meshmeet/key-check\x00"), secret...))
	return hex.EncodeToString(sum[:])
}

// Proves reports whether secret is the key the record was created with.
func (r *Record) Proves(secret []byte) bool {
	return r != nil && subtle.ConstantTimeCompare([]byte(r.KeyCheck), []byte(KeyCheck(secret))) == 1
}

// LobbyKey decodes the record's lobby key, nil when there is none.
func (r *Record) LobbyKey() []byte {
	if r == nil || r.Lobby == "" {
		return nil
	}
	k, err := base64.RawURLEncoding.DecodeString(r.Lobby)
	if err != nil || len(k) != secretLen {
		return nil
	}
	return k
}

// CheckInput checks the fields a person types.
func (r Record) CheckInput() error {
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
	case r.Settings.LastN < 0 || r.Settings.LastN > MaxCapacity:
		return fmt.Errorf("%w: lastN must be 1 to %d (0: %d)", ErrInvalid, MaxCapacity, DefaultLastN)
	case r.ScheduledTime != nil && (r.ScheduledTime.Year() < 2000 || r.ScheduledTime.Year() > 9999):
		return fmt.Errorf("%w: scheduledTime is out of range", ErrInvalid)
	}
	return nil
}

func (r *Record) validate() error {
	if err := r.CheckInput(); err != nil {
		return err
	}
	if !utf8.ValidString(r.Title+r.Description) || r.Title != strings.TrimSpace(r.Title) {
		return fmt.Errorf("%w: record text", ErrInvalid)
	}
	if !shaPattern.MatchString(r.KeyCheck) {
		return fmt.Errorf("%w: record key check", ErrInvalid)
	}
	if r.Settings.RequireApproval != (r.LobbyKey() != nil) || (r.Lobby != "" && r.LobbyKey() == nil) {
		return fmt.Errorf("%w: record lobby key", ErrInvalid)
	}
	return nil
}

// Join is a join body: the name the member goes by, and the X25519 key
// (base64url) new meeting keys are sealed to when the meeting is rekeyed.
type Join struct {
	Name string `json:"name"`
	Box  string `json:"box,omitempty"`
	box  []byte
}

func (b *Join) validate() (err error) {
	if b.Box != "" {
		if b.box, err = base64.RawURLEncoding.DecodeString(b.Box); err != nil || len(b.box) != 32 {
			return fmt.Errorf("%w: box key", ErrInvalid)
		}
	}
	return ValidName(b.Name)
}

// ValidName checks the name a member goes by.
func ValidName(s string) error {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > MaxName {
		return fmt.Errorf("%w: name must be valid text of at most %d characters", ErrInvalid, MaxName)
	}
	return nil
}

// Chat is a chat message: text, a shared file, or a file with a caption.
type Chat struct {
	Text string   `json:"text"`
	File *FileRef `json:"file,omitempty"`
}

func (b *Chat) validate() error {
	if b.File == nil || b.Text != "" {
		if err := ValidText(b.Text); err != nil {
			return err
		}
	}
	if b.File != nil {
		return b.File.Validate()
	}
	return nil
}

// ValidText checks one chat message's text.
func ValidText(s string) error {
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

// IsSHA256 reports whether s names a file: 64 lowercase hex digits.
func IsSHA256(s string) bool { return shaPattern.MatchString(s) }

// FileRef is a shared file as the log describes it.
type FileRef struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	Type   string `json:"type,omitempty"`
	SHA256 string `json:"sha256"`
}

// Validate checks a file reference from a person or a peer.
func (f FileRef) Validate() error {
	switch {
	case ValidFileName(f.Name) != nil:
		return ValidFileName(f.Name)
	case f.Size < 1 || f.Size > MaxFile:
		return fmt.Errorf("%w: file size %d", ErrInvalid, f.Size)
	case f.Type != "" && (len(f.Type) > MaxFileType || !fileTypePattern.MatchString(f.Type)):
		return fmt.Errorf("%w: file type", ErrInvalid)
	case !shaPattern.MatchString(f.SHA256):
		return fmt.Errorf("%w: file hash", ErrInvalid)
	}
	return nil
}

// ValidFileName accepts a plain file name: no path, no control characters.
func ValidFileName(s string) error {
	bad := func(r rune) bool { return r == '/' || r == '\\' || unicode.IsControl(r) }
	if s == "" || s == "." || s == ".." || len(s) > MaxFileName || !utf8.ValidString(s) ||
		strings.IndexFunc(s, bad) >= 0 || strings.TrimSpace(s) == "" {
		return fmt.Errorf("%w: file name must be 1 to %d bytes of text without slashes or control characters", ErrInvalid, MaxFileName)
	}
	return nil
}

// CleanFileType keeps a declared media type only if it is a plain one.
func CleanFileType(s string) string {
	s, _, _ = strings.Cut(strings.ToLower(strings.TrimSpace(s)), ";")
	s = strings.TrimSpace(s)
	if len(s) > MaxFileType || !fileTypePattern.MatchString(s) {
		return ""
	}
	return s
}

// Target names the member an admit, deny, remove or mute is about.
type Target struct {
	Peer string  `json:"peer"`
	id   peer.ID // Peer, parsed
}

// ID is the target's peer ID.
func (b *Target) ID() peer.ID { return b.id }

func (b *Target) validate() (err error) {
	if b.id, err = peer.Decode(b.Peer); err != nil {
		return fmt.Errorf("%w: the peer an event is about", ErrInvalid)
	}
	return nil
}

// Role gives a member a role (host only).
type Role struct {
	Target
	Role string `json:"role"`
}

func (b *Role) validate() error {
	if b.Role != RoleModerator && b.Role != RoleParticipant {
		return fmt.Errorf("%w: role must be moderator or participant", ErrInvalid)
	}
	return b.Target.validate()
}

// Recording starts (On) or stops recording; the author's node records.
type Recording struct {
	On bool `json:"on"`
}

func (*Recording) validate() error { return nil }

// Extend adds minutes to a time-limited meeting.
type Extend struct {
	Minutes int `json:"minutes"`
}

func (b *Extend) validate() error {
	if b.Minutes < 1 || b.Minutes > MaxDuration {
		return fmt.Errorf("%w: minutes must be 1 to %d", ErrInvalid, MaxDuration)
	}
	return nil
}

// Update is the editable part of a Record as the host wants it: the fold
// replaces those fields. Whether the meeting requires approval cannot
// change: its lobby key was fixed at creation.
type Update struct {
	Title         string     `json:"title"`
	Description   string     `json:"description"`
	ScheduledTime *time.Time `json:"scheduledTime,omitempty"`
	Duration      int        `json:"duration"`
	Settings      Settings   `json:"settings"`
}

func (b *Update) validate() error {
	if b.Title != strings.TrimSpace(b.Title) {
		return fmt.Errorf("%w: title has surrounding space", ErrInvalid)
	}
	return b.ApplyTo(Record{}).CheckInput()
}

// ApplyTo is r as the update makes it.
func (b Update) ApplyTo(r Record) Record {
	r.Title, r.Description, r.ScheduledTime, r.Duration, r.Settings = b.Title, b.Description, b.ScheduledTime, b.Duration, b.Settings
	return r
}

// MaxBoxes bounds the members one rekey seals the new key to, so that it
// fits in one event.
const MaxBoxes = 150

// SealedLen is the size of one sealed meeting key: an X25519 public key, a
// nonce and the key with its tag.
const SealedLen = 32 + 24 + secretLen + 16

// Rekey moves the meeting to a new key epoch: the new key, sealed to each
// member it is for (peer ID → base64url sealed key), and its KeyCheck.
type Rekey struct {
	Epoch int               `json:"epoch"`
	Check string            `json:"check"`
	Boxes map[string]string `json:"boxes"`
}

func (b *Rekey) validate() error {
	if b.Epoch < 1 || !shaPattern.MatchString(b.Check) || len(b.Boxes) > MaxBoxes {
		return fmt.Errorf("%w: rekey", ErrInvalid)
	}
	for p, sealed := range b.Boxes {
		raw, err := base64.RawURLEncoding.DecodeString(sealed)
		if _, perr := peer.Decode(p); perr != nil || err != nil || len(raw) != SealedLen {
			return fmt.Errorf("%w: rekey box", ErrInvalid)
		}
	}
	return nil
}

// Sealed is the new key sealed to p, nil when the rekey is not for p.
func (b *Rekey) Sealed(p peer.ID) []byte {
	s, ok := b.Boxes[p.String()]
	if !ok {
		return nil
	}
	raw, _ := base64.RawURLEncoding.DecodeString(s)
	return raw
}

// Relay names the node that relays the media of one site of the meeting
// from this relay epoch of the site on (Peer is its author), or puts the
// site back to a mesh (Peer empty). Each site has its own epochs.
type Relay struct {
	Epoch int    `json:"epoch"`
	Peer  string `json:"peer,omitempty"`
	Site  string `json:"site,omitempty"` // "": a meeting in one site
	id    peer.ID
}

// MaxSite bounds a site's name.
const MaxSite = 64

func (b *Relay) validate() (err error) {
	if b.Epoch < 1 || !ValidSite(b.Site) {
		return fmt.Errorf("%w: relay epoch or site", ErrInvalid)
	}
	if b.Peer != "" {
		if b.id, err = peer.Decode(b.Peer); err != nil {
			return fmt.Errorf("%w: relay peer", ErrInvalid)
		}
	}
	return nil
}

// ValidSite reports whether s may name a site: at most MaxSite printable
// ASCII characters.
func ValidSite(s string) bool {
	if len(s) > MaxSite {
		return false
	}
	for _, c := range []byte(s) {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}
