package mesh

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestForgedEndFromNonHost: a participant's node that skips its own checks
// and gossips an "end" changes nothing anywhere, and neither does pushing it
// through anti-entropy.
func TestForgedEndFromNonHost(t *testing.T) {
	a := startMesh(t, testConfig(t, "host"))
	b := startMesh(t, testConfig(t, "mallory", a))
	id, _ := meetingOf(t, a, b)
	bm, _ := b.meeting(id)

	forged, err := b.newEvent(bm, TypeEnd, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Gossip it until the host has refused it: a single publish can go
	// nowhere while the topic mesh is still forming on a loaded machine.
	eventually(t, 10*time.Second, "host rejects the forged end", func() error {
		if err := bm.topics[kindControl].Publish(context.Background(), bm.keys.sealBytes(forged.Raw(), topicName(bm.keys, kindControl))); err != nil {
			return err
		}
		if testutil.ToFloat64(a.metrics.rejects.WithLabelValues("authority")) < 1 {
			return errNot("no authority reject yet")
		}
		return nil
	})
	// Force it into mallory's own log and let sync carry it to the host.
	if _, err := b.ingest(bm, []*Event{forged}, true); err != nil {
		t.Fatal(err)
	}
	am, _ := a.meeting(id)
	if err := a.syncWith(context.Background(), b.self, am); err != nil {
		t.Fatal(err)
	}
	for _, m := range []*Mesh{a, b} {
		v, _ := m.Meeting(id)
		if v.Status != StatusActive {
			t.Fatalf("%s: status %s after a forged end", m.cfg.Name, v.Status)
		}
	}
	if _, err := a.PostMessage(context.Background(), id, "still on"); err != nil {
		t.Fatalf("chat after forged end: %v", err)
	}
}

type errNot string

func (e errNot) Error() string { return string(e) }

// TestReplayChangesNothing: the same signed event delivered again by gossip
// or by sync is stored once; a replay by another peer is refused.
func TestReplayChangesNothing(t *testing.T) {
	a := startMesh(t, testConfig(t, "alice"))
	b := startMesh(t, testConfig(t, "bob", a))
	c := startMesh(t, testConfig(t, "carol", a, b))
	id, _ := meetingOf(t, a, b, c)
	msg, err := b.PostMessage(context.Background(), id, "once")
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "delivered", hasMessages(a, id, 1))
	bm, _ := b.meeting(id)
	var raw []byte
	bm.mu.Lock()
	for _, ev := range bm.log.Events() {
		if ev.ID == msg.ID {
			raw = ev.Raw()
		}
	}
	bm.mu.Unlock()
	// The author re-gossips it, a third node replays it as its own, and
	// sync runs again: still one message.
	cm, _ := c.meeting(id)
	name := topicName(bm.keys, kindChat)
	eventually(t, 10*time.Second, "replay by another peer refused", func() error {
		_ = bm.topics[kindChat].Publish(context.Background(), bm.keys.sealBytes(raw, name))
		_ = cm.topics[kindChat].Publish(context.Background(), cm.keys.sealBytes(raw, name))
		if testutil.ToFloat64(a.metrics.rejects.WithLabelValues("author")) < 1 {
			return errNot("no author reject yet")
		}
		return nil
	})
	am, _ := a.meeting(id)
	for _, p := range []*Mesh{b, c} {
		if err := a.syncWith(context.Background(), p.self, am); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range []*Mesh{a, b, c} {
		if n := messageCount(t, m, id); n != 1 {
			t.Fatalf("%s has %d messages after replays", m.cfg.Name, n)
		}
	}
}

// TestGossipRateLimit: a peer flooding a topic is throttled. The receiver
// takes 10 messages a second (burst 40) so that even a machine that delivers
// gossip slowly under the race detector outpaces the limit.
func TestGossipRateLimit(t *testing.T) {
	cfg := testConfig(t, "alice")
	cfg.PeerRate, cfg.PeerBurst = 10, 40
	a := startMesh(t, cfg)
	b := startMesh(t, testConfig(t, "flooder", a))
	id, _ := meetingOf(t, a, b)
	bm, _ := b.meeting(id)
	name := topicName(bm.keys, kindChat)
	eventually(t, 20*time.Second, "rate limit hit", func() error {
		for i := 0; i < 100; i++ {
			ev, _ := b.newEvent(bm, TypeChat, chatBodyOf("flood"))
			if err := bm.topics[kindChat].Publish(context.Background(), bm.keys.sealBytes(ev.Raw(), name)); err != nil {
				return err
			}
		}
		if testutil.ToFloat64(a.metrics.rejects.WithLabelValues("rate")) < 1 {
			return errNot("no rate reject yet")
		}
		return nil
	})
}
