package mesh

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"meshmeet/mesh/eventlog"
	"runtime"
	"sync"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// Anti-entropy: the initiator names the meeting by the session of the
// membership challenge (challenge.go) and sends its bucket digest; the responder answers with the buckets that differ and the
// IDs it holds in them; the initiator sends the events the responder lacks
// and asks for the ones it lacks itself; the responder sends those. Only
// missing events cross the wire, and both end with the union. Every frame
// after the session ID is sealed with the meeting key. bounds.go bounds a
// round's frames, bytes, events, time and the rounds at once.
const (
	syncProtocol = protocol.ID("/meshmeet/sync/2.0.0")
	maxFrame     = 2 << 20 // a batch of chunkBytes and one event, a digest, an offer of maxOffer IDs
	chunkBytes   = 1 << 20
	maxOffer     = 16_384 // IDs per round; the rest follows next round
	syncTimeout  = 30 * time.Second
	syncAD       = "meshmeet/sync"
	maxHello     = 1 << 10
)

type syncDigest struct {
	Buckets map[int64]bucket `json:"buckets"`
}

type syncOffer struct {
	Want []int64  `json:"want"`
	Have []string `json:"have"`
}

type syncBatch struct {
	Events []json.RawMessage `json:"events"`
	Done   bool              `json:"done,omitempty"`
	Need   []string          `json:"need,omitempty"`
}

func writeFrame(w io.Writer, b []byte) error {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(b)))
	if _, err := w.Write(n[:]); err != nil {
		return err
	}
	_, err := w.Write(b)
	return err
}

func readFrame(r io.Reader, limit uint32) ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, err
	}
	size := binary.BigEndian.Uint32(n[:])
	if size > limit {
		return nil, fmt.Errorf("%w: sync frame of %d bytes", ErrTooLarge, size)
	}
	// Grow with what arrives rather than trusting the length: a peer that
	// announces 16 MiB and sends nothing costs nothing.
	b, err := io.ReadAll(io.LimitReader(r, int64(size)))
	if err == nil && len(b) != int(size) {
		err = io.ErrUnexpectedEOF
	}
	return b, err
}

func writeSealed(w io.Writer, k keys, v any) error { return writeSealedAs(w, k, syncAD, v) }

func readSealed(r io.Reader, k keys, v any) error { return readSealedAs(r, k, syncAD, maxFrame, v) }

// writeSealedAs writes v as JSON in a frame sealed with the meeting key for the
// protocol named by ad.
func writeSealedAs(w io.Writer, k keys, ad string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return writeFrame(w, k.sealBytes(b, ad))
}

// readSealedAs reads a frame of at most limit bytes sealed for ad and decodes it strictly into v.
func readSealedAs(r io.Reader, k keys, ad string, limit uint32, v any) error {
	b, err := readFrame(r, limit)
	if err != nil {
		return err
	}
	plain, err := k.open(b, ad)
	if err != nil {
		return err
	}
	return decodeStrict(plain, v)
}

// sendEvents writes events in frames of about chunkBytes, the last one
// marked done and carrying need.
func sendEvents(w io.Writer, k keys, evs []*Event, need []string) error {
	batch := syncBatch{Events: []json.RawMessage{}}
	size := 0
	for _, ev := range evs {
		if size+len(ev.Raw()) > chunkBytes && len(batch.Events) > 0 {
			if err := writeSealed(w, k, batch); err != nil {
				return err
			}
			batch, size = syncBatch{Events: []json.RawMessage{}}, 0
		}
		batch.Events = append(batch.Events, ev.Raw())
		size += len(ev.Raw())
	}
	batch.Done, batch.Need = true, need
	return writeSealed(w, k, batch)
}

// receiveEvents reads batches until done and returns the events that
// authenticate and belong to mt, and the final batch's need list.
func (m *Mesh) receiveEvents(r io.Reader, mt *meeting) ([]*Event, []string, error) {
	var raws []json.RawMessage
	for {
		var b syncBatch
		if err := readSealed(r, mt.keys, &b); err != nil {
			return nil, nil, err
		}
		raws = append(raws, b.Events...)
		if b.Done {
			return m.decodeBatch(mt, raws), b.Need, nil
		}
	}
}

// decodeBatch verifies signatures on all cores; bad events are dropped.
func (m *Mesh) decodeBatch(mt *meeting, raws []json.RawMessage) []*Event {
	out := make([]*Event, len(raws))
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(raws); i += workers {
				ev, err := eventlog.Decode(raws[i])
				if err != nil || !belongs(mt, ev) || !m.clock.plausible(ev.HLC) {
					m.metrics.rejects.WithLabelValues("sync").Inc()
					continue
				}
				out[i] = ev
			}
		})
	}
	wg.Wait()
	evs := out[:0]
	for _, ev := range out {
		if ev != nil {
			evs = append(evs, ev)
		}
	}
	return evs
}

func belongs(mt *meeting, ev *Event) bool {
	if ev.Type == TypeGenesis {
		return ev.ID[:32] == mt.id
	}
	return ev.Meeting == mt.id
}

func diffBuckets(mine, theirs map[int64]bucket) []int64 {
	var want []int64
	for k, b := range mine {
		if theirs[k] != b {
			want = append(want, k)
		}
	}
	for k := range theirs {
		if _, ok := mine[k]; !ok {
			want = append(want, k)
		}
	}
	return want
}

func wantSet(want []int64) map[int64]bool {
	s := make(map[int64]bool, len(want))
	for _, k := range want {
		s[k] = true
	}
	return s
}

// syncWith runs one anti-entropy round for mt with p as the initiator, after
// the membership challenge if p has not proved mt's key yet.
func (m *Mesh) syncWith(ctx context.Context, p peer.ID, mt *meeting) (err error) {
	defer func() { m.countSync("initiator", err) }()
	if !m.entitled(mt, p) {
		return fmt.Errorf("%w: %s is not given the meeting's current key", ErrForbidden, p)
	}
	ctx, cancel := context.WithTimeout(ctx, syncTimeout)
	defer cancel()
	release, err := m.bounds.wait(ctx, "sync-out", p, maxSyncPerPeer, maxSyncOut)
	if err != nil {
		return err
	}
	defer release()
	s, err := m.openSession(ctx, p, mt.keys, syncProtocol)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = s.Reset()
		}
	}()
	defer s.Close()
	defer context.AfterFunc(ctx, func() { _ = s.Reset() })()
	_ = s.SetDeadline(time.Now().Add(syncTimeout))
	r := m.newRoundReader(s)
	mt.mu.Lock()
	digest := mt.digestLocked()
	mt.mu.Unlock()
	if err := writeSealed(s, mt.keys, syncDigest{Buckets: digest}); err != nil {
		return err
	}
	var offer syncOffer
	if err := readSealed(r, mt.keys, &offer); err != nil {
		return err
	}
	have := make(map[string]bool, len(offer.Have))
	for _, id := range offer.Have {
		have[id] = true
	}
	mt.mu.Lock()
	var give []*Event
	for _, ev := range mt.eventsInLocked(wantSet(offer.Want)) {
		if !have[ev.ID] {
			give = append(give, ev)
		}
	}
	var need []string
	for _, id := range offer.Have {
		if mt.log.Get(id) == nil {
			need = append(need, id)
		}
	}
	mt.mu.Unlock()
	give, more := trimRound(give)
	more = more || len(offer.Have) >= maxOffer
	if more {
		defer m.syncSoon(p, mt) // the rest, in the next round
	}
	if err := sendEvents(s, mt.keys, give, need); err != nil {
		return err
	}
	if len(need) == 0 {
		return s.CloseWrite()
	}
	evs, _, err := m.receiveEvents(r, mt)
	if err != nil {
		return err
	}
	if len(evs) < len(need) && !more {
		defer m.syncSoon(p, mt) // the responder held some back for the next round
	}
	_, err = m.ingest(mt, evs[:min(len(evs), roundEvents)], false)
	return err
}

// handleSync answers a round from a peer that proved the meeting's key.
func (m *Mesh) handleSync(s network.Stream) {
	var err error
	defer func() {
		m.countSync("responder", err)
		if err != nil {
			_ = s.Reset() // a round that failed, or went beyond its bounds, ends here
		}
	}()
	_ = s.SetDeadline(time.Now().Add(syncTimeout))
	tag, ok := m.acceptSession(s)
	if !ok {
		err = errNotProven
		return
	}
	mt := m.meetingByTag(tag, s.Conn().RemotePeer())
	if mt == nil {
		// A lobby's key, or a meeting forgotten since: say nothing more.
		_ = s.Reset()
		return
	}
	r := m.newRoundReader(s)
	var theirs syncDigest
	if err = readSealed(r, mt.keys, &theirs); err != nil {
		_ = s.Reset()
		return
	}
	mt.mu.Lock()
	want := diffBuckets(mt.digestLocked(), theirs.Buckets)
	offer := syncOffer{Want: want, Have: []string{}}
	for _, ev := range mt.eventsInLocked(wantSet(want)) {
		if len(offer.Have) == maxOffer {
			break
		}
		offer.Have = append(offer.Have, ev.ID)
	}
	mt.mu.Unlock()
	if err = writeSealed(s, mt.keys, offer); err != nil {
		return
	}
	evs, need, err := m.receiveEvents(r, mt)
	if err != nil {
		return
	}
	if _, err = m.ingest(mt, evs[:min(len(evs), roundEvents)], false); err != nil {
		return
	}
	if len(need) == 0 {
		return
	}
	mt.mu.Lock()
	var give []*Event
	for _, id := range need[:min(len(need), maxOffer)] {
		if ev := mt.log.Get(id); ev != nil {
			give = append(give, ev)
		}
	}
	mt.mu.Unlock()
	give, _ = trimRound(give)
	err = sendEvents(s, mt.keys, give, nil)
}

func (m *Mesh) countSync(role string, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.metrics.syncRounds.WithLabelValues(role, result).Inc()
}

// meetingByTag finds the meeting a peer names by its tag: under its
// current key, or under the previous one for a peer entitled to it.
func (m *Mesh) meetingByTag(tag string, from peer.ID) *meeting {
	var found *meeting
	m.mu.Lock()
	for _, mt := range m.meetings {
		if mt.keys.tag == tag {
			found = mt
		} else if p := mt.prev; p != nil && p.keys.tag == tag {
			found = p
		}
		for _, o := range mt.older {
			if o.keys.tag == tag {
				found = o
			}
		}
	}
	if a := m.attempts[tag]; found == nil && a != nil { // a join proving its key (attempt.go)
		found = a.mt
	}
	m.mu.Unlock()
	if found == nil || !m.entitled(found, from) {
		return nil
	}
	return found
}

// onConnected syncs every meeting with a newly connected peer, so a healed
// partition or a restarted node catches up at once.
func (m *Mesh) onConnected(p peer.ID) {
	m.proveAll(p) // lobbies too: their topics are exchanged only after
	for _, mt := range m.snapshot() {
		m.syncSoon(p, mt)
	}
}

// syncSoon runs a round with p for mt now, or, when one started within the
// last syncDebounce, once that is over. Gossip is not delivery: whenever a
// gap shows (a new member of a topic, an event whose cause is missing) a
// round closes it — a gap that shows right after a round (a join or chat
// published before the author knew who subscribes, which a first contact's
// sync easily outruns) waits a moment, not until the periodic round.
func (m *Mesh) syncSoon(p peer.ID, mt *meeting) {
	if p == m.self || p == "" {
		return
	}
	key, now := string(p)+mt.id, time.Now().UnixMilli()
	m.mu.Lock()
	if wait := m.lastSync[key] + syncDebounce.Milliseconds() - now; wait > 0 {
		due := m.syncDue[key]
		m.syncDue[key] = true
		m.mu.Unlock()
		if !due {
			m.spawn(func(ctx context.Context) {
				select {
				case <-ctx.Done():
					return
				case <-time.After(time.Duration(wait) * time.Millisecond):
				}
				m.mu.Lock()
				delete(m.syncDue, key)
				m.lastSync[key] = time.Now().UnixMilli()
				m.mu.Unlock()
				_ = m.syncWith(ctx, p, mt)
			})
		}
		return
	}
	m.lastSync[key] = now
	m.mu.Unlock()
	m.spawn(func(ctx context.Context) { _ = m.syncWith(ctx, p, mt) })
}

// syncDebounce is the least time between two rounds with one peer for one
// meeting: the triggers of one event (connect, three topics joined) make one
// round, and the last trigger is never dropped.
const syncDebounce = 200 * time.Millisecond

// watchTopic acts on every peer that joins one of the meeting's topics: a
// join or chat gossiped before the topic mesh had formed reaches us (and
// ours them) by a sync round, and a new presence subscriber hears our
// heartbeat at once rather than at the next beat.
func (m *Mesh) watchTopic(ctx context.Context, mt *meeting, kind string, h *pubsub.TopicEventHandler) {
	defer h.Cancel()
	for {
		ev, err := h.NextPeerEvent(ctx)
		if err != nil {
			return
		}
		if ev.Type != pubsub.PeerJoin {
			continue
		}
		if kind == kindPresence {
			m.heartbeatSoon(mt)
		} else {
			m.syncSoon(ev.Peer, mt)
		}
	}
}

// syncAll runs a round with every connected peer (on join).
func (m *Mesh) syncAll(mt *meeting) {
	for _, p := range m.host.Network().Peers() {
		m.spawn(func(ctx context.Context) { _ = m.syncWith(ctx, p, mt) })
	}
}

func (m *Mesh) syncLoop(ctx context.Context) {
	t := time.NewTicker(m.cfg.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, mt := range m.snapshot() {
			peers := mt.topics[kindControl].ListPeers()
			if len(peers) == 0 {
				// Nobody on its topics: a key the others moved on from (a node
				// that was off through a rekey). Ask anyone connected; those
				// that hold the meeting answer if the new key was sealed to us.
				peers = m.host.Network().Peers()
			}
			if len(peers) == 0 {
				continue
			}
			_ = m.syncWith(ctx, peers[rand.IntN(len(peers))], mt)
		}
	}
}
