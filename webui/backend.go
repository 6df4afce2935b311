package webui

import (
	"context"
	"errors"
	"io"
	"time"
)

// Errors a Backend wraps so the handlers can answer with the right status.
var (
	ErrInvalid   = errors.New("invalid input")       // 400
	ErrForbidden = errors.New("not allowed")         // 403
	ErrNotFound  = errors.New("not found")           // 404
	ErrConflict  = errors.New("conflict")            // 409
	ErrTooLarge  = errors.New("too large")           // 413
	ErrNotReady  = errors.New("node not ready")      // 503
	ErrDiskFull  = errors.New("disk full")           // 507: nothing was done, free some space
	ErrBadLink   = errors.New("join link not valid") // 400: malformed or incomplete join link
	ErrWrongKey  = errors.New("wrong meeting key")   // 403: the link's key does not open its meeting
	ErrClockSkew = errors.New("clock wrong")         // 409: this computer's clock is too far off to post
)

// Event is one item on a meeting's live event stream.
type Event struct {
	Type string `json:"type"` // participant-joined, participant-left, chat-message, media-state-changed, meeting-updated, meeting-ended, signal
	Data any    `json:"data"`
}

// Waiting is what Join returns when the join waits in the lobby; the API
// answers 202 Accepted with Body.
type Waiting struct{ Body any }

// Backend is what the local API needs from the node. Every value returned as
// `any` is JSON-encodable and written to the client as it is. Bodies passed as
// []byte are the raw request JSON (already size-limited and checked to be
// valid UTF-8 JSON); the backend decodes them strictly.
type Backend interface {
	Node(ctx context.Context) (any, error)
	CreateMeeting(ctx context.Context, body []byte) (any, error)
	Meetings(ctx context.Context) (any, error)
	Meeting(ctx context.Context, id string) (any, error)
	// UpdateMeeting edits a meeting (host only); body holds the fields to change.
	UpdateMeeting(ctx context.Context, id string, body []byte) (any, error)
	Join(ctx context.Context, joinURL string) (any, error)
	Leave(ctx context.Context, id string) error
	End(ctx context.Context, id string) error
	SetRole(ctx context.Context, id, peerID, role string) (any, error)
	// SetRecording starts or stops this node's recording of the meeting (host or moderator).
	SetRecording(ctx context.Context, id string, on bool) (any, error)
	// Extend adds minutes to a meeting that ends by itself (host or moderator).
	Extend(ctx context.Context, id string, minutes int) (any, error)
	// Rekey moves the meeting to a new key (host or moderator): whoever had
	// the old one and is no longer a member opens nothing new; the link changes.
	Rekey(ctx context.Context, id string) (any, error)
	// OpenRecording opens one recorded file, by its path in the Recordings list.
	OpenRecording(ctx context.Context, id, path string) (*File, error)
	// Recordings lists the meeting's recordings on this node.
	Recordings(ctx context.Context, id string) (any, error)
	// Admit lets a joiner waiting in the lobby in (host or moderator).
	Admit(ctx context.Context, id, peerID string) error
	// Deny turns a joiner waiting in the lobby away, for good (host or moderator).
	Deny(ctx context.Context, id, peerID string) error
	// Remove takes a participant out of the meeting (host, or moderator for a participant).
	Remove(ctx context.Context, id, peerID string) error
	// Calendar is the meeting as an iCalendar file (text/calendar).
	Calendar(ctx context.Context, id string) ([]byte, error)
	// Mute asks a participant's page to turn their microphone off (same rule as Remove).
	Mute(ctx context.Context, id, peerID string) error
	// Lobby lists who waits to be admitted.
	Lobby(ctx context.Context, id string) (any, error)
	// ShareFile stores a file (the request body, read to its end) and posts
	// it to the meeting's chat; it returns the message. Too large a file is
	// ErrTooLarge.
	ShareFile(ctx context.Context, id, name, mediaType string, body io.Reader) (any, error)
	// OpenFile opens a file shared in the meeting, fetched from a member
	// node first if this node lacks it.
	OpenFile(ctx context.Context, id, sha256 string) (*File, error)
	Messages(ctx context.Context, id, after string, limit int) (any, error)
	PostMessage(ctx context.Context, id, text string) (any, error)
	Participants(ctx context.Context, id string) (any, error)
	SetMediaState(ctx context.Context, id string, body []byte) (any, error)
	Media(ctx context.Context, id string) (any, error)
	Audit(ctx context.Context, id string) (any, error)
	// Diagnostics is what `meshmeet doctor` asks a running node (data dir,
	// media address, peers' clock offsets).
	Diagnostics(ctx context.Context) (any, error)
	// Export renders the meeting's record (participants, chat, activity) in
	// format md, html or json, as a download.
	Export(ctx context.Context, id, format string) (*File, error)
	// Delete deletes this node's copy of the meeting: history, files and
	// recordings (other members keep theirs).
	Delete(ctx context.Context, id string) error
	// Subscribe streams the meeting's live events until ctx ends; the channel is then closed.
	Subscribe(ctx context.Context, id string) (<-chan Event, error)
}

// File is a shared file to download; the handler closes Content.
type File struct {
	Name    string
	ModTime time.Time
	Content io.ReadSeekCloser
}

// BrowserSignaller is implemented by a backend that carries the meeting
// page's media signalling: the page sends {"type":"signal","data":{...}} on
// the events WebSocket and gets the node's signalling back as "signal" events.
type BrowserSignaller interface {
	BrowserSignal(ctx context.Context, id string, msg []byte) error
}
