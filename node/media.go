package node

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"meshmeet/media"
	"meshmeet/mesh"
	"meshmeet/mesh/datadir"
	"meshmeet/webui/api"
)

// peerSyncInterval is how often the media peer set follows presence.
const peerSyncInterval = 250 * time.Millisecond

// mediaBridge connects the media engine to the mesh (node-to-node
// signalling), to the browser's WebSocket and to presence.
type mediaBridge struct {
	n *Node

	kick chan chan struct{} // asks follow for a pass now; closed when done

	mu       sync.Mutex
	browsers map[string]map[chan api.Event]struct{} // meeting -> WebSocket subscribers
	joined   map[string]bool                        // meetings the engine is in
	spoke    map[string]map[string]time.Time        // meeting -> participant -> last heard speaking
}

func newMediaBridge(n *Node) *mediaBridge {
	return &mediaBridge{n: n, kick: make(chan chan struct{}), browsers: map[string]map[chan api.Event]struct{}{}, joined: map[string]bool{}, spoke: map[string]map[string]time.Time{}}
}

// SendToPeer implements media.Signaller.
func (b *mediaBridge) SendToPeer(peerID string, msg []byte) error {
	p, err := peer.Decode(peerID)
	if err != nil {
		return err
	}
	return b.n.mesh.SendSignal(p, msg)
}

// SendToBrowser implements media.Signaller: the message goes to every open
// meeting page of this node; the newest page's hello owns the session.
func (b *mediaBridge) SendToBrowser(meetingID string, msg []byte) error {
	ev := api.Event{Type: "signal", Data: json.RawMessage(slices.Clone(msg))}
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.browsers[meetingID] {
		select {
		case ch <- ev:
		default:
			b.n.log.Warn("browser signalling dropped", "meeting", meetingID)
		}
	}
	return nil
}

func (b *mediaBridge) addBrowser(meetingID string, ch chan api.Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.browsers[meetingID] == nil {
		b.browsers[meetingID] = map[chan api.Event]struct{}{}
	}
	b.browsers[meetingID][ch] = struct{}{}
}

func (b *mediaBridge) removeBrowser(meetingID string, ch chan api.Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.browsers[meetingID], ch)
}

// onPeerSignal takes signalling from another node; only participants that
// presence shows in the meeting may open media links to us.
func (b *mediaBridge) onPeerSignal(from peer.ID, msg []byte) {
	sig, err := media.DecodeSignal(msg)
	if err != nil {
		b.n.log.Debug("bad peer signal", "peer", from.String(), "err", err)
		return
	}
	if !b.isJoined(sig.MeetingID) || !b.isLive(sig.MeetingID, from) {
		b.n.log.Debug("signal from a peer outside the meeting", "peer", from.String(), "meeting", sig.MeetingID)
		return
	}
	if err := b.n.media.HandlePeerSignal(sig.MeetingID, from.String(), msg); err != nil {
		b.n.log.Debug("peer signal refused", "peer", from.String(), "err", err)
	}
}

// onLinkLost: a media link to p lost ICE consent; the mesh checks whether p is gone.
func (b *mediaBridge) onLinkLost(_, p string) {
	if id, err := peer.Decode(p); err == nil {
		b.n.mesh.Suspect(id)
	}
}

// onSpeaking: this node's participant started or stopped speaking in a meeting.
func (b *mediaBridge) onSpeaking(id string, on bool) {
	b.n.mesh.SetSpeaking(context.Background(), id, on)
}

func (b *mediaBridge) isLive(meetingID string, p peer.ID) bool {
	ps, err := b.n.mesh.Participants(meetingID)
	if err != nil {
		return false
	}
	for _, x := range ps {
		if x.PeerID == p.String() {
			return true
		}
	}
	return false
}

// follow keeps the engine's meetings and peers in step with the mesh: the
// meetings this node is in, and in each the other live participants.
func (b *mediaBridge) follow(ctx context.Context) {
	t := time.NewTicker(peerSyncInterval)
	defer t.Stop()
	for {
		b.refresh()
		var done chan struct{}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case done = <-b.kick:
			b.refresh()
			close(done)
		}
	}
}

// refreshNow runs a pass at once, so the engine is in a meeting as soon as
// the join returns and the page's hello finds it.
func (b *mediaBridge) refreshNow(ctx context.Context) {
	done := make(chan struct{})
	select {
	case b.kick <- done:
		select {
		case <-done:
		case <-ctx.Done():
		}
	case <-ctx.Done():
	}
}

func (b *mediaBridge) refresh() {
	in := map[string]bool{}
	for _, id := range b.n.mesh.JoinedIDs() {
		in[id] = true
	}
	b.reconcile(in, b.n.mesh.Self().String())
}

func (b *mediaBridge) reconcile(in map[string]bool, self string) {
	b.mu.Lock()
	var join, leave []string
	for id := range in {
		if !b.joined[id] {
			join = append(join, id)
		}
	}
	for id := range b.joined {
		if !in[id] {
			leave = append(leave, id)
		}
	}
	b.mu.Unlock()
	for _, id := range leave {
		if err := b.n.media.Leave(id); err != nil {
			b.n.log.Debug("media leave", "meeting", id, "err", err)
		}
		b.setJoined(id, false)
	}
	for _, id := range join {
		if err := b.n.media.Join(id, self); err != nil {
			b.n.log.Warn("media join failed", "meeting", id, "err", err)
			continue
		}
		b.setJoined(id, true)
	}
	for id := range in {
		ps, err := b.n.mesh.Participants(id)
		if err != nil {
			continue
		}
		var peers []string
		for _, p := range ps {
			if p.PeerID != self {
				peers = append(peers, p.PeerID)
			}
		}
		via := b.n.mesh.Topology(id)
		relay := via[self]
		if err := b.n.media.SetSites(id, peers, via); err != nil {
			b.n.log.Debug("media peers", "meeting", id, "err", err)
		}
		if v, err := b.n.mesh.Meeting(id); err == nil {
			_ = b.n.media.SetVideo(id, b.lastN(id, ps, relay, v.Settings.Cameras()))
		}
		b.record(id, self)
	}
}

// lastN is whose cameras a relayed meeting of more than n live participants
// forwards: the n who spoke last (speaking, from presence), then those in
// the meeting longest; nil (everyone's) otherwise.
func (b *mediaBridge) lastN(id string, ps []mesh.ParticipantView, relay string, n int) []string {
	now := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	spoke := b.spoke[id]
	if spoke == nil {
		spoke = map[string]time.Time{}
		b.spoke[id] = spoke
	}
	for _, p := range ps {
		if p.Media != nil && p.Media.Speaking {
			spoke[p.PeerID] = now
		}
	}
	if relay == "" || len(ps) <= n {
		return nil
	}
	order := slices.Clone(ps)
	slices.SortStableFunc(order, func(a, c mesh.ParticipantView) int {
		if d := spoke[c.PeerID].Compare(spoke[a.PeerID]); d != 0 {
			return d
		}
		return a.JoinedAt.Compare(c.JoinedAt)
	})
	out := make([]string, 0, n)
	for _, p := range order[:n] {
		out = append(out, p.PeerID)
	}
	return out
}

// record makes the engine record the meeting while the log says this node does.
func (b *mediaBridge) record(id, self string) {
	v, err := b.n.mesh.Meeting(id)
	if err != nil {
		return
	}
	want, have := v.Recording && v.Recorder == self, b.n.media.Recording(id) != ""
	switch {
	case want && !have:
		dir := filepath.Join(datadir.Dir(b.n.cfg.DataDir).Recordings(id), time.Now().UTC().Format("20060102T150405Z"))
		if err := b.n.media.StartRecording(id, dir); err != nil {
			b.n.log.Warn("recording failed to start", "meeting", id, "err", err)
		}
	case !want && have:
		_ = b.n.media.StopRecording(id)
	}
}

func (b *mediaBridge) isJoined(id string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.joined[id]
}

func (b *mediaBridge) setJoined(id string, on bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if on {
		b.joined[id] = true
	} else {
		delete(b.joined, id)
		delete(b.spoke, id)
	}
}

// BrowserSignal implements webui's signalling hook for the meeting page.
func (be *backend) BrowserSignal(ctx context.Context, id string, msg []byte) error {
	in := be.n.bridge.isJoined(id)
	if !in {
		// Joined a moment ago (an admission from the lobby): catch up now.
		be.n.bridge.refreshNow(ctx)
		in = be.n.bridge.isJoined(id)
	}
	if !in {
		return fmt.Errorf("%w: join the meeting before starting media", api.ErrConflict)
	}
	return be.n.media.HandleBrowserSignal(id, msg)
}
