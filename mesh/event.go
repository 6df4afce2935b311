package mesh

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Event types kept in a meeting's log.
const (
	TypeGenesis = "genesis"
	TypeJoin    = "join"
	TypeLeave   = "leave"
	TypeRole    = "role"
	TypeEnd     = "end"
	TypeChat    = "chat"
	TypeAdmit   = "admit"
	TypeDeny    = "deny"
	TypeRemove  = "remove"
	TypeMute    = "mute"
	TypeRecord  = "record"
	TypeExtend  = "extend"
	TypeUpdate  = "update"
)

const (
	wireVersion = 1
	// maxEnvelope bounds one signed event on the wire (4 KiB of chat text
	// can grow sixfold under JSON escaping, then by a third as base64).
	maxEnvelope = 48 << 10
	sigContext  = "meshmeet/event/v1\x00"
)

// Event is one signed entry of a meeting's log. The payload is kept byte for
// byte as signed; its hash is the event ID.
type Event struct {
	V       int             `json:"v"`
	Type    string          `json:"type"`
	Meeting string          `json:"meeting,omitempty"` // empty only in a genesis event
	Author  peer.ID         `json:"author"`
	HLC     uint64          `json:"hlc"`
	Body    json.RawMessage `json:"body,omitempty"`

	ID  string `json:"-"`
	raw []byte // the envelope as received or sent
}

type envelope struct {
	P []byte `json:"p"`
	S []byte `json:"s"`
}

// signEvent encodes ev, signs it with key and fills ID and raw.
func signEvent(ev *Event, key crypto.PrivKey) error {
	ev.V = wireVersion
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
	ev.raw = raw
	ev.ID = eventID(payload)
	return nil
}

func eventID(payload []byte) string {
	sum := sha256.Sum256(payload)
	return hex.EncodeToString(sum[:])
}

// decodeStrict decodes one JSON value, refusing unknown fields and trailing data.
func decodeStrict(data []byte, v any) error {
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

// DecodeEvent parses and authenticates a signed event from untrusted bytes:
// size, strict JSON, known type, and the author's signature.
func DecodeEvent(raw []byte) (*Event, error) {
	if len(raw) > maxEnvelope {
		return nil, fmt.Errorf("%w: event of %d bytes", ErrTooLarge, len(raw))
	}
	var env envelope
	if err := decodeStrict(raw, &env); err != nil {
		return nil, err
	}
	var ev Event
	if err := decodeStrict(env.P, &ev); err != nil {
		return nil, err
	}
	if ev.V != wireVersion {
		return nil, fmt.Errorf("%w: unsupported event version %d", ErrInvalid, ev.V)
	}
	if err := checkEventShape(&ev); err != nil {
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
	ev.ID = eventID(env.P)
	ev.raw = raw
	return &ev, nil
}

// checkEventShape validates what can be checked without the meeting state.
func checkEventShape(ev *Event) error {
	if err := ev.Author.Validate(); err != nil {
		return fmt.Errorf("%w: bad author", ErrInvalid)
	}
	if ev.HLC == 0 {
		return fmt.Errorf("%w: missing timestamp", ErrInvalid)
	}
	if (ev.Type == TypeGenesis) != (ev.Meeting == "") {
		return fmt.Errorf("%w: meeting field", ErrInvalid)
	}
	if ev.Meeting != "" && !meetingIDPattern.MatchString(ev.Meeting) {
		return fmt.Errorf("%w: meeting id", ErrInvalid)
	}
	var err error
	switch ev.Type {
	case TypeGenesis:
		var r Record
		if err = decodeStrict(ev.Body, &r); err == nil {
			err = r.validate()
		}
	case TypeJoin:
		var b joinBody
		if err = decodeStrict(ev.Body, &b); err == nil {
			err = validName(b.Name)
		}
	case TypeLeave, TypeEnd:
		if len(ev.Body) != 0 {
			err = fmt.Errorf("%w: unexpected body", ErrInvalid)
		}
	case TypeRole:
		var b roleBody
		if err = decodeStrict(ev.Body, &b); err == nil {
			err = b.validate()
		}
	case TypeAdmit, TypeDeny, TypeRemove, TypeMute:
		var b admitBody
		if err = decodeStrict(ev.Body, &b); err == nil {
			if _, perr := peer.Decode(b.Peer); perr != nil {
				err = fmt.Errorf("%w: admitted, denied, removed or muted peer", ErrInvalid)
			}
		}
	case TypeChat:
		var b chatBody
		if err = decodeStrict(ev.Body, &b); err == nil {
			err = b.validate()
		}
	case TypeRecord:
		var b recordBody
		err = decodeStrict(ev.Body, &b)
	case TypeUpdate:
		var b updateBody
		if err = decodeStrict(ev.Body, &b); err == nil {
			err = b.validate()
		}
	case TypeExtend:
		var b extendBody
		if err = decodeStrict(ev.Body, &b); err == nil {
			err = b.validate()
		}
	default:
		err = fmt.Errorf("%w: unknown event type %q", ErrInvalid, ev.Type)
	}
	return err
}
