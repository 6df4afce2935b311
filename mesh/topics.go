package mesh

import (
	"context"
	"errors"
	"fmt"

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

// loadMeetings reopens every meeting whose key is on disk.
func (m *Mesh) loadMeetings() error {
	secrets, err := m.store.secrets()
	if err != nil {
		return fmt.Errorf("load meetings: %w", err)
	}
	for id, secret := range secrets {
		mt, err := m.openMeeting(id, secret)
		if err != nil {
			return err
		}
		if mt.st.record != nil {
			if err := m.watchLobby(mt); err != nil {
				return err
			}
		}
	}
	return nil
}

// openMeeting subscribes to a meeting's topics and loads its log; it returns
// the existing meeting when already open.
func (m *Mesh) openMeeting(id string, secret []byte) (*meeting, error) {
	if !m.track() {
		return nil, ErrNotReady
	}
	defer m.wg.Done()
	// One opening at a time: two joins racing must not register a topic
	// validator twice.
	m.openMu.Lock()
	defer m.openMu.Unlock()
	m.mu.Lock()
	if mt := m.meetings[id]; mt != nil {
		m.mu.Unlock()
		return mt, nil
	}
	m.mu.Unlock()
	k, err := deriveKeys(id, secret)
	if err != nil {
		return nil, err
	}
	if err := m.store.putSecret(id, secret); err != nil {
		return nil, fmt.Errorf("store meeting key: %w", err)
	}
	mt := newMeeting(id, k)
	mt.selfCapacity = m.relayCapacity()
	evs, err := m.store.events(id, m.log)
	if err != nil {
		return nil, fmt.Errorf("load meeting %s: %w", id, err)
	}
	for _, ev := range evs {
		m.clock.Observe(ev.HLC)
	}
	mt.addLocked(evs) // not yet shared: no lock needed
	mctx, stop := context.WithCancel(m.ctx)
	mt.stop = stop
	loop := func(f func(ctx context.Context)) {
		mt.loops.Add(1)
		m.goLoop(func(context.Context) { defer mt.loops.Done(); f(mctx) })
	}
	for _, kind := range []string{kindControl, kindChat, kindPresence} {
		name := topicName(k, kind)
		v := m.eventValidator(mt, kind)
		if kind == kindPresence {
			v = m.presenceValidator(mt)
		}
		t, sub, err := m.subscribe(name, v)
		if err != nil {
			return nil, fmt.Errorf("topic %s: %w", kind, err)
		}
		mt.topics[kind] = t
		loop(func(ctx context.Context) { m.readTopic(ctx, mt, kind, sub) })
		h, err := t.EventHandler()
		if err != nil {
			return nil, fmt.Errorf("watch topic: %w", err)
		}
		loop(func(ctx context.Context) { m.watchTopic(ctx, mt, kind, h) })
	}
	m.mu.Lock()
	m.meetings[id] = mt
	m.mu.Unlock()
	m.proveToPeers(k)
	return mt, nil
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
// own messages, rate-limit the origin, and open the seal; decide judges the
// plaintext.
func (m *Mesh) gossipValidator(mt *meeting, kind string, decide func(from peer.ID, plain []byte, msg *pubsub.Message) pubsub.ValidationResult) pubsub.ValidatorEx {
	name := topicName(mt.keys, kind)
	return func(_ context.Context, via peer.ID, msg *pubsub.Message) pubsub.ValidationResult {
		from := msg.GetFrom()
		if from == m.self {
			return pubsub.ValidationAccept
		}
		if !m.proven(via, mt.keys.tag) { // see gossipgate.go
			m.metrics.rejects.WithLabelValues("unproven").Inc()
			return pubsub.ValidationIgnore
		}
		if !m.allow(from) {
			m.metrics.rejects.WithLabelValues("rate").Inc()
			return pubsub.ValidationIgnore
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
		ev, err := DecodeEvent(plain)
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
		_, known := mt.ids[ev.ID]
		err = mt.st.check(ev)
		chatOn := mt.st.record != nil && mt.st.record.Settings.EnableChat
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
			gap := !mt.st.valid[v.ID]
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
	fresh := mt.unknownLocked(evs)
	valid := mt.addLocked(fresh)
	var files []FileRef
	for _, ev := range valid {
		if f := fileOf(ev); f != nil && ev.Author != m.self {
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
	if len(fresh) == 0 {
		return 0, nil
	}
	if !durable {
		m.persist.add(mt.id, fresh)
	}
	for _, ev := range fresh {
		m.clock.Observe(ev.HLC)
		if ev.Author != m.self {
			m.metrics.messagesIn.Inc()
		}
	}
	return len(fresh), nil
}

// publishEvent signs a new event of this node, checks it against the
// meeting's rules, stores it durably and gossips it.
func (m *Mesh) publishEvent(ctx context.Context, mt *meeting, typ string, body []byte) (*Event, error) {
	ev, err := m.newEvent(mt.id, typ, body)
	if err != nil {
		return nil, err
	}
	return ev, m.publishSigned(ctx, mt, ev)
}

func (m *Mesh) newEvent(meetingID, typ string, body []byte) (*Event, error) {
	ev := &Event{Type: typ, Meeting: meetingID, Author: m.self, HLC: m.clock.Now(), Body: body}
	return ev, signEvent(ev, m.cfg.PrivKey)
}

func (m *Mesh) publishSigned(ctx context.Context, mt *meeting, ev *Event) error {
	mt.mu.Lock()
	err := mt.st.check(ev)
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
	if err := mt.topics[kind].Publish(ctx, mt.keys.sealBytes(ev.raw, topicName(mt.keys, kind))); err != nil {
		m.log.Warn("gossip publish failed", "meeting", mt.id, "err", err)
	}
	if _, err := m.ingest(mt, []*Event{ev}, true); err != nil {
		return fmt.Errorf("store event: %w", err)
	}
	m.metrics.messagesOut.Inc()
	return nil
}
