package mesh

import (
	"context"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"golang.org/x/crypto/chacha20poly1305"

	"meshmeet/mesh/eventlog"
)

// Key epochs. When someone is removed (or the host asks), the node that
// removed them seals a fresh meeting key to the box key every other member
// announced in its join, in one signed rekey event. Each member opens its
// box, checks the key against the event's KeyCheck and moves the meeting to
// it: a new meeting struct sharing the log, with topics and sync seals
// derived from the new key, the new key on disk and in the join link. The
// removed node sees the rekey but opens nothing: what the meeting says from
// then on is sealed with a key it never had. The previous epoch's topics
// stay subscribed (read only) until the next rekey, so a concurrent rekey
// or a member that has not moved yet is still heard; anti-entropy under an
// older key (the last maxOlderEpochs) answers only members the current key
// was sealed to, so a member whose node was off through rekeys, or joined
// while one was made, catches up and opens its box.

const (
	boxInfo        = "meshmeet/v1/box"
	maxOlderEpochs = 8
)

// boxKey is this node's X25519 key, derived from its identity so that it
// survives restarts.
func boxKey(priv crypto.PrivKey) (*ecdh.PrivateKey, error) {
	raw, err := priv.Raw()
	if err != nil {
		return nil, err
	}
	seed, err := hkdf.Key(sha256.New, raw, nil, boxInfo, 32)
	if err != nil {
		return nil, err
	}
	return ecdh.X25519().NewPrivateKey(seed)
}

// sealKey seals a meeting key to a member's box key: an ephemeral X25519
// key, a nonce and the sealed key, bound to the meeting and the member.
func sealKey(pub []byte, meetingID string, to peer.ID, secret []byte) ([]byte, error) {
	their, err := ecdh.X25519().NewPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: box key", ErrInvalid)
	}
	eph, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	shared, err := eph.ECDH(their)
	if err != nil {
		return nil, err
	}
	aead, _ := chacha20poly1305.NewX(welcomeKey(shared, meetingID, to))
	out := append(eph.PublicKey().Bytes(), make([]byte, aead.NonceSize())...)
	_, _ = rand.Read(out[32:])
	return aead.Seal(out, out[32:], secret, []byte(to)), nil
}

// openKey opens a key sealed to this node's box.
func openKey(box *ecdh.PrivateKey, sealed []byte, meetingID string, self peer.ID) ([]byte, error) {
	if len(sealed) != eventlog.SealedLen {
		return nil, errOpen
	}
	eph, err := ecdh.X25519().NewPublicKey(sealed[:32])
	if err != nil {
		return nil, errOpen
	}
	shared, err := box.ECDH(eph)
	if err != nil {
		return nil, errOpen
	}
	aead, _ := chacha20poly1305.NewX(welcomeKey(shared, meetingID, self))
	n := 32 + aead.NonceSize()
	secret, err := aead.Open(nil, sealed[32:n], sealed[n:], []byte(self))
	if err != nil || len(secret) != secretLen {
		return nil, errOpen
	}
	return secret, nil
}

// Rekey moves the meeting to a new key (the host or a moderator): whoever
// had the old key and is not a member any more opens nothing new. The
// meeting's join link changes with it.
func (m *Mesh) Rekey(ctx context.Context, id string) (MeetingView, error) {
	mt, err := m.known(id)
	if err != nil {
		return MeetingView{}, err
	}
	if err := m.rekey(ctx, mt); err != nil {
		return MeetingView{}, fmt.Errorf("change the key of %s: %w", id, err)
	}
	return m.Meeting(id)
}

func (m *Mesh) rekey(ctx context.Context, mt *meeting) error {
	secret := newSecret()
	mt.mu.Lock()
	st := mt.st()
	b := eventlog.Rekey{Epoch: st.Epoch + 1, Check: eventlog.KeyCheck(secret), Boxes: map[string]string{}}
	for _, p := range st.Keyholders() {
		sealed, err := sealKey(st.Members[p].Box, mt.id, p, secret)
		if err == nil {
			b.Boxes[p.String()] = base64.RawURLEncoding.EncodeToString(sealed)
		}
	}
	mt.mu.Unlock()
	body, _ := json.Marshal(b)
	_, err := m.publishEvent(ctx, mt, eventlog.TypeRekey, body)
	return err
}

// afterFold acts on what newly valid events mean for the meeting's key:
// follow a rekey, or make one when a removed member still holds the key or
// a member who joined meanwhile was not given it.
func (m *Mesh) afterFold(mt *meeting, valid []*Event) {
	rekeyed, removedByMe, membership := false, false, false
	for _, ev := range valid {
		rekeyed = rekeyed || ev.Type == eventlog.TypeRekey
		removedByMe = removedByMe || ev.Type == TypeRemove && ev.Author == m.self
		membership = membership || changesKeyholders[ev.Type]
	}
	if !membership {
		return // a chat and the like: who holds the key is as it was (hot path)
	}
	mt.mu.Lock()
	exposed := mustRekey(mt.log, m.self)
	mt.mu.Unlock()
	if rekeyed {
		m.spawn(func(context.Context) { m.followKey(mt) })
	}
	if !exposed {
		return
	}
	// The remover rekeys at once; other moderators wait a moment, in case
	// the remover's node is gone, and look again.
	wait := time.Duration(0)
	if !removedByMe {
		wait = time.Second + mrand.N(2*time.Second)
	}
	m.spawn(func(ctx context.Context) {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		cur, err := m.meeting(mt.id)
		if err != nil {
			return
		}
		cur.mu.Lock()
		still := mustRekey(cur.log, m.self)
		cur.mu.Unlock()
		if still {
			if err := m.rekey(ctx, cur); err != nil {
				m.log.Warn("cannot change the meeting key", "meeting", mt.id, "err", err)
			}
		}
	})
}

// changesKeyholders are the event types that can change who holds the
// meeting's key or who may change it: the only ones after which mustRekey
// can change.
var changesKeyholders = map[string]bool{
	TypeGenesis: true, TypeJoin: true, TypeLeave: true, TypeRemove: true, TypeAdmit: true,
	TypeRole: true, TypeEnd: true, eventlog.TypeRekey: true,
}

// mustRekey: self moderates a meeting whose current key a removed member
// holds or a member lacks.
func mustRekey(l *eventlog.Log, self peer.ID) bool {
	return l.State().Moderates(self) && (l.State().Exposed() || l.Stranded())
}

// followKey moves the meeting to the key of its log's current epoch when
// this node does not hold it yet.
func (m *Mesh) followKey(mt *meeting) {
	cur, err := m.meeting(mt.id)
	if err != nil {
		return
	}
	cur.mu.Lock()
	kev := cur.st().KeyEvent
	cur.mu.Unlock()
	if kev == nil {
		return
	}
	b := eventlog.BodyOf[eventlog.Rekey](kev)
	if b.Check == eventlog.KeyCheck(cur.keys.secret) {
		return
	}
	sealed := b.Sealed(m.self)
	if sealed == nil {
		m.log.Info("the meeting moved to a key this node was not given", "meeting", mt.id, "epoch", b.Epoch)
		return
	}
	secret, err := openKey(m.box, sealed, mt.id, m.self)
	if err != nil || eventlog.KeyCheck(secret) != b.Check {
		m.log.Warn("a rekey's key for this node does not open or match", "meeting", mt.id, "epoch", b.Epoch)
		return
	}
	if err := m.switchKey(cur, secret); err != nil {
		m.log.Error("cannot move the meeting to its new key", "meeting", mt.id, "err", err)
		return
	}
	// Another rekey may have come meanwhile (a switch that found the
	// meeting moved on does nothing): look again until the keys agree.
	if now, err := m.meeting(mt.id); err == nil && now != cur {
		m.followKey(now)
	}
}

// switchKey replaces the open meeting old by one under the new key.
func (m *Mesh) switchKey(old *meeting, secret []byte) error {
	if !m.track() {
		return ErrNotReady
	}
	defer m.wg.Done()
	m.openMu.Lock()
	defer m.openMu.Unlock()
	m.mu.Lock()
	current := m.meetings[old.id] == old
	m.mu.Unlock()
	if !current {
		return nil // moved on already, or forgotten
	}
	k, err := deriveKeys(old.id, secret)
	if err != nil {
		return err
	}
	if err := m.store.putSecret(old.id, secret); err != nil {
		return fmt.Errorf("store meeting key: %w", err)
	}
	nm := old.successor(k)
	if err := m.openTopics(nm); err != nil {
		return err
	}
	m.mu.Lock()
	m.meetings[old.id] = nm
	lb := m.lobbies[old.id]
	stale := old.prev // two epochs back: no longer heard, still served
	old.prev = nil
	nm.older = old.older
	old.older = nil
	if stale != nil {
		nm.older = append(nm.older, stale)
		if len(nm.older) > maxOlderEpochs {
			nm.older = nm.older[1:]
		}
	}
	m.mu.Unlock()
	if lb != nil {
		lb.mu.Lock()
		if lb.mt == old {
			lb.mt = nm
		}
		lb.mu.Unlock()
	}
	if stale != nil {
		m.stopMeeting(stale)
	}
	m.proveToPeers(k)
	m.log.Info("the meeting moved to a new key", "meeting", old.id)
	m.kickDiscovery()
	m.syncAll(nm)
	m.heartbeatSoon(nm)
	return nil
}

// successor is the meeting under new keys: it shares everything but the
// keys and topics, and keeps mt to hear the previous epoch (prev is read
// and written under Mesh.mu).
func (mt *meeting) successor(k keys) *meeting {
	mt.mu.Lock()
	defer mt.mu.Unlock()
	return &meeting{
		id: mt.id, keys: k, topics: map[string]*pubsub.Topic{}, prev: mt,
		mu: mt.mu, log: mt.log, buckets: mt.buckets, presence: mt.presence, heldOff: mt.heldOff,
		selfMedia: mt.selfMedia, selfCapacity: mt.selfCapacity, selfSite: mt.selfSite, listeners: mt.listeners,
		announced: mt.announced, timedOut: mt.timedOut,
	}
}

// entitled reports whether p may be heard or served under mt's keys: always
// under the current ones; under an older epoch's only when the current key
// was sealed to p (a member whose node has not moved yet), so that the old
// key, or the old link, opens nothing new.
func (m *Mesh) entitled(mt *meeting, p peer.ID) bool {
	m.mu.Lock()
	cur := m.meetings[mt.id]
	retired := cur != nil && (cur.prev == mt || slices.Contains(cur.older, mt)) // an older epoch of a meeting we hold
	m.mu.Unlock()
	if !retired {
		return true // the current key, or a join proving its key: the wire decides
	}
	mt.mu.Lock()
	defer mt.mu.Unlock()
	kev := mt.st().KeyEvent
	return kev != nil && eventlog.BodyOf[eventlog.Rekey](kev).Sealed(p) != nil
}

// current reports whether mt is the meeting under its current key (not a
// previous epoch, still heard).
func (m *Mesh) current(mt *meeting) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.meetings[mt.id] == mt
}
