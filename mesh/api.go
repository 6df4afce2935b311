package mesh

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"meshmeet/mesh/eventlog"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// NodeInfo describes this node.
type NodeInfo struct {
	PeerID    string   `json:"peerId"`
	Name      string   `json:"name"`
	Addresses []string `json:"addresses"`
	Peers     []string `json:"peers"`
	// Clock is this node's clock against its peers' (health.go).
	Clock ClockStatus `json:"clock"`
	// IdentityClash is set while another node runs with this identity.
	IdentityClash *IdentityClash `json:"identityClash,omitempty"`
	// Rendezvous are the rendezvous servers (Config.Relays), each with
	// whether this node is connected to it now.
	Rendezvous []RendezvousStatus `json:"rendezvous"`
}

// RendezvousStatus is one rendezvous server as this node sees it.
type RendezvousStatus struct {
	PeerID    string `json:"peerId"`
	Connected bool   `json:"connected"`
}

// Info returns this node's identity, addresses and connected peers.
func (m *Mesh) Info() (NodeInfo, error) {
	if err := m.running(); err != nil {
		return NodeInfo{}, err
	}
	info := NodeInfo{PeerID: m.self.String(), Name: m.Name(), Addresses: []string{}, Peers: []string{},
		Clock: m.ClockStatus(), IdentityClash: m.IdentityClash(), Rendezvous: []RendezvousStatus{}}
	for _, r := range m.cfg.Relays {
		info.Rendezvous = append(info.Rendezvous, RendezvousStatus{PeerID: r.ID.String(),
			Connected: m.host.Network().Connectedness(r.ID) == network.Connected})
	}
	for _, a := range m.host.Addrs() {
		info.Addresses = append(info.Addresses, a.String()+"/p2p/"+m.self.String())
	}
	for _, p := range m.host.Network().Peers() {
		info.Peers = append(info.Peers, p.String())
	}
	slices.Sort(info.Peers)
	return info, nil
}

// CreateMeeting makes a new meeting hosted by this node from a create
// request body; it returns the meeting and its link secret. The host joins
// like everyone else, with the link.
func (m *Mesh) CreateMeeting(ctx context.Context, body []byte) (MeetingView, []byte, error) {
	if err := m.running(); err != nil {
		return MeetingView{}, nil, err
	}
	r, err := DecodeMeetingInput(body)
	if err != nil {
		return MeetingView{}, nil, err
	}
	secret := newSecret()
	r.KeyCheck = eventlog.KeyCheck(secret)
	if r.Settings.RequireApproval {
		r.Lobby = base64.RawURLEncoding.EncodeToString(newSecret())
	}
	r.CreatedAt = time.Now().UTC().Truncate(time.Millisecond)
	rb, err := json.Marshal(r)
	if err != nil {
		return MeetingView{}, nil, err
	}
	ev, err := m.newEvent(nil, TypeGenesis, rb)
	if err != nil {
		return MeetingView{}, nil, err
	}
	mt, err := m.openTrusted(ev.ID[:32], secret)
	if err != nil {
		return MeetingView{}, nil, err
	}
	if err := m.publishSigned(ctx, mt, ev); err != nil {
		return MeetingView{}, nil, err
	}
	if err := m.watchLobby(mt); err != nil {
		return MeetingView{}, nil, err
	}
	m.kickDiscovery()
	return m.view(mt), secret, nil
}

// ShareKey returns the key a meeting's link carries: the lobby key when
// the meeting requires approval (lobby is then true), else the meeting key.
func (m *Mesh) ShareKey(id string) (key []byte, lobby bool, err error) {
	mt, err := m.meeting(id)
	if err != nil {
		return nil, false, err
	}
	mt.mu.Lock()
	defer mt.mu.Unlock()
	if k := mt.st().Record.LobbyKey(); k != nil {
		return k, true, nil
	}
	return mt.keys.secret, false, nil
}

func (m *Mesh) view(mt *meeting) MeetingView {
	mt.mu.Lock()
	defer mt.mu.Unlock()
	return mt.viewLocked(m.self)
}

// JoinedIDs lists the meetings this node is in now (joined, not ended).
func (m *Mesh) JoinedIDs() []string {
	var out []string
	for _, mt := range m.snapshot() {
		mt.mu.Lock()
		me := mt.st().Members[m.self]
		if me != nil && me.Present() && !mt.st().Ended(time.Now()) {
			out = append(out, mt.id)
		}
		mt.mu.Unlock()
	}
	return out
}

// Meetings lists every meeting this node knows, newest first.
func (m *Mesh) Meetings() ([]MeetingView, error) {
	if err := m.running(); err != nil {
		return nil, err
	}
	out := []MeetingView{}
	m.mu.Lock()
	held := slices.Collect(maps.Values(m.meetings)) // not the joins still proving their key
	m.mu.Unlock()
	for _, mt := range held {
		if v := m.view(mt); v.Title != "" {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b MeetingView) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return out, nil
}

// Meeting returns one meeting with its participants and roles.
func (m *Mesh) Meeting(id string) (MeetingView, error) {
	mt, err := m.known(id)
	if err != nil {
		return MeetingView{}, err
	}
	return m.view(mt), nil
}

// known is a meeting whose record has arrived.
func (m *Mesh) known(id string) (*meeting, error) {
	mt, err := m.meeting(id)
	if err != nil {
		return nil, err
	}
	mt.mu.Lock()
	defer mt.mu.Unlock()
	if mt.st().Record == nil {
		return nil, fmt.Errorf("%w %s: its record has not arrived yet", ErrNotFound, id)
	}
	return mt, nil
}

// Join enters a meeting from its link: it learns the meeting from peers if
// needed, then announces this node. Joining again is harmless. A lobby link
// of a meeting this node is not admitted to yet returns ErrWaiting: the
// node knocks until a host or moderator admits it, then joins by itself.
func (m *Mesh) Join(ctx context.Context, link string) (MeetingView, error) {
	if err := m.running(); err != nil {
		return MeetingView{}, err
	}
	id, key, lobby, err := ParseJoinLink(link)
	if err != nil {
		return MeetingView{}, err
	}
	if lobby {
		if mt, err := m.meeting(id); err == nil {
			return m.joinMember(ctx, mt, key)
		}
		if err := m.knock(id, key); err != nil {
			return MeetingView{}, err
		}
		return MeetingView{ID: id, Status: "waiting"}, fmt.Errorf("join meeting %s: %w", id, ErrWaiting)
	}
	if mt, err := m.meeting(id); err == nil && subtle.ConstantTimeCompare(mt.keys.secret, key) != 1 {
		return MeetingView{}, fmt.Errorf("%w: this node holds meeting %s under another key", ErrWrongKey, id)
	}
	mt, err := m.enter(ctx, id, key, true, nil)
	if err != nil {
		return MeetingView{}, err
	}
	return m.view(mt), nil
}

// joinMember joins with a lobby link a meeting whose key this node holds
// (its host, or someone admitted before).
func (m *Mesh) joinMember(ctx context.Context, mt *meeting, lobbyKey []byte) (MeetingView, error) {
	mt.mu.Lock()
	have := mt.st().Record.LobbyKey()
	mt.mu.Unlock()
	if subtle.ConstantTimeCompare(have, lobbyKey) != 1 {
		return MeetingView{}, fmt.Errorf("%w: this node holds meeting %s with another lobby key", ErrWrongKey, mt.id)
	}
	mt, err := m.enter(ctx, mt.id, mt.keys.secret, false, nil)
	if err != nil {
		return MeetingView{}, err
	}
	return m.view(mt), nil
}

// enter opens a meeting with its key once its genesis proves the key
// (attempt.go: quick and vet are proven's), and publishes this node's join
// unless it is in already.
func (m *Mesh) enter(ctx context.Context, id string, secret []byte, quick bool, vet func(*meeting) error) (*meeting, error) {
	mt, err := m.proven(ctx, id, secret, quick, vet)
	if err != nil {
		return nil, err
	}
	if err := m.watchLobby(mt); err != nil {
		return nil, err
	}
	// Check and publish as one step, so joins racing each other (a double
	// click, two tabs) make one join event.
	mt.joinMu.Lock()
	defer mt.joinMu.Unlock()
	mt.mu.Lock()
	me := mt.st().Members[m.self]
	already := me != nil && me.Present()
	mt.mu.Unlock()
	if !already {
		body, _ := json.Marshal(eventlog.Join{Name: m.Name(), Box: base64.RawURLEncoding.EncodeToString(m.box.PublicKey().Bytes())})
		if _, err := m.publishEvent(ctx, mt, TypeJoin, body); err != nil {
			return nil, fmt.Errorf("join meeting %s: %w", id, err)
		}
		m.sendHeartbeat(ctx, mt)
	}
	return mt, nil
}

// Leave announces that this node left the meeting.
func (m *Mesh) Leave(ctx context.Context, id string) error {
	if m.stopKnocking(id) {
		return nil
	}
	mt, err := m.known(id)
	if err != nil {
		return err
	}
	if _, err := m.publishEvent(ctx, mt, TypeLeave, nil); err != nil {
		return fmt.Errorf("leave meeting %s: %w", id, err)
	}
	return nil
}

// End ends the meeting for everyone; only its host may.
func (m *Mesh) End(ctx context.Context, id string) error {
	mt, err := m.known(id)
	if err != nil {
		return err
	}
	if _, err := m.publishEvent(ctx, mt, TypeEnd, nil); err != nil {
		return fmt.Errorf("end meeting %s: %w", id, err)
	}
	return nil
}

// Remove takes a participant out of the meeting (host, or a moderator for a
// plain participant): a signed remove event. Their node leaves at once; they
// cannot join again unless admitted through the lobby of a meeting that
// requires approval. They still hold the meeting key: removal stops their
// posts, presence and media, not their reading of what is gossiped later.
func (m *Mesh) Remove(ctx context.Context, id, peerID string) error {
	return m.moderate(ctx, id, peerID, TypeRemove)
}

// moderate publishes a remove or mute of peerID.
func (m *Mesh) moderate(ctx context.Context, id, peerID, typ string) error {
	mt, err := m.known(id)
	if err != nil {
		return err
	}
	if _, err := peer.Decode(peerID); err != nil {
		return fmt.Errorf("%w: peerId is not a peer ID", ErrInvalid)
	}
	body, _ := json.Marshal(eventlog.Target{Peer: peerID})
	if _, err := m.publishEvent(ctx, mt, typ, body); err != nil {
		return fmt.Errorf("%s in %s: %w", typ, id, err)
	}
	return nil
}

// Mute asks a participant's page to turn their microphone off (host, or a
// moderator for a plain participant): a signed mute event. Only they can turn
// it on again, as in Zoom and Jitsi.
func (m *Mesh) Mute(ctx context.Context, id, peerID string) error {
	return m.moderate(ctx, id, peerID, TypeMute)
}

// SetRecording starts or stops the recording (host or moderator, and only if
// the meeting allows recording): a signed record event; this node records
// until it is stopped, this node leaves or the meeting ends. Everyone's page
// shows that the meeting is being recorded.
func (m *Mesh) SetRecording(ctx context.Context, id string, on bool) (MeetingView, error) {
	mt, err := m.known(id)
	if err != nil {
		return MeetingView{}, err
	}
	body, _ := json.Marshal(eventlog.Recording{On: on})
	if _, err := m.publishEvent(ctx, mt, TypeRecord, body); err != nil {
		return MeetingView{}, fmt.Errorf("recording in %s: %w", id, err)
	}
	mt.mu.Lock()
	defer mt.mu.Unlock()
	return mt.viewLocked(m.self), nil
}

// SetRole makes a participant a moderator or a plain participant (host only).
func (m *Mesh) SetRole(ctx context.Context, id, peerID, role string) (MeetingView, error) {
	mt, err := m.known(id)
	if err != nil {
		return MeetingView{}, err
	}
	if _, err := peer.Decode(peerID); err != nil {
		return MeetingView{}, fmt.Errorf("%w: peerId is not a peer ID", ErrInvalid)
	}
	body, _ := json.Marshal(eventlog.Role{Target: eventlog.Target{Peer: peerID}, Role: role})
	if _, err := m.publishEvent(ctx, mt, TypeRole, body); err != nil {
		return MeetingView{}, fmt.Errorf("change role in %s: %w", id, err)
	}
	return m.view(mt), nil
}

// PostMessage sends a chat message; it is on disk when this returns.
func (m *Mesh) PostMessage(ctx context.Context, id, text string) (MessageView, error) {
	mt, err := m.known(id)
	if err != nil {
		return MessageView{}, err
	}
	if err := eventlog.ValidText(text); err != nil {
		return MessageView{}, err
	}
	return m.postChat(ctx, mt, eventlog.Chat{Text: text})
}

// postChat publishes a chat message and returns it as the API shows it.
func (m *Mesh) postChat(ctx context.Context, mt *meeting, b eventlog.Chat) (MessageView, error) {
	body, _ := json.Marshal(b)
	ev, err := m.publishEvent(ctx, mt, TypeChat, body)
	if err != nil {
		return MessageView{}, err
	}
	mt.mu.Lock()
	defer mt.mu.Unlock()
	return mt.messageLocked(ev), nil
}

// Messages returns chat history in log order, after the message with ID
// after (all when empty), at most limit of them.
func (m *Mesh) Messages(id, after string, limit int) ([]MessageView, error) {
	mt, err := m.known(id)
	if err != nil {
		return nil, err
	}
	mt.mu.Lock()
	defer mt.mu.Unlock()
	start := 0
	if after != "" {
		i, ok := mt.log.Index(after)
		if !ok {
			return nil, fmt.Errorf("%w: no message %q in this meeting", ErrInvalid, after)
		}
		start = i + 1
	}
	out := []MessageView{}
	for _, ev := range mt.log.Events()[start:] {
		if ev.Type == TypeChat && mt.st().Valid(ev.ID) {
			out = append(out, mt.messageLocked(ev))
			if len(out) == limit {
				break
			}
		}
	}
	return out, nil
}

// Audit returns the meeting's control events in log order.
func (m *Mesh) Audit(id string) ([]AuditEntry, error) {
	mt, err := m.known(id)
	if err != nil {
		return nil, err
	}
	mt.mu.Lock()
	defer mt.mu.Unlock()
	return mt.auditLocked(), nil
}

// Participants lists who is in the meeting now, with media state.
func (m *Mesh) Participants(id string) ([]ParticipantView, error) {
	mt, err := m.known(id)
	if err != nil {
		return nil, err
	}
	mt.mu.Lock()
	defer mt.mu.Unlock()
	return mt.liveLocked(m.self), nil
}

// SetMediaState records this node's media state in a meeting and announces it.
func (m *Mesh) SetMediaState(ctx context.Context, id string, body []byte) (ParticipantView, error) {
	mt, err := m.known(id)
	if err != nil {
		return ParticipantView{}, err
	}
	var st MediaState
	if err := decodeStrict(body, &st); err != nil {
		return ParticipantView{}, err
	}
	mt.mu.Lock()
	me := mt.st().Members[m.self]
	if me == nil || !me.Present() {
		mt.mu.Unlock()
		return ParticipantView{}, fmt.Errorf("%w: join the meeting first", ErrConflict)
	}
	st.Speaking = mt.selfMedia.Speaking // the node measures it (SetSpeaking), not the page
	// The hand keeps the time it went up until it goes down: the raiser's
	// node stamps it once, and every node orders hands by that stamp.
	switch {
	case !st.HandRaised:
		st.HandRaisedAt = 0
	case mt.selfMedia.HandRaised:
		st.HandRaisedAt = mt.selfMedia.HandRaisedAt
	default:
		st.HandRaisedAt = time.Now().UnixMilli()
	}
	mt.selfMedia = st
	mt.mu.Unlock()
	return m.announceMedia(ctx, mt), nil
}

// SetSpeaking records whether this node's participant speaks in a meeting (the media
// engine hears it in the microphone's audio levels) and announces it at once.
func (m *Mesh) SetSpeaking(ctx context.Context, id string, on bool) {
	mt, err := m.known(id)
	if err != nil {
		return
	}
	mt.mu.Lock()
	me := mt.st().Members[m.self]
	changed := me != nil && me.Present() && mt.selfMedia.Speaking != on
	if changed {
		mt.selfMedia.Speaking = on
	}
	mt.mu.Unlock()
	if changed {
		m.announceMedia(ctx, mt)
	}
}

// announceMedia sends this node's media state to the others and to its own pages.
func (m *Mesh) announceMedia(ctx context.Context, mt *meeting) ParticipantView {
	m.sendHeartbeat(ctx, mt)
	mt.mu.Lock()
	defer mt.mu.Unlock()
	p := mt.participantLocked(m.self, m.self)
	mt.publishLocked(Notice{NoticeMediaState, p})
	return p
}

// Subscribe streams a meeting's live notices until ctx ends.
func (m *Mesh) Subscribe(ctx context.Context, id string) (<-chan Notice, error) {
	mt, err := m.meeting(id)
	if err != nil {
		return nil, err
	}
	ch := make(chan Notice, noticeBufferDepth)
	mt.mu.Lock()
	mt.listeners[ch] = struct{}{}
	mt.mu.Unlock()
	m.spawn(func(runCtx context.Context) {
		select {
		case <-ctx.Done():
		case <-runCtx.Done():
		}
		mt.mu.Lock()
		if _, ok := mt.listeners[ch]; ok {
			delete(mt.listeners, ch)
			close(ch)
		}
		mt.mu.Unlock()
	})
	return ch, nil
}

// Connected reports whether p has a live connection to this node.
func (m *Mesh) Connected(p peer.ID) bool {
	return m.running() == nil && m.host.Network().Connectedness(p) == network.Connected
}
