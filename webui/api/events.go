package api

// Types of the events on GET …/events (WebSocket). Data is, by type:
// Participant (joined, left, removed, mute, media-state-changed), Message
// (chat-message), Meeting without joinUrl (meeting-updated, meeting-ended),
// []LobbyEntry (lobby-updated), the node's media signalling (signal). A
// reaction carries no Data: its fields are on the event itself.
const (
	EventJoined     = "participant-joined"
	EventLeft       = "participant-left"
	EventRemoved    = "participant-removed"
	EventMute       = "mute-requested"
	EventChat       = "chat-message"
	EventUpdated    = "meeting-updated"
	EventEnded      = "meeting-ended"
	EventMediaState = "media-state-changed"
	EventLobby      = "lobby-updated"
	EventSignal     = "signal"
	EventReaction   = "reaction"
)

// Event is one item on a meeting's live event stream.
type Event struct {
	Type string `json:"type"`
	Data any    `json:"data,omitempty"`
	// Reaction's fields, set on reaction events only:
	// {"type":"reaction","meeting":ID,"peer":PEER,"emoji":E}.
	Meeting string `json:"meeting,omitempty"`
	Peer    string `json:"peer,omitempty"`
	Emoji   string `json:"emoji,omitempty"`
}
