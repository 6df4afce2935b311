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

// ReactionRequest is POST …/reactions: one of 👍 👏 😂 🎉 ❤️ 😮 (the
// node's list, mesh.Reactions; anything else is ErrBadReaction).
type ReactionRequest struct {
	Emoji string `json:"emoji"`
}
