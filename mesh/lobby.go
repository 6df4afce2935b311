package mesh

import (
	"context"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"meshmeet/mesh/eventlog"
	"slices"
	"sync"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"
	"golang.org/x/crypto/chacha20poly1305"
)

// The lobby of a meeting that requires approval. Its link carries only the
// lobby key: a joiner knocks on the lobby topic with a fresh X25519 key; a
// host or moderator admits them with a signed "admit" log event and a
// welcome that seals the meeting key to the knock's key. Only then can the
// joiner read or post anything of the meeting. Or they turn the joiner away
// with a signed "deny" event, which the joiner gets with the proof that its
// author may deny (the genesis event, and the host's role event making a
// moderator), so nobody else holding the lobby link can send them away.

// ErrWaiting says a join is parked in the lobby until someone admits it.
var ErrWaiting = errors.New("waiting in the lobby")

const (
	// maxLobbyWait bounds how long a node knocks for a page that went away.
	maxLobbyWait = 30 * time.Minute
	kindLobby    = "lobby"
	maxLobbyMsg  = 2 << 10
	// maxDenialMsg fits a denial's proof: up to three signed events.
	maxDenialMsg = 3*eventlog.MaxEnvelope + 1<<10
	welcomeInfo  = "meshmeet/v1/welcome"
	lobbyVersion = 1
)

type knock struct {
	V       int     `json:"v"`
	Meeting string  `json:"meeting"`
	Peer    peer.ID `json:"peer"`
	Name    string  `json:"name"`
	Box     []byte  `json:"box"` // X25519 public key the meeting key is sealed to

	since, seen time.Time
}

type welcome struct {
	V       int     `json:"v"`
	Meeting string  `json:"meeting"`
	Peer    peer.ID `json:"peer"`
	Eph     []byte  `json:"eph"`
	Sealed  []byte  `json:"sealed"`
}

// denial tells a joiner they were turned away. Proof is the genesis event,
// for a moderator the host's role event making them one, and the deny event.
type denial struct {
	V       int      `json:"v"`
	Meeting string   `json:"meeting"`
	Peer    peer.ID  `json:"peer"`
	Proof   [][]byte `json:"proof"`
}

type lobbyMsg struct {
	Knock   *knock   `json:"knock,omitempty"`
	Welcome *welcome `json:"welcome,omitempty"`
	Denial  *denial  `json:"denial,omitempty"`
}

// DecodeLobbyMessage parses a knock, welcome or denial from untrusted bytes
// (a denial's proof is checked by verifyDenial).
func DecodeLobbyMessage(raw []byte) (*lobbyMsg, error) {
	if len(raw) > maxDenialMsg {
		return nil, fmt.Errorf("%w: lobby message of %d bytes", ErrTooLarge, len(raw))
	}
	var m lobbyMsg
	if err := decodeStrict(raw, &m); err != nil {
		return nil, err
	}
	if m.Denial == nil && len(raw) > maxLobbyMsg {
		return nil, fmt.Errorf("%w: lobby message of %d bytes", ErrTooLarge, len(raw))
	}
	switch {
	case m.Denial != nil && m.Knock == nil && m.Welcome == nil:
		d := m.Denial
		if d.V != lobbyVersion || !meetingIDPattern.MatchString(d.Meeting) || d.Peer.Validate() != nil || len(d.Proof) < 2 || len(d.Proof) > 3 {
			return nil, fmt.Errorf("%w: denial fields", ErrInvalid)
		}
	case m.Knock != nil && m.Welcome == nil && m.Denial == nil:
		k := m.Knock
		if k.V != lobbyVersion || !meetingIDPattern.MatchString(k.Meeting) || k.Peer.Validate() != nil || len(k.Box) != 32 || eventlog.ValidName(k.Name) != nil {
			return nil, fmt.Errorf("%w: knock fields", ErrInvalid)
		}
	case m.Welcome != nil && m.Knock == nil && m.Denial == nil:
		w := m.Welcome
		if w.V != lobbyVersion || !meetingIDPattern.MatchString(w.Meeting) || w.Peer.Validate() != nil || len(w.Eph) != 32 || len(w.Sealed) > 256 {
			return nil, fmt.Errorf("%w: welcome fields", ErrInvalid)
		}
	default:
		return nil, fmt.Errorf("%w: lobby message must be a knock, a welcome or a denial", ErrInvalid)
	}
	return &m, nil
}

// lobby is one meeting's waiting room, seen from a joiner (box set while
// waiting) or from a member (knocks).
type lobby struct {
	id    string
	keys  keys
	topic *pubsub.Topic
	stop  context.CancelFunc // ends readLobby (Forget)
	loop  sync.WaitGroup

	mu     sync.Mutex
	box    *ecdh.PrivateKey
	knocks map[peer.ID]*knock
	mt     *meeting // set once this node holds the meeting key
	denied bool     // this node was turned away
	// welcomes are the senders whose welcome this node is trying (onWelcome).
	welcomes map[peer.ID]bool
}

// openLobby joins a lobby's topic; it returns the existing one when open.
func (m *Mesh) openLobby(id string, key []byte) (*lobby, error) {
	if !m.track() {
		return nil, ErrNotReady
	}
	defer m.wg.Done()
	m.openMu.Lock()
	defer m.openMu.Unlock()
	m.mu.Lock()
	if lb := m.lobbies[id]; lb != nil {
		m.mu.Unlock()
		return lb, nil
	}
	m.mu.Unlock()
	k, err := deriveKeys(id, key)
	if err != nil {
		return nil, err
	}
	lb := &lobby{id: id, keys: k, knocks: map[peer.ID]*knock{}}
	name := topicName(k, kindLobby)
	topic, sub, err := m.subscribe(name, m.lobbyValidator(lb))
	if err != nil {
		return nil, fmt.Errorf("lobby topic: %w", err)
	}
	lctx, stop := context.WithCancel(m.ctx)
	lb.topic, lb.stop = topic, stop
	m.mu.Lock()
	m.lobbies[id] = lb
	m.mu.Unlock()
	m.proveToPeers(k) // challenge.go: the lobby's topic is exchanged only after
	lb.loop.Add(1)
	m.goLoop(func(context.Context) { defer lb.loop.Done(); m.readLobby(lctx, lb, sub) })
	return lb, nil
}

func (m *Mesh) lobbyValidator(lb *lobby) pubsub.ValidatorEx {
	stub := &meeting{id: lb.id, keys: lb.keys}
	return m.gossipValidator(stub, kindLobby, func(from peer.ID, plain []byte, msg *pubsub.Message) pubsub.ValidationResult {
		lm, err := DecodeLobbyMessage(plain)
		switch {
		case err != nil:
			return m.reject("lobby")
		case lm.Knock != nil && (lm.Knock.Peer != from || lm.Knock.Meeting != lb.id):
			return m.reject("lobby")
		case lm.Welcome != nil && lm.Welcome.Meeting != lb.id:
			return m.reject("lobby")
		case lm.Denial != nil && (lm.Denial.Meeting != lb.id || verifyDenial(lm.Denial) != nil):
			return m.reject("lobby")
		}
		msg.ValidatorData = lm
		return pubsub.ValidationAccept
	})
}

func (m *Mesh) readLobby(ctx context.Context, lb *lobby, sub *pubsub.Subscription) {
	defer sub.Cancel()
	for {
		msg, err := sub.Next(ctx)
		if err != nil {
			return
		}
		lm, ok := msg.ValidatorData.(*lobbyMsg)
		if !ok || msg.GetFrom() == m.self {
			continue
		}
		switch {
		case lm.Knock != nil:
			m.onKnock(lb, lm.Knock)
		case lm.Welcome != nil && lm.Welcome.Peer == m.self:
			m.onWelcome(lb, lm.Welcome, msg.GetFrom())
		case lm.Denial != nil && lm.Denial.Peer == m.self:
			m.onDenial(lb)
		}
	}
}

// onKnock records a joiner at the door; members' pages hear of it.
func (m *Mesh) onKnock(lb *lobby, k *knock) {
	k.seen = time.Now()
	lb.mu.Lock()
	prev, mt := lb.knocks[k.Peer], lb.mt
	k.since = k.seen
	if prev != nil {
		k.since = prev.since
	}
	lb.knocks[k.Peer] = k
	lb.mu.Unlock()
	if mt == nil {
		return
	}
	mt.mu.Lock()
	admitted, denied := mt.st().Admitted[k.Peer], mt.st().Denied[k.Peer]
	me := mt.st().Members[m.self]
	mayAdmit := me != nil && me.Present() && (me.Role == RoleHost || me.Role == RoleModerator)
	mt.mu.Unlock()
	switch {
	case admitted && mayAdmit:
		// Admitted already but still knocking: the welcome was lost.
		m.sendWelcome(lb, k, mt.keys.secret)
		return
	case denied:
		// Turned away but still knocking: the denial was lost.
		lb.mu.Lock()
		delete(lb.knocks, k.Peer)
		lb.mu.Unlock()
		if prev != nil { // listed before this member learnt of the deny
			m.lobbyChanged(lb)
		}
		if mayAdmit {
			_ = m.sendDenial(lb, mt, k.Peer)
		}
		return
	}
	if prev == nil {
		m.lobbyChanged(lb)
	}
}

func (m *Mesh) sendWelcome(lb *lobby, k *knock, secret []byte) error {
	w, err := sealWelcome(lb.id, k, secret)
	if err != nil {
		return err
	}
	raw, _ := json.Marshal(lobbyMsg{Welcome: w})
	return lb.topic.Publish(m.ctx, lb.keys.sealBytes(raw, topicName(lb.keys, kindLobby)))
}

// sendDenial tells a joiner they were turned away, with the proof from this
// member's log.
func (m *Mesh) sendDenial(lb *lobby, mt *meeting, p peer.ID) error {
	mt.mu.Lock()
	proof := denialProofLocked(mt, p)
	mt.mu.Unlock()
	if proof == nil {
		return fmt.Errorf("%w: no valid denial of %s in the log", ErrNotFound, p)
	}
	raw, _ := json.Marshal(lobbyMsg{Denial: &denial{V: lobbyVersion, Meeting: lb.id, Peer: p, Proof: proof}})
	return lb.topic.Publish(m.ctx, lb.keys.sealBytes(raw, topicName(lb.keys, kindLobby)))
}

// denialProofLocked collects the genesis, the last valid deny of p, and, when
// a moderator wrote it, the host's last role event about that moderator.
func denialProofLocked(mt *meeting, p peer.ID) [][]byte {
	var genesis, deny *Event
	roles := map[peer.ID]*Event{}
	for _, ev := range mt.log.Events() {
		if !mt.st().Valid(ev.ID) {
			continue
		}
		switch ev.Type {
		case TypeGenesis:
			genesis = ev
		case TypeRole:
			roles[eventlog.TargetOf(ev)] = ev
		case TypeDeny:
			if eventlog.TargetOf(ev) == p {
				deny = ev
			}
		}
	}
	if genesis == nil || deny == nil {
		return nil
	}
	if deny.Author == genesis.Author {
		return [][]byte{genesis.Raw(), deny.Raw()}
	}
	if role := roles[deny.Author]; role != nil {
		return [][]byte{genesis.Raw(), role.Raw(), deny.Raw()}
	}
	return nil
}

// verifyDenial checks a denial's proof: the meeting's genesis (its hash is
// the meeting ID), then a deny of d.Peer in that meeting signed by the host,
// or by a peer the host's role event made a moderator.
func verifyDenial(d *denial) error {
	evs := make([]*Event, len(d.Proof))
	for i, raw := range d.Proof {
		ev, err := eventlog.Decode(raw)
		if err != nil {
			return err
		}
		evs[i] = ev
	}
	genesis, deny := evs[0], evs[len(evs)-1]
	if genesis.Type != TypeGenesis || genesis.ID[:32] != d.Meeting {
		return fmt.Errorf("%w: denial proof: not this meeting's genesis", ErrInvalid)
	}
	if deny.Type != TypeDeny || deny.Meeting != d.Meeting || eventlog.TargetOf(deny) != d.Peer {
		return fmt.Errorf("%w: denial proof: no deny of this peer", ErrInvalid)
	}
	host := genesis.Author
	if len(evs) == 2 {
		if deny.Author != host {
			return fmt.Errorf("%w: denial proof: deny not by the host", ErrForbidden)
		}
		return nil
	}
	role := evs[1]
	if role.Type != TypeRole || role.Meeting != d.Meeting || role.Author != host ||
		eventlog.TargetOf(role) != deny.Author || eventlog.BodyOf[eventlog.Role](role).Role != RoleModerator {
		return fmt.Errorf("%w: denial proof: its author is not a moderator", ErrForbidden)
	}
	return nil
}

// onDenial: this node was turned away; it stops knocking.
func (m *Mesh) onDenial(lb *lobby) {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	if lb.box != nil {
		lb.box, lb.denied = nil, true
		m.log.Info("turned away from the lobby", "meeting", lb.id)
	}
}

func (m *Mesh) lobbyChanged(lb *lobby) {
	lb.mu.Lock()
	mt := lb.mt
	lb.mu.Unlock()
	if mt == nil {
		return
	}
	list := m.lobbyList(lb)
	mt.mu.Lock()
	mt.publishLocked(Notice{NoticeLobby, list})
	mt.mu.Unlock()
}

// LobbyEntry is one person waiting to be admitted.
type LobbyEntry struct {
	PeerID      string    `json:"peerId"`
	Name        string    `json:"name"`
	Fingerprint string    `json:"fingerprint"`
	Since       time.Time `json:"since"`
}

func (m *Mesh) lobbyList(lb *lobby) []LobbyEntry {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	out := []LobbyEntry{}
	for _, k := range lb.knocks {
		out = append(out, LobbyEntry{PeerID: k.Peer.String(), Name: k.Name, Fingerprint: Fingerprint(k.Peer), Since: k.since})
	}
	slices.SortFunc(out, func(a, b LobbyEntry) int { return a.Since.Compare(b.Since) })
	return out
}

// onWelcome opens the meeting key sealed to this node and joins for real
// once the meeting's genesis proves the key and its log shows that the
// welcome's sender (the gossip origin, which signed it) is the host or a
// moderator. Until then knocking goes on; a welcome that does not prove out
// is dropped and leaves nothing behind, so the real admission still works.
func (m *Mesh) onWelcome(lb *lobby, w *welcome, from peer.ID) {
	lb.mu.Lock()
	box := lb.box
	lb.mu.Unlock()
	if box == nil {
		return
	}
	secret, err := openWelcome(box, w, m.self)
	if err != nil {
		m.log.Debug("welcome not for us", "meeting", lb.id, "err", err)
		return
	}
	lb.mu.Lock()
	if lb.welcomes == nil {
		lb.welcomes = map[peer.ID]bool{}
	}
	// One welcome at a time per sender, and a few senders at once: a
	// welcome is re-sent on every knock, and forged ones must not pile up.
	busy := lb.welcomes[from] || len(lb.welcomes) >= maxWelcomesTried
	if !busy {
		lb.welcomes[from] = true
	}
	lb.mu.Unlock()
	if busy {
		return
	}
	m.spawn(func(ctx context.Context) {
		defer func() {
			lb.mu.Lock()
			delete(lb.welcomes, from)
			lb.mu.Unlock()
		}()
		mt, err := m.enter(ctx, lb.id, secret, false, m.welcomedBy(from))
		if err != nil {
			m.log.Warn("a welcome did not prove out; still knocking", "meeting", lb.id, "from", from.String(), "err", err)
			return
		}
		lb.mu.Lock()
		lb.box, lb.mt = nil, mt
		lb.mu.Unlock()
	})
}

// maxWelcomesTried bounds the welcomes a waiting node tries at once.
const maxWelcomesTried = 8

// welcomeVetWait is how long a proven welcome waits for its sender's role
// to show in the log (the role event follows the genesis in a sync).
const welcomeVetWait = 3 * time.Second

// welcomedBy checks, on the log a welcome's key opened, that its sender is
// the meeting's host or one of its moderators.
func (m *Mesh) welcomedBy(from peer.ID) func(*meeting) error {
	return func(mt *meeting) error {
		deadline := time.Now().Add(welcomeVetWait)
		for i := 0; ; i++ {
			mt.mu.Lock()
			mb := mt.st().Members[from]
			ok := from == mt.st().Host || mb != nil && (mb.Role == RoleModerator || mb.Role == RoleHost)
			mt.mu.Unlock()
			if ok {
				return nil
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%w: welcome to %s from %s, who is neither its host nor a moderator", ErrForbidden, mt.id, from)
			}
			if i%10 == 9 {
				m.syncAll(mt)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

func welcomeKey(shared []byte, meetingID string, to peer.ID) []byte {
	k, err := hkdf.Key(sha256.New, shared, []byte(meetingID), welcomeInfo+string(to), chacha20poly1305.KeySize)
	if err != nil {
		panic(err)
	}
	return k
}

// sealWelcome seals the meeting key to a knock's box key (as a rekey seals
// it to a member's, epoch.go).
func sealWelcome(meetingID string, k *knock, secret []byte) (*welcome, error) {
	sealed, err := sealKey(k.Box, meetingID, k.Peer, secret)
	if err != nil {
		return nil, err
	}
	return &welcome{V: lobbyVersion, Meeting: meetingID, Peer: k.Peer, Eph: sealed[:32], Sealed: sealed[32:]}, nil
}

func openWelcome(box *ecdh.PrivateKey, w *welcome, self peer.ID) ([]byte, error) {
	return openKey(box, append(slices.Clone(w.Eph), w.Sealed...), w.Meeting, self)
}

// knockLoop announces this node at the door until it is let in, leaves the
// lobby (its box key is replaced or cleared), or gives up.
func (m *Mesh) knockLoop(ctx context.Context, lb *lobby, box *ecdh.PrivateKey) {
	t := time.NewTicker(m.cfg.HeartbeatInterval)
	defer t.Stop()
	ctx, cancel := context.WithTimeout(ctx, maxLobbyWait)
	defer cancel()
	raw, _ := json.Marshal(lobbyMsg{Knock: &knock{V: lobbyVersion, Meeting: lb.id, Peer: m.self, Name: m.Name(), Box: box.PublicKey().Bytes()}})
	for {
		lb.mu.Lock()
		current := lb.box == box
		lb.mu.Unlock()
		if !current {
			return
		}
		_ = lb.topic.Publish(ctx, lb.keys.sealBytes(raw, topicName(lb.keys, kindLobby)))
		select {
		case <-ctx.Done():
			lb.mu.Lock()
			if lb.box == box {
				lb.box = nil
			}
			lb.mu.Unlock()
			return
		case <-t.C:
		}
	}
}

// expireKnocks forgets joiners who stopped knocking (closed their page).
func (m *Mesh) expireKnocks(now time.Time) {
	m.mu.Lock()
	lobbies := make([]*lobby, 0, len(m.lobbies))
	for _, lb := range m.lobbies {
		lobbies = append(lobbies, lb)
	}
	m.mu.Unlock()
	for _, lb := range lobbies {
		changed := false
		lb.mu.Lock()
		for p, k := range lb.knocks {
			if now.Sub(k.seen) > m.cfg.PresenceTimeout {
				delete(lb.knocks, p)
				changed = true
			}
		}
		lb.mu.Unlock()
		if changed {
			m.lobbyChanged(lb)
		}
	}
}

// watchLobby makes a member node watch its meeting's lobby, if it has one.
func (m *Mesh) watchLobby(mt *meeting) error {
	mt.mu.Lock()
	key := mt.st().Record.LobbyKey()
	mt.mu.Unlock()
	if key == nil {
		return nil
	}
	lb, err := m.openLobby(mt.id, key)
	if err != nil {
		return err
	}
	lb.mu.Lock()
	lb.mt, lb.box = mt, nil
	lb.mu.Unlock()
	return nil
}

// stopKnocking leaves a lobby this node waits in; false if it does not wait.
func (m *Mesh) stopKnocking(id string) bool {
	return m.withLobby(id, func(lb *lobby) bool {
		waiting := lb.box != nil
		lb.box = nil
		return waiting
	})
}

// Denied reports whether this node was turned away from a meeting's lobby.
func (m *Mesh) Denied(id string) bool {
	return m.withLobby(id, func(lb *lobby) bool { return lb.denied })
}

// Waiting reports whether this node is waiting in a meeting's lobby.
func (m *Mesh) Waiting(id string) bool {
	return m.withLobby(id, func(lb *lobby) bool { return lb.box != nil })
}

// withLobby runs f on the meeting's lobby under its lock; false when there is none.
func (m *Mesh) withLobby(id string, f func(*lobby) bool) bool {
	lb := m.lobbyOf(id)
	if lb == nil {
		return false
	}
	lb.mu.Lock()
	defer lb.mu.Unlock()
	return f(lb)
}

// knock parks a join in the lobby: the node knocks until admitted.
func (m *Mesh) knock(id string, lobbyKey []byte) error {
	lb, err := m.openLobby(id, lobbyKey)
	if err != nil {
		return err
	}
	lb.mu.Lock()
	var box *ecdh.PrivateKey
	lb.denied = false // knocking again: the members' logs decide
	if lb.box == nil && lb.mt == nil {
		if box, err = ecdh.X25519().GenerateKey(rand.Reader); err != nil {
			lb.mu.Unlock()
			return err
		}
		lb.box = box
	}
	lb.mu.Unlock()
	if box != nil {
		m.spawn(func(ctx context.Context) { m.knockLoop(ctx, lb, box) })
	}
	m.kickDiscovery()
	return nil
}

// Lobby lists who waits to be admitted to a meeting (members only).
func (m *Mesh) Lobby(id string) ([]LobbyEntry, error) {
	if _, err := m.known(id); err != nil {
		return nil, err
	}
	lb := m.lobbyOf(id)
	if lb == nil {
		return []LobbyEntry{}, nil
	}
	return m.lobbyList(lb), nil
}

// Admit lets a waiting joiner in (host or moderator): a signed admit event
// in the log, then the meeting key sealed to the joiner.
func (m *Mesh) Admit(ctx context.Context, id, peerID string) error {
	mt, lb, k, err := m.lobbyDecision(id, peerID)
	if err != nil {
		return err
	}
	body, _ := json.Marshal(eventlog.Target{Peer: peerID})
	if _, err := m.publishEvent(ctx, mt, TypeAdmit, body); err != nil {
		return fmt.Errorf("admit to %s: %w", id, err)
	}
	if err := m.sendWelcome(lb, k, mt.keys.secret); err != nil {
		return fmt.Errorf("admit to %s: %w", id, err)
	}
	lb.mu.Lock()
	delete(lb.knocks, k.Peer)
	lb.mu.Unlock()
	m.lobbyChanged(lb)
	return nil
}

// lobbyDecision finds the knock an admit or deny is about.
func (m *Mesh) lobbyDecision(id, peerID string) (*meeting, *lobby, *knock, error) {
	mt, err := m.known(id)
	if err != nil {
		return nil, nil, nil, err
	}
	p, err := peer.Decode(peerID)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%w: peerId is not a peer ID", ErrInvalid)
	}
	lb := m.lobbyOf(id)
	if lb == nil {
		return nil, nil, nil, fmt.Errorf("%w: this meeting has no lobby", ErrConflict)
	}
	lb.mu.Lock()
	k := lb.knocks[p]
	lb.mu.Unlock()
	if k == nil {
		return nil, nil, nil, fmt.Errorf("%w: %s is not waiting in the lobby", ErrNotFound, peerID)
	}
	return mt, lb, k, nil
}

// Deny turns a waiting joiner away (host or moderator): a signed deny event
// in the log, then the denial with its proof to the joiner. It is final: the
// members ignore that node's knocks from then on.
func (m *Mesh) Deny(ctx context.Context, id, peerID string) error {
	mt, lb, k, err := m.lobbyDecision(id, peerID)
	if err != nil {
		return err
	}
	body, _ := json.Marshal(eventlog.Target{Peer: peerID})
	if _, err := m.publishEvent(ctx, mt, TypeDeny, body); err != nil {
		return fmt.Errorf("deny in %s: %w", id, err)
	}
	if err := m.sendDenial(lb, mt, k.Peer); err != nil {
		return fmt.Errorf("deny in %s: %w", id, err)
	}
	lb.mu.Lock()
	delete(lb.knocks, k.Peer)
	lb.mu.Unlock()
	m.lobbyChanged(lb)
	return nil
}

func (m *Mesh) lobbyOf(id string) *lobby {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lobbies[id]
}
