package mesh

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"meshmeet/mesh/eventlog"
)

// backdate signs, as m, an event that names heads (an older view of the
// log than m has) as all it had seen, stamped as early as they allow; it
// gossips it and keeps it in m's own log, so anti-entropy offers it too.
func backdate(t *testing.T, m *Mesh, mt *meeting, heads []string, typ string, body []byte) *Event {
	t.Helper()
	var hlc uint64
	mt.mu.Lock()
	for _, h := range heads {
		hlc = max(hlc, mt.log.Get(h).HLC)
	}
	mt.mu.Unlock()
	ev := &Event{Type: typ, Meeting: mt.id, Author: m.self, HLC: hlc + 1, Prev: heads, Body: body}
	if err := eventlog.Sign(ev, m.cfg.PrivKey); err != nil {
		t.Fatal(err)
	}
	kind := kindControl
	if typ == TypeChat {
		kind = kindChat
	}
	_ = mt.topics[kind].Publish(context.Background(), mt.keys.sealBytes(ev.Raw(), topicName(mt.keys, kind)))
	if _, err := m.ingest(mt, []*Event{ev}, true); err != nil {
		t.Fatal(err)
	}
	return ev
}

// heldButRefused: m holds ev (it reached it) and it does not count.
func heldButRefused(m *Mesh, id string, ev *Event) func() error {
	return func() error {
		mt, err := m.meeting(id)
		if err != nil {
			return err
		}
		m.syncAll(mt)
		mt.mu.Lock()
		defer mt.mu.Unlock()
		switch {
		case mt.log.Get(ev.ID) == nil:
			return errors.New("not here yet")
		case mt.st().Valid(ev.ID):
			return fmt.Errorf("%s by %s counts", ev.Type, Fingerprint(ev.Author))
		}
		return nil
	}
}

func headsOf(mt *meeting) []string {
	mt.mu.Lock()
	defer mt.mu.Unlock()
	return mt.log.Heads()
}

// TestBackdatedEventsRefused (issue 9, row 3): a member who writes as if
// it had not seen the decision against it — a removed member's chat, a
// demoted moderator's removal, a chat after the end, each naming the heads
// from before the decision — is refused by every node, with real nodes,
// gossip and anti-entropy.
func TestBackdatedEventsRefused(t *testing.T) {
	ctx := context.Background()
	host := startMesh(t, testConfig(t, "host"))
	mallory := startMesh(t, testConfig(t, "mallory", host))
	carol := startMesh(t, testConfig(t, "carol", host, mallory))
	dave := startMesh(t, testConfig(t, "dave", host, mallory, carol))
	id, _ := meetingOf(t, host, mallory, carol, dave)
	mm, _ := mallory.meeting(id)
	for _, m := range []*Mesh{host, mallory, carol, dave} {
		eventually(t, 10*time.Second, m.cfg.Name+" sees four", liveCount(m, id, 4))
	}

	// A demoted moderator removes someone "before" the demotion.
	if _, err := host.SetRole(ctx, id, mallory.self.String(), RoleModerator); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "mallory is a moderator", func() error {
		ps, _ := mallory.Participants(id)
		for _, p := range ps {
			if p.PeerID == mallory.self.String() && p.Role == RoleModerator {
				return nil
			}
		}
		return errors.New("not yet")
	})
	asModerator := headsOf(mm)
	if _, err := host.SetRole(ctx, id, mallory.self.String(), RoleParticipant); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "mallory sees the demotion", func() error {
		mm.mu.Lock()
		defer mm.mu.Unlock()
		if mm.st().Members[mallory.self].Role != RoleParticipant {
			return errors.New("still a moderator")
		}
		return nil
	})
	removal := backdate(t, mallory, mm, asModerator, TypeRemove, fmt.Appendf(nil, `{"peer":%q}`, dave.self))
	for _, m := range []*Mesh{host, carol, dave} {
		eventually(t, 15*time.Second, m.cfg.Name+" refuses the demoted moderator's removal", heldButRefused(m, id, removal))
	}

	// A removed member chats "before" the removal.
	inMeeting := headsOf(mm)
	if err := host.Remove(ctx, id, mallory.self.String()); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "mallory sees the removal", func() error {
		mm.mu.Lock()
		defer mm.mu.Unlock()
		if mm.st().In(mallory.self) {
			return errors.New("still in")
		}
		return nil
	})
	chat := backdate(t, mallory, mm, inMeeting, TypeChat, chatBodyOf("still here"))
	for _, m := range []*Mesh{host, carol, dave} {
		eventually(t, 15*time.Second, m.cfg.Name+" refuses the removed member's chat", heldButRefused(m, id, chat))
	}

	// A member chats "before" the end it has seen.
	cm, _ := carol.meeting(id)
	beforeEnd := headsOf(cm)
	if err := host.End(ctx, id); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "carol sees the end", func() error {
		if v, _ := carol.Meeting(id); v.Status != StatusEnded {
			return errors.New("not ended")
		}
		return nil
	})
	late := backdate(t, carol, cm, beforeEnd, TypeChat, chatBodyOf("one more thing"))
	for _, m := range []*Mesh{host, dave} {
		eventually(t, 15*time.Second, m.cfg.Name+" refuses the chat after the end", heldButRefused(m, id, late))
	}
	for _, m := range []*Mesh{host, carol, dave} {
		for _, msg := range mustMessages(t, m, id) {
			if msg.ID == chat.ID || msg.ID == late.ID {
				t.Fatalf("%s lists a refused message %q", m.cfg.Name, msg.Text)
			}
		}
	}
}

func mustMessages(t *testing.T, m *Mesh, id string) []MessageView {
	t.Helper()
	ms, err := m.Messages(id, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}
