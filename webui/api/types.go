package api

import "time"

// Node is GET /api/node: this node, its peers and how it reaches them.
type Node struct {
	PeerID    string   `json:"peerId"`
	Name      string   `json:"name"`
	Addresses []string `json:"addresses"`
	Peers     []string `json:"peers"`
	// Rendezvous lists the rendezvous servers this node was given and
	// whether it is connected to each now (empty: none configured).
	Rendezvous    []Rendezvous   `json:"rendezvous"`
	Clock         ClockStatus    `json:"clock"`
	IdentityClash *IdentityClash `json:"identityClash,omitempty"`
	Version       string         `json:"version"`
	UI            string         `json:"ui"`
}

// Rendezvous is one rendezvous server as this node sees it.
type Rendezvous struct {
	PeerID    string `json:"peerId"`
	Connected bool   `json:"connected"`
}

// ClockStatus is this node's clock measured against its peers'.
type ClockStatus struct {
	// OffsetMs is the median of the peers' clocks minus this node's.
	OffsetMs float64   `json:"offsetMs"`
	Peers    int       `json:"peers"` // how many peers answered (0: unknown)
	Checked  time.Time `json:"checked,omitzero"`
	Skewed   bool      `json:"skewed"` // beyond the limit either way
	Ahead    bool      `json:"ahead"`  // so far ahead that this node does not post
}

// IdentityClash says another running node uses this node's identity.
type IdentityClash struct {
	Since      time.Time `json:"since"`
	Last       time.Time `json:"last"`
	ReportedBy []string  `json:"reportedBy"`
}

// NameRequest is PUT /api/node/name: the display name others see from now on.
type NameRequest struct {
	Name string `json:"name"`
}

// Diagnostics is GET /api/node/diagnostics, what `meshmeet doctor` asks.
type Diagnostics struct {
	DataDir   string        `json:"dataDir"`
	MediaAddr string        `json:"mediaAddr"`
	Clock     []ClockOffset `json:"clock"`
}

// ClockOffset is a peer's clock minus this node's, measured over one round trip.
type ClockOffset struct {
	PeerID   string  `json:"peerId"`
	OffsetMs float64 `json:"offsetMs"`
	RTTMs    float64 `json:"rttMs"`
}

// Meeting statuses; a meeting this node waits to enter is Waiting instead.
const (
	StatusScheduled = "scheduled"
	StatusActive    = "active"
	StatusEnded     = "ended"
	StatusWaiting   = "waiting"
	StatusDenied    = "denied"
)

// Meeting is a meeting as the API shows it, with the link to share it.
type Meeting struct {
	ID            string        `json:"id"`
	Title         string        `json:"title"`
	Description   string        `json:"description"`
	ScheduledTime *time.Time    `json:"scheduledTime,omitempty"`
	Duration      int           `json:"duration"`
	Settings      Settings      `json:"settings"`
	Status        string        `json:"status"`
	Host          string        `json:"host"`
	CreatedAt     time.Time     `json:"createdAt"`
	EndedAt       *time.Time    `json:"endedAt,omitempty"`
	EndsAt        *time.Time    `json:"endsAt,omitempty"` // when a time-limited meeting ends by itself
	Joined        bool          `json:"joined"`
	Revision      int           `json:"revision"`           // edits by the host so far
	Recording     bool          `json:"recording"`          // somebody's node records the meeting now
	Recorder      string        `json:"recorder,omitempty"` // whose
	Participants  []Participant `json:"participants"`
	JoinURL       string        `json:"joinUrl"`
}

// Settings are a meeting's settings.
type Settings struct {
	MaxParticipants int  `json:"maxParticipants"`
	RequireApproval bool `json:"requireApproval"`
	EnableRecording bool `json:"enableRecording"`
	EnableChat      bool `json:"enableChat"`
	AutoEnd         bool `json:"autoEnd,omitempty"`
	LastN           int  `json:"lastN,omitempty"`
}

// Waiting is the answer about a meeting this node waits to be admitted
// to (Status waiting, 202 on join) or was turned away from (denied).
type Waiting struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

// Created is POST /api/meetings' answer (201).
type Created struct {
	Meeting Meeting `json:"meeting"`
	JoinURL string  `json:"joinUrl"`
}

// Participant is one person in a meeting.
type Participant struct {
	PeerID        string      `json:"peerId"`
	Name          string      `json:"name"`
	Fingerprint   string      `json:"fingerprint"`
	Role          string      `json:"role"`
	JoinedAt      time.Time   `json:"joinedAt"`
	LeftAt        *time.Time  `json:"leftAt,omitempty"`
	Online        bool        `json:"online"`
	Media         *MediaState `json:"media,omitempty"`
	RelayCapacity int         `json:"relayCapacity"` // 0: must not relay media
}

// MediaState is what presence says about a participant's media.
type MediaState struct {
	Audio       bool `json:"audio"`
	Video       bool `json:"video"`
	ScreenShare bool `json:"screenShare"`
	HandRaised  bool `json:"handRaised"`
	// HandRaisedAt is when the hand went up (unix ms), stamped by the
	// raiser's node and carried in its presence, so every node orders
	// raised hands alike; 0 while the hand is down. A page never sets it.
	HandRaisedAt int64 `json:"handRaisedAt,omitempty"`
	Speaking     bool  `json:"speaking"` // measured by the node, never set by a page
}

// Message is one chat message.
type Message struct {
	ID      string    `json:"id"`
	Meeting string    `json:"meetingId"`
	From    string    `json:"from"`
	Name    string    `json:"name"`
	Text    string    `json:"text"`
	File    *FileRef  `json:"file,omitempty"` // a shared file: GET …/files/{sha256}
	Time    time.Time `json:"time"`
	HLC     uint64    `json:"hlc"`
}

// FileRef names a file shared in a meeting.
type FileRef struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	Type   string `json:"type,omitempty"`
	SHA256 string `json:"sha256"`
}

// LobbyEntry is one person waiting to be admitted.
type LobbyEntry struct {
	PeerID      string    `json:"peerId"`
	Name        string    `json:"name"`
	Fingerprint string    `json:"fingerprint"`
	Since       time.Time `json:"since"`
}

// AuditEntry is one line of a meeting's audit log.
type AuditEntry struct {
	ID      string    `json:"id"`
	Type    string    `json:"type"`
	Actor   string    `json:"actor"`
	Target  string    `json:"target,omitempty"`
	Role    string    `json:"role,omitempty"`
	Minutes int       `json:"minutes,omitempty"` // of an extension
	Time    time.Time `json:"time"`
	HLC     uint64    `json:"hlc"`
}

// MediaStats is GET …/media: the meeting's media topology as this node sees it.
type MediaStats struct {
	MeetingID      string       `json:"meetingId"`
	Mode           string       `json:"mode"`            // "mesh" or "relay"
	Relay          string       `json:"relay,omitempty"` // the relay's peer ID
	Self           string       `json:"self"`
	Browser        string       `json:"browser"` // browser PeerConnection state, "none" without one
	Links          []LinkStats  `json:"links"`
	TracksSent     []TrackStats `json:"tracksSent"`
	TracksReceived []TrackStats `json:"tracksReceived"`
	// TracksToBrowser is what this node sends its own page.
	TracksToBrowser []TrackStats `json:"tracksToBrowser"`
	// Talking is how many microphones this node forwards talk now; LoudestOnly, that
	// more than 10 do, so pages get only the loudest.
	Talking     int  `json:"talking"`
	LoudestOnly bool `json:"loudestOnly,omitempty"`
}

// LinkStats describes the link to one other node.
type LinkStats struct {
	PeerID      string `json:"peerId"`
	Status      string `json:"status"` // connecting, connected or reconnecting
	State       string `json:"state"`  // PeerConnection state
	ICEState    string `json:"iceState"`
	Offerer     bool   `json:"offerer"`
	ICERestarts int64  `json:"iceRestarts"`
	Rebuilds    int64  `json:"rebuilds"`
}

// TrackStats describes one forwarded track.
type TrackStats struct {
	PeerID           string `json:"peerId"`
	Kind             string `json:"kind"`
	Source           string `json:"source"`
	Codec            string `json:"codec"`
	Packets          uint64 `json:"packets"`
	Bytes            uint64 `json:"bytes"`
	BitrateBps       uint64 `json:"bitrateBps"`
	Dropped          uint64 `json:"dropped,omitempty"`
	KeyframeRequests uint64 `json:"keyframeRequests,omitempty"`
	// Origin is the participant the track comes from; for a simulcast camera sent,
	// Layer is the RID of the layer sent now and Switches the layer switches so far.
	Origin   string `json:"origin"`
	Layer    string `json:"layer,omitempty"`
	Switches int64  `json:"switches,omitempty"`
	// Held: a microphone sent that loudest-N holds back from its receiver now.
	Held bool `json:"held,omitempty"`
}

// Recordings is GET …/recordings: this node's recordings of the meeting.
type Recordings struct {
	Dir       string          `json:"dir"`
	Recording bool            `json:"recording"` // this node records now
	Files     []RecordingFile `json:"files"`
	// Names maps the peer IDs in the files' names to the names the
	// meeting's log gives them, so that people who left are named too.
	Names map[string]string `json:"names"`
}

// RecordingFile is one recorded track on this node's disk.
type RecordingFile struct {
	Path     string    `json:"path"` // <start>/<peerID>-<source>.<ivf|ogg|h264>
	Size     int64     `json:"size"`
	Modified time.Time `json:"modified"`
}
