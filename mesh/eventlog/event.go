package eventlog

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"time"
	"unicode/utf8"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
)

const (
	// WireVersion 2 added Prev: the log became a hash-linked graph.
	WireVersion = 2
	// MaxEnvelope bounds one signed event on the wire (4 KiB of chat text
	// can grow sixfold under JSON escaping, then by a third as base64).
	MaxEnvelope = 48 << 10
	// MaxPrev bounds the heads one event names.
	MaxPrev    = 64
	sigContext = "meshmeet/event/v2\x00"
)

var (
	meetingIDPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)
	eventIDPattern   = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// Event is one signed entry of a meeting's log. The payload is kept byte for
// byte as signed; its hash is the event ID.
type Event struct {
	V       int             `json:"v"`
	Type    string          `json:"type"`
	Meeting string          `json:"meeting,omitempty"` // empty only in a genesis event
	Author  peer.ID         `json:"author"`
	HLC     uint64          `json:"hlc"`
	Prev    []string        `json:"prev,omitempty"` // the heads its author had seen
	Body    json.RawMessage `json:"body,omitempty"`

	ID   string `json:"-"`
	raw  []byte // the envelope as received or sent
	body any    // Body, decoded once by its kind
}

type envelope struct {
	P []byte `json:"p"`
	S []byte `json:"s"`
}

// Raw is the signed envelope as it travels and is stored.
func (ev *Event) Raw() []byte { return ev.raw }

// Time is the wall-clock part of the event's timestamp.
func (ev *Event) Time() time.Time { return HLCTime(ev.HLC) }

// Sign checks ev's shape, encodes it, signs it with key and fills ID.
func Sign(ev *Event, key crypto.PrivKey) error {
	ev.V = WireVersion
	if err := ev.shape(); err != nil {
		return err
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	sig, err := key.Sign(append([]byte(sigContext), payload...))
	if err != nil {
		return err
	}
	raw, err := json.Marshal(envelope{P: payload, S: sig})
	if err != nil {
		return err
	}
	ev.raw, ev.ID = raw, eventID(payload)
	return nil
}

func eventID(payload []byte) string {
	sum := sha256.Sum256(payload)
	return hex.EncodeToString(sum[:])
}

// DecodeStrict decodes one JSON value, refusing unknown fields and trailing data.
func DecodeStrict(data []byte, v any) error {
	if !utf8.Valid(data) {
		return fmt.Errorf("%w: not valid UTF-8", ErrInvalid)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: trailing data", ErrInvalid)
	}
	return nil
}

// Decode parses and authenticates a signed event from untrusted bytes: size,
// strict JSON, known type, a valid body, and the author's signature.
func Decode(raw []byte) (*Event, error) {
	if len(raw) > MaxEnvelope {
		return nil, fmt.Errorf("%w: event of %d bytes", ErrTooLarge, len(raw))
	}
	var env envelope
	if err := DecodeStrict(raw, &env); err != nil {
		return nil, err
	}
	var ev Event
	if err := DecodeStrict(env.P, &ev); err != nil {
		return nil, err
	}
	if ev.V != WireVersion {
		return nil, fmt.Errorf("%w: unsupported event version %d", ErrInvalid, ev.V)
	}
	if err := ev.shape(); err != nil {
		return nil, err
	}
	pub, err := ev.Author.ExtractPublicKey()
	if err != nil {
		return nil, fmt.Errorf("%w: author has no embedded key", ErrInvalid)
	}
	ok, err := pub.Verify(append([]byte(sigContext), env.P...), env.S)
	if err != nil || !ok {
		return nil, fmt.Errorf("%w: bad signature", ErrInvalid)
	}
	ev.ID, ev.raw = eventID(env.P), raw
	return &ev, nil
}

// shape validates what can be checked without the log, and decodes the body.
func (ev *Event) shape() error {
	k, ok := kinds[ev.Type]
	switch {
	case !ok:
		return fmt.Errorf("%w: unknown event type %q", ErrInvalid, ev.Type)
	case ev.Author.Validate() != nil:
		return fmt.Errorf("%w: bad author", ErrInvalid)
	case ev.HLC == 0:
		return fmt.Errorf("%w: missing timestamp", ErrInvalid)
	case (ev.Type == TypeGenesis) != (ev.Meeting == ""):
		return fmt.Errorf("%w: meeting field", ErrInvalid)
	case ev.Meeting != "" && !meetingIDPattern.MatchString(ev.Meeting):
		return fmt.Errorf("%w: meeting id", ErrInvalid)
	case (ev.Type == TypeGenesis) != (len(ev.Prev) == 0), len(ev.Prev) > MaxPrev:
		return fmt.Errorf("%w: prev must name 1 to %d events (none in a genesis)", ErrInvalid, MaxPrev)
	}
	seen := map[string]bool{}
	for _, p := range ev.Prev {
		if !eventIDPattern.MatchString(p) || seen[p] {
			return fmt.Errorf("%w: prev", ErrInvalid)
		}
		seen[p] = true
	}
	if k.body == nil {
		if len(ev.Body) != 0 {
			return fmt.Errorf("%w: unexpected body", ErrInvalid)
		}
		return nil
	}
	b := k.body()
	if err := DecodeStrict(ev.Body, b); err != nil {
		return err
	}
	if err := b.validate(); err != nil {
		return err
	}
	ev.body = b
	return nil
}

// BodyOf is ev's decoded body, or nil when ev is not of that body type.
func BodyOf[T any](ev *Event) *T {
	b, _ := ev.body.(*T)
	return b
}

// HLC timestamps pack wall-clock milliseconds in the top 48 bits and a
// logical counter in the low 16, so plain integer order is causal order.
const HLCLogicalBits = 16

// HLCFromTime is the first timestamp of t's millisecond.
func HLCFromTime(t time.Time) uint64 { return uint64(t.UnixMilli()) << HLCLogicalBits }

// HLCTime is the wall-clock part of an HLC timestamp.
func HLCTime(h uint64) time.Time { return time.UnixMilli(int64(h >> HLCLogicalBits)).UTC() }
