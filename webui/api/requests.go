package api

// Request bodies. Create and update take the fields of Meeting
// (title, description, scheduledTime, duration, settings); the node decodes
// those strictly itself.

// JoinRequest is POST /api/meetings/join.
type JoinRequest struct {
	JoinURL string `json:"joinUrl"`
}

// PeerRequest is the body of admit, deny, remove and mute.
type PeerRequest struct {
	PeerID string `json:"peerId"`
}

// RoleRequest is POST …/role.
type RoleRequest struct {
	PeerID string `json:"peerId"`
	Role   string `json:"role"`
}

// RecordingRequest is POST …/recording.
type RecordingRequest struct {
	On *bool `json:"on"`
}

// ExtendRequest is POST …/extend.
type ExtendRequest struct {
	Minutes *int `json:"minutes"`
}

// MessageRequest is POST …/messages.
type MessageRequest struct {
	Text string `json:"text"`
}

// ReactionRequest is POST …/reactions.
type ReactionRequest struct {
	Emoji string `json:"emoji"`
}

// Reactions are the emoji a reaction may be.
var Reactions = []string{"👍", "👏", "😂", "🎉", "❤️", "😮"}

// ValidReaction reports whether e is one of Reactions.
func ValidReaction(e string) bool {
	for _, r := range Reactions {
		if r == e {
			return true
		}
	}
	return false
}
