package mesh

import (
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// The membership challenge: before a node says anything about a meeting to a
// peer (its sync, files, signalling, even its topic names), both prove on the
// connection that they hold the meeting's key (or a lobby's key), and neither
// names the meeting in clear.
//
//	initiator → responder   nonceI (32 bytes)
//	responder → initiator   nonceR (32 bytes)
//	initiator → responder   macI = HMAC(authKey, "meshmeet/auth/1 initiator" ‖ T)   (32 bytes)
//	responder → initiator   macR = HMAC(authKey, "meshmeet/auth/1 responder" ‖ T)   (32 bytes)
//
// T is both peer IDs (as the connection's security handshake authenticated
// them, each with a 2-byte length) and both nonces; authKey derives from the
// link secret by HKDF. The responder tries macI against every key it holds;
// when none matches it resets the stream, so a peer that cannot prove a key
// learns neither which meetings the responder is in nor whether it is in any.
// Both sides then name the pair by a session ID (the first 16 bytes of HMAC(authKey,
// "meshmeet/auth/1 session" ‖ T)): sync, file and signal streams open with
// it, and a responder serves a stream only if its peer proved that session.
// Sessions live as long as the peer stays connected.
const (
	authProtocol = protocol.ID("/meshmeet/auth/1.0.0")
	authTimeout  = 5 * time.Second // the whole challenge, and every stream's opening session ID
	nonceLen     = 32
	macLen       = sha256.Size
	sessionLen   = 16
	authLabel    = "meshmeet/auth/1 "
	// authRetry is how long a failed challenge with a peer for a key is not
	// tried again: a stranger subscribing to a topic name must not make
	// this node challenge it on every event.
	authRetry = 30 * time.Second
)

// errNotProven is a peer that did not prove the meeting's key.
var errNotProven = errors.New("the peer did not prove it holds the meeting key")

type sessionID [sessionLen]byte

// sessions are the (peer, key) pairs proven on this node's connections.
type sessions struct {
	mu      sync.Mutex
	byPeer  map[peer.ID]*peerSessions
	failed  map[string]time.Time // peer and tag → when a challenge last failed
	flights map[string]*authFlight
}

type peerSessions struct {
	tags   map[sessionID]string // every session the peer proved → the key's tag
	proven map[string]bool      // the tags of those
	// named are the sessions this node opens streams with, by tag: those of
	// challenges it started, which the peer recorded before answering.
	named map[string]sessionID
}

// authFlight is one challenge under way; others wanting the same pair wait for it.
type authFlight struct {
	done chan struct{}
	sid  sessionID
	err  error
}

func newSessions() *sessions {
	return &sessions{byPeer: map[peer.ID]*peerSessions{}, failed: map[string]time.Time{}, flights: map[string]*authFlight{}}
}

// authKey is the challenge's MAC key for one meeting or lobby key.
func authKey(k keys) []byte {
	b, err := hkdf.Key(sha256.New, k.secret, []byte(k.tag), "meshmeet/v1/auth", sha256.Size)
	if err != nil {
		panic(err)
	}
	return b
}

// transcript binds a challenge to both ends of the connection and both nonces.
func transcript(initiator, responder peer.ID, nonceI, nonceR []byte) []byte {
	t := make([]byte, 0, 4+len(initiator)+len(responder)+2*nonceLen)
	for _, id := range []peer.ID{initiator, responder} {
		t = binary.BigEndian.AppendUint16(t, uint16(len(id)))
		t = append(t, id...)
	}
	return append(append(t, nonceI...), nonceR...)
}

func authMAC(key []byte, what string, t []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(authLabel + what))
	h.Write(t)
	return h.Sum(nil)
}

func sessionOf(key, t []byte) (sid sessionID) {
	copy(sid[:], authMAC(key, "session", t))
	return sid
}

// heldKeys are the keys of every meeting and lobby this node holds, older
// key epochs included (a member not moved yet proves those; epoch.go says
// what it may have under them).
func (m *Mesh) heldKeys() []keys {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]keys, 0, len(m.meetings)+len(m.lobbies))
	for _, mt := range m.meetings {
		out = append(out, mt.keys)
		if mt.prev != nil {
			out = append(out, mt.prev.keys)
		}
		for _, o := range mt.older {
			out = append(out, o.keys)
		}
	}
	for _, a := range m.attempts { // a join proving its key answers for it too
		out = append(out, a.mt.keys)
	}
	for _, lb := range m.lobbies {
		out = append(out, lb.keys)
	}
	return out
}

// hasProved says whether p proved the key with this tag on its connection.
func (m *Mesh) hasProved(p peer.ID, tag string) bool {
	s := m.sessions
	s.mu.Lock()
	defer s.mu.Unlock()
	ps := s.byPeer[p]
	if ps == nil {
		return false
	}
	return ps.proven[tag]
}

// provenTags are the tags p proved.
func (m *Mesh) provenTags(p peer.ID) []string {
	s := m.sessions
	s.mu.Lock()
	defer s.mu.Unlock()
	ps := s.byPeer[p]
	if ps == nil {
		return nil
	}
	out := make([]string, 0, len(ps.proven))
	for tag := range ps.proven {
		out = append(out, tag)
	}
	return out
}

// sessionTag is the tag of a session p proved, if it did.
func (m *Mesh) sessionTag(p peer.ID, sid sessionID) (string, bool) {
	s := m.sessions
	s.mu.Lock()
	defer s.mu.Unlock()
	if ps := s.byPeer[p]; ps != nil {
		tag, ok := ps.tags[sid]
		return tag, ok
	}
	return "", false
}

// recordSession notes that p proved the key with this tag (mine: in a
// challenge this node started), then tells p this node's topics of that key
// (nothing about them was said to it before).
func (m *Mesh) recordSession(p peer.ID, tag string, sid sessionID, mine bool) {
	s := m.sessions
	s.mu.Lock()
	if c := m.host.Network().Connectedness(p); c != network.Connected && c != network.Limited {
		s.mu.Unlock()
		return
	}
	ps := s.byPeer[p]
	if ps == nil {
		ps = &peerSessions{tags: map[sessionID]string{}, proven: map[string]bool{}, named: map[string]sessionID{}}
		s.byPeer[p] = ps
	}
	if len(ps.tags) >= maxSessionsPerPeer {
		clear(ps.tags) // a peer churning challenges starts over; its named ones stay
		for t, id := range ps.named {
			ps.tags[id] = t
		}
	}
	had := ps.proven[tag]
	ps.tags[sid] = tag
	ps.proven[tag] = true
	if mine {
		ps.named[tag] = sid
	}
	delete(s.failed, string(p)+tag)
	s.mu.Unlock()
	if !had {
		m.announceTopics(p, tag)
	}
}

// maxSessionsPerPeer bounds the sessions remembered for one peer.
const maxSessionsPerPeer = 256

// forgetSessions drops what p proved once its last connection is gone.
func (m *Mesh) forgetSessions(p peer.ID) {
	s := m.sessions
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byPeer, p)
	for k := range s.failed {
		if len(k) > len(p) && k[:len(p)] == string(p) {
			delete(s.failed, k)
		}
	}
}

// session returns the session to open streams to p about the key k with,
// running the challenge first if p has not proved k on this connection.
// Concurrent callers for one pair share one challenge.
func (m *Mesh) session(ctx context.Context, p peer.ID, k keys) (sessionID, error) {
	s := m.sessions
	key := string(p) + k.tag
	s.mu.Lock()
	if ps := s.byPeer[p]; ps != nil {
		if sid, ok := ps.named[k.tag]; ok {
			s.mu.Unlock()
			return sid, nil
		}
	}
	if when, ok := s.failed[key]; ok && time.Since(when) < authRetry {
		s.mu.Unlock()
		return sessionID{}, errNotProven
	}
	f := s.flights[key]
	if f == nil {
		f = &authFlight{done: make(chan struct{})}
		s.flights[key] = f
		s.mu.Unlock()
		f.sid, f.err = m.challenge(ctx, p, k)
		s.mu.Lock()
		delete(s.flights, key)
		if errors.Is(f.err, errNotProven) {
			s.failed[key] = time.Now()
		}
		s.mu.Unlock()
		close(f.done)
		if f.err == nil {
			m.recordSession(p, k.tag, f.sid, true)
		}
		return f.sid, f.err
	}
	s.mu.Unlock()
	select {
	case <-f.done:
		return f.sid, f.err
	case <-ctx.Done():
		return sessionID{}, ctx.Err()
	}
}

// challenge proves k to p and has p prove it back.
func (m *Mesh) challenge(ctx context.Context, p peer.ID, k keys) (sid sessionID, err error) {
	defer func() { m.countAuth("initiator", err) }()
	release, err := m.bounds.wait(ctx, "auth-out", p, maxAuthOut, maxAuthAll)
	if err != nil {
		return sid, err
	}
	defer release()
	ctx, cancel := context.WithTimeout(ctx, authTimeout)
	defer cancel()
	s, err := m.host.NewStream(ctx, p, authProtocol)
	if err != nil {
		return sid, err
	}
	defer s.Close()
	defer context.AfterFunc(ctx, func() { _ = s.Reset() })()
	_ = s.SetDeadline(time.Now().Add(authTimeout))
	nonceI, nonceR := make([]byte, nonceLen), make([]byte, nonceLen)
	_, _ = rand.Read(nonceI)
	if _, err := s.Write(nonceI); err != nil {
		return sid, err
	}
	if _, err := io.ReadFull(s, nonceR); err != nil {
		return sid, err
	}
	key := authKey(k)
	t := transcript(m.self, p, nonceI, nonceR)
	if _, err := s.Write(authMAC(key, "initiator", t)); err != nil {
		return sid, err
	}
	macR := make([]byte, macLen)
	if _, err := io.ReadFull(s, macR); err != nil {
		// A reset here is the answer of a peer that does not hold k.
		return sid, fmt.Errorf("%w: %w", errNotProven, err)
	}
	if !hmac.Equal(macR, authMAC(key, "responder", t)) {
		_ = s.Reset()
		return sid, errNotProven
	}
	return sessionOf(key, t), nil
}

// handleAuth answers a challenge: it proves back only the key the initiator
// proved, and says nothing at all to one that proved none. The round is
// counted before the stream is reset, so the count is there by the time the
// initiator learns the outcome.
func (m *Mesh) handleAuth(s network.Stream) {
	err := m.answerAuth(s)
	m.countAuth("responder", err)
	if err != nil {
		_ = s.Reset()
	}
}

func (m *Mesh) answerAuth(s network.Stream) error {
	from := s.Conn().RemotePeer()
	_ = s.SetDeadline(time.Now().Add(authTimeout))
	nonceI, nonceR, macI := make([]byte, nonceLen), make([]byte, nonceLen), make([]byte, macLen)
	if _, err := io.ReadFull(s, nonceI); err != nil {
		return err
	}
	_, _ = rand.Read(nonceR)
	if _, err := s.Write(nonceR); err != nil {
		return err
	}
	if _, err := io.ReadFull(s, macI); err != nil {
		return err
	}
	t := transcript(from, m.self, nonceI, nonceR)
	for _, k := range m.heldKeys() {
		key := authKey(k)
		if !hmac.Equal(macI, authMAC(key, "initiator", t)) {
			continue
		}
		m.recordSession(from, k.tag, sessionOf(key, t), false)
		_, err := s.Write(authMAC(key, "responder", t))
		return err
	}
	return errNotProven
}

// openSession opens a stream of protocol proto to p about the key k: the
// challenge first if p has not proved k yet, then the session ID.
func (m *Mesh) openSession(ctx context.Context, p peer.ID, k keys, proto protocol.ID) (network.Stream, error) {
	sid, err := m.session(ctx, p, k)
	if err != nil {
		return nil, err
	}
	s, err := m.host.NewStream(ctx, p, proto)
	if err != nil {
		return nil, err
	}
	_ = s.SetWriteDeadline(time.Now().Add(authTimeout))
	if _, err := s.Write(sid[:]); err != nil {
		_ = s.Reset()
		return nil, err
	}
	_ = s.SetWriteDeadline(time.Time{})
	return s, nil
}

// acceptSession reads the session ID a stream opens with, within
// authTimeout, and returns the tag of the key its peer proved; false (and
// the stream reset) when the peer proved no such session.
func (m *Mesh) acceptSession(s network.Stream) (string, bool) {
	_ = s.SetReadDeadline(time.Now().Add(authTimeout))
	var sid sessionID
	if _, err := io.ReadFull(s, sid[:]); err != nil {
		_ = s.Reset()
		return "", false
	}
	tag, ok := m.sessionTag(s.Conn().RemotePeer(), sid)
	if !ok {
		m.metrics.refused.WithLabelValues("session").Inc()
		_ = s.Reset()
		return "", false
	}
	_ = s.SetReadDeadline(time.Time{})
	return tag, true
}

// proveAll runs the challenge with p for every key this node holds, so both
// sides exchange the topics of the meetings they share (on a new connection).
func (m *Mesh) proveAll(p peer.ID) {
	for _, k := range m.heldKeys() {
		m.spawn(func(ctx context.Context) { _, _ = m.session(ctx, p, k) })
	}
}

// proveToPeers runs the challenge for k with every connected peer (a meeting
// or lobby just opened): those that hold k too start gossiping its topics.
func (m *Mesh) proveToPeers(k keys) {
	for _, p := range m.host.Network().Peers() {
		m.spawn(func(ctx context.Context) { _, _ = m.session(ctx, p, k) })
	}
}

func (m *Mesh) countAuth(role string, err error) {
	result := "ok"
	switch {
	case errors.Is(err, errNotProven):
		result = "refused"
	case err != nil:
		result = "error"
	}
	m.metrics.authRounds.WithLabelValues(role, result).Inc()
}
