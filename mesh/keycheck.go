package mesh

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// keyCheckProtocol lets a node joining with a link learn at once that the
// link's key is wrong, instead of waiting for a genesis under a key nobody
// uses. The asker writes one frame (sync.go's framing)
//
//	{"v":1,"nonce":<16 bytes>,"probe":HMAC(meetingID, "…/probe"‖nonce),"check":HMAC(key, "…/check"‖nonce)}
//
// and the peer answers {"v":1,"answer":"same"|"other"|"unknown"}: whether
// it holds a meeting whose ID makes the probe and, if so, whether under the
// key that makes the check. A peer that does not know the meeting ID learns
// nothing from a probe, and the asker learns only whether this peer holds
// the meeting it named; keys never cross. The answer is a claim, not a
// proof (only the genesis proves a key): a join takes it as final only after
// keyCheckGrace without a genesis, and a lobby welcome ignores it.
const keyCheckProtocol = "/meshmeet/keycheck/1.0.0"

const (
	// probeVersion is the version of the key check and instance messages.
	probeVersion     = 1
	maxKeyCheckFrame = 256
	keyCheckTimeout  = 2 * time.Second
	// maxKeyCheckAsks bounds the peers one join asks per round.
	maxKeyCheckAsks = 32
	keyCheckSame    = "same"
	keyCheckOther   = "other"
	keyCheckUnknown = "unknown"
)

type keyCheckRequest struct {
	V     int    `json:"v"`
	Nonce []byte `json:"nonce"`
	Probe []byte `json:"probe"`
	Check []byte `json:"check"`
}

type keyCheckAnswer struct {
	V      int    `json:"v"`
	Answer string `json:"answer"`
}

func keyCheckMAC(key []byte, what string, nonce []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte("meshmeet/v1/keycheck/" + what + "\x00"))
	h.Write(nonce)
	return h.Sum(nil)
}

func newKeyCheckRequest(id string, secret []byte) keyCheckRequest {
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce)
	return keyCheckRequest{V: probeVersion, Nonce: nonce, Probe: keyCheckMAC([]byte(id), "probe", nonce), Check: keyCheckMAC(secret, "check", nonce)}
}

// decodeSmall decodes strictly a message of at most limit bytes.
func decodeSmall(raw []byte, limit int, what string, v any) error {
	if len(raw) > limit {
		return fmt.Errorf("%w: %s of %d bytes", ErrTooLarge, what, len(raw))
	}
	return decodeStrict(raw, v)
}

// decodeKeyCheckRequest parses a request from untrusted bytes.
func decodeKeyCheckRequest(raw []byte) (keyCheckRequest, error) {
	var r keyCheckRequest
	if err := decodeSmall(raw, maxKeyCheckFrame, "key check", &r); err != nil {
		return r, err
	}
	if r.V != probeVersion || len(r.Nonce) != 16 || len(r.Probe) != sha256.Size || len(r.Check) != sha256.Size {
		return r, fmt.Errorf("%w: key check fields", ErrInvalid)
	}
	return r, nil
}

// decodeKeyCheckAnswer parses an answer from untrusted bytes.
func decodeKeyCheckAnswer(raw []byte) (string, error) {
	var a keyCheckAnswer
	if err := decodeSmall(raw, maxKeyCheckFrame, "key check answer", &a); err != nil {
		return "", err
	}
	switch {
	case a.V != probeVersion:
		return "", fmt.Errorf("%w: key check answer version", ErrInvalid)
	case a.Answer != keyCheckSame && a.Answer != keyCheckOther && a.Answer != keyCheckUnknown:
		return "", fmt.Errorf("%w: key check answer", ErrInvalid)
	}
	return a.Answer, nil
}

// keyCheckAnswerFor says whether this node holds the meeting the request
// probes, and under which key. Only meetings whose key is proven count.
func (m *Mesh) keyCheckAnswerFor(r keyCheckRequest) string {
	m.mu.Lock()
	held := make([]keys, 0, len(m.meetings))
	ids := make([]string, 0, len(m.meetings))
	for id, mt := range m.meetings {
		held, ids = append(held, mt.keys), append(ids, id)
	}
	m.mu.Unlock()
	for i, id := range ids {
		if !hmac.Equal(keyCheckMAC([]byte(id), "probe", r.Nonce), r.Probe) {
			continue
		}
		if hmac.Equal(keyCheckMAC(held[i].secret, "check", r.Nonce), r.Check) {
			return keyCheckSame
		}
		return keyCheckOther
	}
	return keyCheckUnknown
}

// readAsked rate-limits the peer of a one-question stream and reads its
// question, decoded by decode; false when it reset the stream instead.
func readAsked[T any](m *Mesh, s network.Stream, limit uint32, decode func([]byte) (T, error)) (T, bool) {
	var zero T
	if !m.allow(s.Conn().RemotePeer()) {
		_ = s.Reset()
		return zero, false
	}
	_ = s.SetDeadline(time.Now().Add(keyCheckTimeout))
	raw, err := readFrame(s, limit)
	if err != nil {
		_ = s.Reset()
		return zero, false
	}
	q, err := decode(raw)
	if err != nil {
		_ = s.Reset()
		return zero, false
	}
	return q, true
}

func (m *Mesh) handleKeyCheck(s network.Stream) {
	r, ok := readAsked(m, s, maxKeyCheckFrame, decodeKeyCheckRequest)
	if !ok {
		return
	}
	out, _ := json.Marshal(keyCheckAnswer{V: probeVersion, Answer: m.keyCheckAnswerFor(r)})
	_ = writeFrame(s, out)
}

// askKeyCheck asks the connected peers not asked yet whether they hold the
// attempt's meeting under another key; an "other" is noted on the attempt.
func (m *Mesh) askKeyCheck(ctx context.Context, mt *meeting, asked map[string]bool) {
	n := 0
	for _, p := range m.host.Network().Peers() {
		if asked[p.String()] || n == maxKeyCheckAsks {
			continue
		}
		asked[p.String()] = true
		n++
		m.spawn(func(context.Context) {
			if m.keyCheckWith(ctx, p, mt) != keyCheckOther {
				return
			}
			m.log.Info("a peer holds the meeting under another key", "meeting", mt.id, "peer", p.String())
			mt.mu.Lock()
			if mt.pending != nil && mt.pending.other.IsZero() {
				mt.pending.other = time.Now()
			}
			mt.mu.Unlock()
		})
	}
}

// keyCheckWith asks one peer; "" when it does not answer.
func (m *Mesh) keyCheckWith(ctx context.Context, p peer.ID, mt *meeting) string {
	ctx, cancel := context.WithTimeout(ctx, keyCheckTimeout)
	defer cancel()
	s, err := m.host.NewStream(network.WithAllowLimitedConn(ctx, "keycheck"), p, keyCheckProtocol)
	if err != nil {
		return ""
	}
	defer s.Close()
	defer context.AfterFunc(ctx, func() { _ = s.Reset() })()
	req, _ := json.Marshal(newKeyCheckRequest(mt.id, mt.keys.secret))
	if err := writeFrame(s, req); err != nil {
		return ""
	}
	raw, err := readFrame(s, maxKeyCheckFrame)
	if err != nil {
		return ""
	}
	a, err := decodeKeyCheckAnswer(raw)
	if err != nil {
		return ""
	}
	return a
}
