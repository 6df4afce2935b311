package webui

import (
	"context"
	"io"
	"time"

	"meshmeet/webui/api"
)

// Backend is what the local API needs from the node; the values it
// returns are the API's wire types, written to the client as they are, and
// its errors are api.Error kinds (anything else answers 500). Bodies passed as
// []byte are the raw request JSON (already size-limited and checked to be
// valid UTF-8 JSON); the backend decodes them strictly.
type Backend interface {
	Node(ctx context.Context) (api.Node, error)
	CreateMeeting(ctx context.Context, body []byte) (api.Created, error)
	Meetings(ctx context.Context) ([]api.Meeting, error)
	// Meeting is the meeting, or (Meeting nil) where this node waits in its
	// lobby or was turned away.
	Meeting(ctx context.Context, id string) (*api.Meeting, *api.Waiting, error)
	// UpdateMeeting edits a meeting (host only); body holds the fields to change.
	UpdateMeeting(ctx context.Context, id string, body []byte) (api.Meeting, error)
	// Join joins, or (Meeting nil) waits in the lobby: 202 with Waiting.
	Join(ctx context.Context, joinURL string) (*api.Meeting, *api.Waiting, error)
	Leave(ctx context.Context, id string) error
	End(ctx context.Context, id string) error
	SetRole(ctx context.Context, id, peerID, role string) (api.Meeting, error)
	// SetRecording starts or stops this node's recording of the meeting (host or moderator).
	SetRecording(ctx context.Context, id string, on bool) (api.Meeting, error)
	// Extend adds minutes to a meeting that ends by itself (host or moderator).
	Extend(ctx context.Context, id string, minutes int) (api.Meeting, error)
	// Rekey moves the meeting to a new key (host or moderator): whoever had
	// the old one and is no longer a member opens nothing new; the link changes.
	Rekey(ctx context.Context, id string) (api.Meeting, error)
	// OpenRecording opens one recorded file, by its path in the Recordings list.
	OpenRecording(ctx context.Context, id, path string) (*File, error)
	// Recordings lists the meeting's recordings on this node.
	Recordings(ctx context.Context, id string) (api.Recordings, error)
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
	Lobby(ctx context.Context, id string) ([]api.LobbyEntry, error)
	// ShareFile stores a file (the request body, read to its end) and posts
	// it to the meeting's chat; it returns the message. Too large a file is
	// ErrTooLarge.
	ShareFile(ctx context.Context, id, name, mediaType string, body io.Reader) (api.Message, error)
	// OpenFile opens a file shared in the meeting, fetched from a member
	// node first if this node lacks it.
	OpenFile(ctx context.Context, id, sha256 string) (*File, error)
	Messages(ctx context.Context, id, after string, limit int) ([]api.Message, error)
	PostMessage(ctx context.Context, id, text string) (api.Message, error)
	Participants(ctx context.Context, id string) ([]api.Participant, error)
	SetMediaState(ctx context.Context, id string, body []byte) (api.Participant, error)
	// React shows an emoji (one of api.Reactions) to everyone in the
	// meeting, as presence: it is not kept.
	React(ctx context.Context, id, emoji string) error
	// SetName changes this node's display name, kept in its data dir.
	SetName(ctx context.Context, name string) (api.Node, error)
	Media(ctx context.Context, id string) (api.MediaStats, error)
	Audit(ctx context.Context, id string) ([]api.AuditEntry, error)
	// Diagnostics is what `meshmeet doctor` asks a running node (data dir,
	// media address, peers' clock offsets).
	Diagnostics(ctx context.Context) (api.Diagnostics, error)
	// Export renders the meeting's record (participants, chat, activity) in
	// format md, html or json, as a download.
	Export(ctx context.Context, id, format string) (*File, error)
	// Delete deletes this node's copy of the meeting: history, files and
	// recordings (other members keep theirs).
	Delete(ctx context.Context, id string) error
	// Subscribe streams the meeting's live events until ctx ends; the channel is then closed.
	Subscribe(ctx context.Context, id string) (<-chan api.Event, error)
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
