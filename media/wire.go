package media

import (
	"bytes"
	"encoding/json"
	"io"

	"github.com/pion/webrtc/v4"
)

// WireVersion is the version of the signalling messages below.
const WireVersion = 1

// MaxSignalSize bounds one signalling message (SDP of a large meeting included).
const MaxSignalSize = 128 << 10

// Message types. Which side may send which is checked by the handlers:
//
//	browser → node: hello, answer, candidate, restart
//	node → browser: offer, candidate, bye
//	node ↔ node:    offer, answer, candidate, restart (answerer asks the offerer to (re)offer)
//	node → browser: links (the state of this node's links to the other nodes)
//	browser → node, node ↔ node: view (the size the page shows each tile at)
const (
	TypeHello     = "hello"
	TypeOffer     = "offer"
	TypeAnswer    = "answer"
	TypeCandidate = "candidate"
	TypeRestart   = "restart"
	TypeBye       = "bye"
	TypeLinks     = "links"
	TypeView      = "view"
	// Between two site relays, which both add tracks: "ask" (the side that does not
	// offer first: may I offer?) and "turn" (the other: offer now; I hold mine meanwhile).
	TypeAsk  = "ask"
	TypeTurn = "turn"
)

// maxTileSide bounds a tile's width and height in device pixels.
const maxTileSide = 1 << 14

const (
	maxIDLen     = 256
	maxTrackMeta = 256
)

// TrackInfo tells the browser whose track arrives on a transceiver and what it is.
type TrackInfo struct {
	PeerID string `json:"peerId"`
	Kind   string `json:"kind"`   // "audio" or "video"
	Source string `json:"source"` // "mic", "camera" or "screen"
}

// Signal is one signalling message, on the browser WebSocket and on node-to-node streams.
type Signal struct {
	V         int                      `json:"v"`
	Type      string                   `json:"type"`
	MeetingID string                   `json:"meetingId"`
	SDP       string                   `json:"sdp,omitempty"`
	Candidate *webrtc.ICECandidateInit `json:"candidate,omitempty"`
	// Publish (node → browser offers) maps a source ("mic", "camera", "screen") to the
	// mid of the transceiver the browser sends it on.
	Publish map[string]string `json:"publish,omitempty"`
	// Tracks (node → browser offers) maps the mid of each track the node sends to its origin.
	Tracks map[string]TrackInfo `json:"tracks,omitempty"`
	// Link (node ↔ node) is the link's epoch: both PeerConnections of one link have the
	// same, and a new link between two nodes has a larger one (meeting.handlePeer).
	Link uint64 `json:"link,omitempty"`
	// Links (node → browser "links") is the state of each link to another node, and
	// Relay the meeting's relay ("" in a mesh): with a relay, all media comes through it.
	Links []LinkStats `json:"links,omitempty"`
	Relay string      `json:"relay,omitempty"`
	// Tiles ("view": the page → its node, and that node → the nodes it receives from) is
	// every video tile the page shows, with its size in device pixels. A relay sends the
	// nodes it receives from a view of pinned tiles only (view.go).
	Tiles []ViewTile `json:"tiles,omitempty"`
	// Simulcast ("hello") says the page sends its camera as simulcast layers q, h, f:
	// the node's offers then ask for them (offerSimulcast).
	Simulcast bool `json:"simulcast,omitempty"`
}

// ViewTile is one video tile of a page: whose (peer ID) and which source ("camera",
// "screen"), and its size in device pixels. Pinned: the page pins it, so its camera
// passes last-N for this receiver (view.go; the first maxPins count).
type ViewTile struct {
	Peer   string `json:"peer"`
	Source string `json:"source"`
	W      int    `json:"w"`
	H      int    `json:"h"`
	Pinned bool   `json:"pinned,omitempty"`
}

// DecodeSignal decodes one message strictly: size-limited, no unknown fields, no trailing
// data, known type, version and the fields that type needs.
func DecodeSignal(data []byte) (*Signal, error) {
	if len(data) > MaxSignalSize {
		return nil, errorf(ErrTooLarge, "%d bytes", len(data))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var s Signal
	if err := dec.Decode(&s); err != nil {
		return nil, errorf(ErrBadMessage, "decode: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errorf(ErrBadMessage, "trailing data")
	}
	if err := s.validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

func (s *Signal) validate() error {
	if s.V != WireVersion {
		return errorf(ErrBadMessage, "version %d", s.V)
	}
	if s.MeetingID == "" || len(s.MeetingID) > maxIDLen {
		return errorf(ErrBadMessage, "meetingId")
	}
	switch s.Type {
	case TypeOffer, TypeAnswer:
		if s.SDP == "" {
			return errorf(ErrBadMessage, "%s without sdp", s.Type)
		}
	case TypeCandidate:
		if s.Candidate == nil {
			return errorf(ErrBadMessage, "candidate missing")
		}
	case TypeHello, TypeRestart, TypeBye, TypeLinks, TypeView, TypeAsk, TypeTurn:
	default:
		return errorf(ErrBadMessage, "type %q", s.Type)
	}
	if len(s.Publish) > 8 || len(s.Tracks) > maxTrackMeta || len(s.Links) > maxLinks {
		return errorf(ErrBadMessage, "too many tracks")
	}
	if len(s.Relay) > maxIDLen {
		return errorf(ErrBadMessage, "relay")
	}
	if len(s.Tiles) > maxTrackMeta {
		return errorf(ErrBadMessage, "too many tiles")
	}
	for _, t := range s.Tiles {
		if len(t.Peer) > maxIDLen || len(t.Source) > 16 || t.W < 0 || t.H < 0 || t.W > maxTileSide || t.H > maxTileSide {
			return errorf(ErrBadMessage, "tile")
		}
	}
	for _, t := range s.Tracks {
		if len(t.PeerID) > maxIDLen || len(t.Kind) > 16 || len(t.Source) > 16 {
			return errorf(ErrBadMessage, "track info")
		}
	}
	return nil
}

// encodeSignal marshals a message the engine built itself.
func encodeSignal(s Signal) []byte {
	s.V = WireVersion
	b, err := json.Marshal(s)
	if err != nil { // only strings and maps of strings: cannot fail
		panic(err)
	}
	return b
}
