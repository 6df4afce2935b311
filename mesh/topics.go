package mesh

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"meshmeet/mesh/eventlog"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Topic kinds: one set of topics per meeting.
const (
	kindControl  = "control"
	kindChat     = "chat"
	kindPresence = "presence"
	maxGossip    = 64 << 10
)

func topicName(k keys, kind string) string { return "meshmeet/1/" + k.tag + "/" + kind }

// loadMeetings reopens every meeting whose key is on disk. A key is
// written only once the meeting's genesis proves it; one that does not (an
// older version stored keys unproven) is dropped with a warning.
func (m *Mesh) loadMeetings() error {
	secrets, err := m.store.secrets()
	if err != nil {
		return fmt.Errorf("load meetings: %w", err)
	}
	for id, secret := range secrets {
		mt, err := m.openMeeting(id, secret)
		if errors.Is(err, ErrWrongKey) {
			m.log.Warn("dropping a meeting key its genesis does not prove", "meeting", id, "err", err)
			if err := m.store.dropSecret(id); err != nil {
				return fmt.Errorf("load meetings: %w", err)
			}
			continue
		}
		if err != nil {
			return err
		}
		if err := m.watchLobby(mt); err != nil {
			return err
		}
	}
	return nil
}

// openMeeting opens a meeting whose key is on disk: its log must hold the
// genesis proving the key, else ErrWrongKey.
func (m *Mesh) openMeeting(id string, secret []byte) (*meeting, error) {
	return m.openHeld(id, secret, true, func() ([]*Event, error) {
		evs, err := m.store.events(id, m.log)
		if err != nil {
			return nil, fmt.Errorf("load meeting %s: %w", id, err)
		}
		return evs, nil
	})
}

// openTrusted opens a meeting whose key this node trusts without a
// genesis: the one it is creating, proven by the genesis it signs next.
func (m *Mesh) openTrusted(id string, secret []byte) (*meeting, error) {
	return m.openHeld(id, secret, false, func() ([]*Event, error) {
		if err := m.store.putSecret(id, secret); err != nil {
			return nil, fmt.Errorf("store meeting key: %w", err)
		}
		return nil, nil
	})
}

// openHeld opens a meeting as this node's, with the log load returns (which
// must prove the key, with prove set); it returns the meeting when already
// open under this key.
func (m *Mesh) openHeld(id string, secret []byte, prove bool, load func() ([]*Event, error)) (*meeting, error) {
	if !m.track() {
		return nil, ErrNotReady
	}
	defer m.wg.Done()
	m.openMu.Lock()
	defer m.openMu.Unlock()
	if mt, err := m.openedLocked(id, secret); mt != nil || err != nil {
		return mt, err
	}
	k, err := deriveKeys(id, secret)
	if err != nil {
		return nil, err
	}
	evs, err := load()
	if err != nil {
		return nil, err
	}
	mt := m.foldMeeting(id, k, evs, false)
	if prove && (mt.st().Record == nil || !mt.st().Proves(secret)) {
		return nil, fmt.Errorf("%w: meeting %s has no genesis proving its key on disk", ErrWrongKey, id)
	}
	if err := m.openTopics(mt); err != nil {
		return nil, err
	}
	m.mu.Lock()
	m.meetings[id] = mt
	m.mu.Unlock()
	m.proveToPeers(k) // challenge.go: its topics flow only to peers that prove the key
	return mt, nil
}

// openedLocked returns the meeting when open under this key; ErrWrongKey
// when open under another. Called with openMu held.
func (m *Mesh) openedLocked(id string, secret []byte) (*meeting, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	mt := m.meetings[id]
	if mt == nil {
		return nil, nil
	}
	if subtle.ConstantTimeCompare(mt.keys.secret, secret) != 1 {
		return nil, fmt.Errorf("%w: this node holds meeting %s under another key", ErrWrongKey, id)
	}
	return mt, nil
}

// startMeeting subscribes to a meeting's topics with its log loaded; with
// pending set its key is not proven yet and nothing of it is written.
func (m *Mesh) startMeeting(id string, k keys, evs []*Event, pending bool) (*meeting, error) {
	mt := m.foldMeeting(id, k, evs, pending)
	if err := m.openTopics(mt); err != nil {
		return nil, err
	}
	return mt, nil
}

// foldMeeting is a meeting under k with its log folded from evs, not yet
// shared with anyone.
func (m *Mesh) foldMeeting(id string, k keys, evs []*Event, pending bool) *meeting {
	mt := newMeeting(id, k)
	if pending {
		mt.pending = &pendingKey{}
	}
	mt.selfCapacity, mt.selfSite = m.relayCapacity(), m.site()
	for _, ev := range evs {
		m.clock.Observe(ev.HLC)
	}
	mt.addLocked(evs) // not yet shared: no lock needed
	return mt
}

// openTopics subscribes to the meeting's topics under its keys and starts
// their loops; mt.stop ends them.
func (m *Mesh) openTopics(mt *meeting) error {
	mctx, stop := context.WithCancel(m.ctx)
	mt.stop = stop
	loop := func(f func(ctx context.Context)) {
		mt.loops.Add(1)
		m.goLoop(func(context.Context) { defer mt.loops.Done(); f(mctx) })
	}
	for _, kind := range []string{kindControl, kindChat, kindPresence} {
		name := topicName(mt.keys, kind)
		v := m.eventValidator(mt, kind)
		if kind == kindPresence {
			v = m.presenceValidator(mt)
		}
		t, sub, err := m.subscribe(name, v)
		if err != nil {
			m.stopMeeting(mt)
			return fmt.Errorf("topic %s: %w", kind, err)
		}
		mt.topics[kind] = t
		loop(func(ctx context.Context) { m.readTopic(ctx, mt, kind, sub) })
		h, err := t.EventHandler()
		if err != nil {
			m.stopMeeting(mt)
			return fmt.Errorf("watch topic: %w", err)
		}
		loop(func(ctx context.Context) { m.watchTopic(ctx, mt, kind, h) })
	}
	return nil
}

// stopMeeting ends a meeting's loops and leaves its topics.
func (m *Mesh) stopMeeting(mt *meeting) {
	mt.stop()
	mt.loops.Wait()
	for kind, t := range mt.topics {
		m.closeTopic(t, topicName(mt.keys, kind))
	}
}

// subscribe registers a topic's validator, joins it and subscribes.
func (m *Mesh) subscribe(name string, v pubsub.ValidatorEx) (*pubsub.Topic, *pubsub.Subscription, error) {
	if err := m.ps.RegisterTopicValidator(name, v); err != nil {
		return nil, nil, err
	}
	t, err := m.ps.Join(name)
	if err != nil {
		return nil, nil, err
	}
	sub, err := t.Subscribe()
	if err != nil {
		return nil, nil, err
	}
	return t, sub, nil
}

// gossipValidator does what every topic's validator starts with: accept our
// own messages, take them only from peers that proved the key, rate-limit
// the origin, hear an older key epoch only from members not moved yet, and
// open the seal; decide judges the plaintext.
func (m *Mesh) gossipValidator(mt *meeting, kind string, decide func(from peer.ID, plain []byte, msg *pubsub.Message) pubsub.ValidationResult) pubsub.ValidatorEx {
	name := topicName(mt.keys, kind)
	return func(_ context.Context, via peer.ID, msg *pubsub.Message) pubsub.ValidationResult {
		from := msg.GetFrom()
		if from == m.self {
			return pubsub.ValidationAccept
		}
		if !m.hasProved(via, mt.keys.tag) { // see gossipgate.go
			m.metrics.rejects.WithLabelValues("unproven").Inc()
			return pubsub.ValidationIgnore
		}
		if !m.allow(from) {
			m.metrics.rejects.WithLabelValues("rate").Inc()
			return pubsub.ValidationIgnore
		}
		if !m.entitled(mt, from) {
			return pubsub.ValidationIgnore // an old key's topic: only members not moved yet
		}
		plain, err := mt.keys.open(msg.Data, name)
		if err != nil {
			return m.reject("seal")
		}
		return decide(from, plain, msg)
	}
}

func (m *Mesh) reject(reason string) pubsub.ValidationResult {
	m.metrics.rejects.WithLabelValues(reason).Inc()
	return pubsub.ValidationReject
}

// eventValidator authenticates a log event from gossip before GossipSub
// forwards it: only the author may publish their own events, and control
// events are checked against the roles this node knows.
func (m *Mesh) eventValidator(mt *meeting, kind string) pubsub.ValidatorEx {
	return m.gossipValidator(mt, kind, func(from peer.ID, plain []byte, msg *pubsub.Message) pubsub.ValidationResult {
		ev, err := eventlog.Decode(plain)
		if err != nil {
			return m.reject("decode")
		}
		switch {
		case ev.Author != from:
			return m.reject("author")
		case (ev.Type == TypeChat) != (kind == kindChat):
			return m.reject("topic")
		case ev.Type != TypeGenesis && ev.Meeting != mt.id, ev.Type == TypeGenesis && ev.ID[:32] != mt.id:
			return m.reject("meeting")
		case !m.clock.plausible(ev.HLC):
			return m.reject("clock")
		}
		mt.mu.Lock()
		known := mt.log.Get(ev.ID) != nil
		err = mt.log.Check(ev)
		chatOn := mt.st().Record != nil && mt.st().Record.Settings.EnableChat
		mt.mu.Unlock()
		switch {
		case known:
			return pubsub.ValidationIgnore
		case errors.Is(err, ErrNotFound), errors.Is(err, ErrConflict) && ev.Type != TypeJoin:
			// Not decidable yet or a race with end: anti-entropy settles it.
			return pubsub.ValidationIgnore
		case errors.Is(err, ErrForbidden) && ev.Type != TypeJoin && !(ev.Type == TypeChat && chatOn):
			return m.reject("authority")
		case errors.Is(err, ErrInvalid):
			return m.reject("invalid")
		}
		// Remaining failures (a chat racing its author's join, a join racing
		// a full meeting) are stored; the fold decides them in log order.
		msg.ValidatorData = ev
		return pubsub.ValidationAccept
	})
}

func (m *Mesh) readTopic(ctx context.Context, mt *meeting, kind string, sub *pubsub.Subscription) {
	defer sub.Cancel()
	for {
		msg, err := sub.Next(ctx)
		if err != nil {
			return
		}
		if msg.GetFrom() == m.self {
			continue
		}
		switch v := msg.ValidatorData.(type) {
		case *Event:
			if _, err := m.ingest(mt, []*Event{v}, false); err != nil {
				m.log.Error("cannot store event", "meeting", mt.id, "err", err)
			}
			mt.mu.Lock()
			gap := !mt.st().Valid(v.ID)
			mt.mu.Unlock()
			if gap {
				// Most likely its cause (the author's join) has not reached
				// us; the peer that forwarded it has it.
				m.syncSoon(msg.ReceivedFrom, mt)
			}
		case *heartbeat:
			m.onHeartbeat(mt, v)
		}
	}
}

// ingest folds new events in and notifies subscribers. With durable set
// (this node's own events) they are on disk before it returns; events from
// peers go to the background persister. It returns how many were new.
func (m *Mesh) ingest(mt *meeting, evs []*Event, durable bool) (int, error) {
	if !m.track() {
		return 0, ErrNotReady
	}
	defer m.wg.Done()
	if durable {
		mt.mu.Lock()
		fresh := mt.unknownLocked(evs)
		mt.mu.Unlock()
		if err := m.store.putEvents(mt.id, fresh, true); err != nil {
			return 0, err
		}
	}
	mt.mu.Lock()
	pending := mt.pending != nil
	if pending { // attempt.go: nothing is written or fetched until the key is proven
		evs = mt.screenLocked(evs)
	}
	added, valid := mt.addLocked(evs)
	var files []FileRef
	for _, ev := range valid {
		if f := fileOf(ev); f != nil && ev.Author != m.self && !pending {
			files = append(files, *f)
		}
		if n, ok := mt.noticeLocked(ev, m.self); ok {
			if d := mt.publishLocked(n); d > 0 {
				m.metrics.dropped.Add(float64(d))
			}
		}
	}
	mt.mu.Unlock()
	for _, f := range files {
		if !m.blobs.has(mt.id, f) {
			m.wantFile(mt, f)
		}
	}
	if !durable && !pending && len(added) > 0 {
		m.persist.add(mt.id, added)
	}
	if len(valid) > 0 {
		m.afterFold(mt, valid)
	}
	for _, ev := range added {
		if !pending { // an unproven key moves nothing, not even the clock (promote does)
			m.clock.Observe(ev.HLC)
		}
		if ev.Author != m.self {
			m.metrics.messagesIn.Inc()
		}
	}
	return len(added), nil
}

// publishEvent signs a new event of this node, checks it against the
// meeting's rules, stores it durably and gossips it.
func (m *Mesh) publishEvent(ctx context.Context, mt *meeting, typ string, body []byte) (*Event, error) {
	ev, err := m.newEvent(mt, typ, body)
	if err != nil {
		return nil, err
	}
	return ev, m.publishSigned(ctx, mt, ev)
}

// newEvent signs an event of this node in mt (nil for a genesis), naming
// the log's heads as what it has seen and stamped after all of them.
func (m *Mesh) newEvent(mt *meeting, typ string, body []byte) (*Event, error) {
	if err := m.clockErr(); err != nil { // health.go: peers would drop it
		return nil, err
	}
	ev := &Event{Type: typ, Author: m.self, Body: body}
	if mt != nil {
		mt.mu.Lock()
		ev.Meeting, ev.Prev = mt.id, mt.log.Heads()
		m.clock.Observe(mt.log.MaxHLC())
		mt.mu.Unlock()
	}
	ev.HLC = m.clock.Now()
	return ev, eventlog.Sign(ev, m.cfg.PrivKey)
}

func (m *Mesh) publishSigned(ctx context.Context, mt *meeting, ev *Event) error {
	mt.mu.Lock()
	err := mt.log.Check(ev)
	mt.mu.Unlock()
	if err != nil {
		return err
	}
	// Nothing goes out that this node could not keep.
	if err := m.disk.room(0); err != nil {
		return err
	}
	kind := kindControl
	if ev.Type == TypeChat {
		kind = kindChat
	}
	// Gossip first and write meanwhile: the caller's acknowledgement still
	// waits for the disk, and if this node dies before the write, its peers
	// hold the event and anti-entropy brings it back.
	if err := mt.topics[kind].Publish(ctx, mt.keys.sealBytes(ev.Raw(), topicName(mt.keys, kind))); err != nil {
		m.log.Warn("gossip publish failed", "meeting", mt.id, "err", err)
	}
	if _, err := m.ingest(mt, []*Event{ev}, true); err != nil {
		return fmt.Errorf("store event: %w", err)
	}
	m.metrics.messagesOut.Inc()
	return nil
}
