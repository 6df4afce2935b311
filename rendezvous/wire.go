package rendezvous

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/libp2p/go-libp2p/core/protocol"
)

// ProtocolID is the libp2p protocol of the rendezvous service.
const ProtocolID protocol.ID = "/meshmeet/rendezvous/1.0.0"

const (
	wireVersion = 1

	// maxRequestSize bounds a request frame: a namespace of at most 128
	// bytes plus a few small fields fit easily.
	maxRequestSize = 1 << 10
	// maxResponseSize bounds a response frame: maxDiscoverLimit peers with
	// maxAddrsPerPeer addresses each.
	maxResponseSize = 1 << 20

	maxDiscoverLimit = 200
	maxAddrsPerPeer  = 24
)

// Message types.
const (
	typeRegister   = "register"
	typeUnregister = "unregister"
	typeDiscover   = "discover"
	typeTURN       = "turn" // credentials for the server's TURN relay
)

// Response statuses.
const (
	statusOK    = "ok"
	statusError = "error"
)

// request is the one client message. Fields not used by a type must be zero.
type request struct {
	V    int    `json:"v"`
	Type string `json:"type"`
	NS   string `json:"ns"`
	// TTL is in seconds; 0 asks for the server's default (REGISTER only).
	TTL int64 `json:"ttl,omitempty"`
	// Limit caps the peers returned; 0 asks for the server's maximum
	// (DISCOVER only).
	Limit int `json:"limit,omitempty"`
	// Wait (seconds, DISCOVER only) makes the server hold the answer until
	// a registration newer than Cookie (a previous answer's) arrives under
	// NS, or Wait is over; 0 answers at once.
	Wait   int64  `json:"wait,omitempty"`
	Cookie uint64 `json:"cookie,omitempty"`
}

// response answers one request.
type response struct {
	V      int    `json:"v"`
	Status string `json:"status"`
	Code   string `json:"code,omitempty"`
	Error  string `json:"error,omitempty"`
	// TTL is the granted TTL in seconds (REGISTER).
	TTL   int64      `json:"ttl,omitempty"`
	Peers []wirePeer `json:"peers,omitempty"`
	// Cookie names the newest registration under the namespace (DISCOVER).
	Cookie uint64    `json:"cookie,omitempty"`
	TURN   *wireTURN `json:"turn,omitempty"`
}

// wireTURN is a TURN relay and short-lived credentials for it.
type wireTURN struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username"`
	Credential string   `json:"credential"`
	TTL        int64    `json:"ttl"` // seconds the credentials stay valid
	// TLSPin is the SHA-256 (hex) of the certificate of the turns: URL.
	TLSPin string `json:"tlsPin,omitempty"`
}

// wirePeer is one discovered peer: its ID and multiaddrs as strings.
type wirePeer struct {
	ID    string   `json:"id"`
	Addrs []string `json:"addrs"`
}

// validNamespace reports whether ns is 1..maxLen bytes of [0-9A-Za-z_-].
func validNamespace(ns string, maxLen int) error {
	if ns == "" || len(ns) > maxLen {
		return fmt.Errorf("%w: length %d not in 1..%d", ErrInvalidNamespace, len(ns), maxLen)
	}
	for i := 0; i < len(ns); i++ {
		c := ns[i]
		ok := c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-'
		if !ok {
			return fmt.Errorf("%w: byte %d not allowed", ErrInvalidNamespace, i)
		}
	}
	return nil
}

// decodeStrict decodes exactly one JSON value from b into v, rejecting
// unknown fields and trailing data.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: trailing data", ErrMalformed)
	}
	return nil
}

// decodeRequest decodes and validates one request body (without its length
// prefix). maxNSLen is the namespace length limit.
func decodeRequest(b []byte, maxNSLen int) (request, error) {
	var req request
	if len(b) > maxRequestSize {
		return req, fmt.Errorf("%w: %d bytes", ErrMessageTooLarge, len(b))
	}
	if err := decodeStrict(b, &req); err != nil {
		return req, err
	}
	if req.V != wireVersion {
		return req, fmt.Errorf("%w: version %d", ErrMalformed, req.V)
	}
	switch req.Type {
	case typeRegister:
		if req.Limit != 0 || req.Wait != 0 || req.Cookie != 0 {
			return req, fmt.Errorf("%w: extra fields in register", ErrMalformed)
		}
		if req.TTL < 0 {
			return req, fmt.Errorf("%w: %d", ErrInvalidTTL, req.TTL)
		}
	case typeUnregister:
		if req.Limit != 0 || req.TTL != 0 || req.Wait != 0 || req.Cookie != 0 {
			return req, fmt.Errorf("%w: extra fields in unregister", ErrMalformed)
		}
	case typeDiscover:
		if req.TTL != 0 {
			return req, fmt.Errorf("%w: ttl in discover", ErrMalformed)
		}
		if req.Limit < 0 || req.Wait < 0 {
			return req, fmt.Errorf("%w: negative limit or wait", ErrMalformed)
		}
	case typeTURN:
		if req.NS != "" || req.TTL != 0 || req.Limit != 0 || req.Wait != 0 || req.Cookie != 0 {
			return req, fmt.Errorf("%w: fields in a turn request", ErrMalformed)
		}
		return req, nil
	default:
		return req, fmt.Errorf("%w: unknown type %q", ErrMalformed, req.Type)
	}
	if err := validNamespace(req.NS, maxNSLen); err != nil {
		return req, err
	}
	return req, nil
}

// decodeResponse decodes one response body.
func decodeResponse(b []byte) (response, error) {
	var resp response
	if err := decodeStrict(b, &resp); err != nil {
		return resp, err
	}
	if resp.V != wireVersion {
		return resp, fmt.Errorf("%w: version %d", ErrMalformed, resp.V)
	}
	switch resp.Status {
	case statusOK:
	case statusError:
		return resp, codeError(resp.Code, resp.Error)
	default:
		return resp, fmt.Errorf("%w: status %q", ErrMalformed, resp.Status)
	}
	return resp, nil
}

// readFrame reads one uvarint-length-prefixed frame of at most max bytes.
// A clean EOF before the frame returns io.EOF.
func readFrame(r *bufio.Reader, max int) ([]byte, error) {
	n, err := binary.ReadUvarint(r)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		return nil, fmt.Errorf("%w: length: %w", ErrMalformed, err)
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: empty frame", ErrMalformed)
	}
	if n > uint64(max) {
		return nil, fmt.Errorf("%w: %d bytes", ErrMessageTooLarge, n)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, fmt.Errorf("%w: body: %w", ErrMalformed, err)
	}
	return b, nil
}

// writeFrame marshals v and writes it as one frame.
func writeFrame(w io.Writer, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("marshal: %w", err)
	}
	buf := make([]byte, 0, binary.MaxVarintLen64+len(body))
	buf = binary.AppendUvarint(buf, uint64(len(body)))
	buf = append(buf, body...)
	if _, err := w.Write(buf); err != nil {
		return fmt.Errorf("write frame: %w", err)
	}
	return nil
}
