package mesh

import (
	"context"
	"errors"
	"fmt"
	"meshmeet/mesh/datadir"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// heldNothing fails unless m's disk holds no key and no event of meeting
// id, and no join attempt is open.
func heldNothing(t *testing.T, m *Mesh, id string) {
	t.Helper()
	onDiskNothing(t, m, id)
	m.mu.Lock()
	n := len(m.attempts)
	m.mu.Unlock()
	if n != 0 {
		t.Fatalf("%s keeps %d join attempts", m.cfg.Name, n)
	}
}

// onDiskNothing fails unless m's disk holds no key and no event of meeting id.
func onDiskNothing(t *testing.T, m *Mesh, id string) {
	t.Helper()
	secrets, err := m.store.secrets()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := secrets[id]; ok {
		t.Fatalf("%s stored a key for %s", m.cfg.Name, id)
	}
	evs, err := m.store.events(id, m.log)
	if err != nil || len(evs) != 0 {
		t.Fatalf("%s stored %d events of %s (%v)", m.cfg.Name, len(evs), id, err)
	}
}

// storedKey is the key m's disk holds for id, nil if none.
func storedKey(t *testing.T, m *Mesh, id string) []byte {
	t.Helper()
	secrets, err := m.store.secrets()
	if err != nil {
		t.Fatal(err)
	}
	return secrets[id]
}

// TestWrongKeyLinkFailsFast: a link with a real meeting ID and a wrong key
// fails within seconds with ErrWrongKey and leaves nothing on disk; the
// right link then works; and a node that holds the meeting refuses a wrong
// link at once without disturbing the meeting.
func TestWrongKeyLinkFailsFast(t *testing.T) {
	ctx := context.Background()
	a := startMesh(t, testConfig(t, "alice"))
	b := startMesh(t, testConfig(t, "bob", a))
	id, link := meetingOf(t, a)
	wrong := FormatJoinLink("http://127.0.0.1:7700", id, newSecret())

	start := time.Now()
	_, err := b.Join(ctx, wrong)
	if took := time.Since(start); !errors.Is(err, ErrWrongKey) || took > 5*time.Second {
		t.Fatalf("wrong link: %v after %v, want ErrWrongKey within 5s", err, took)
	}
	heldNothing(t, b, id)

	if _, err := b.Join(ctx, link); err != nil {
		t.Fatalf("the right link after a wrong one: %v", err)
	}
	start = time.Now()
	if _, err := b.Join(ctx, wrong); !errors.Is(err, ErrWrongKey) || time.Since(start) > time.Second {
		t.Fatalf("wrong link on a member: %v after %v", err, time.Since(start))
	}
	if _, err := b.PostMessage(ctx, id, "still here"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "alice hears bob", hasMessages(a, id, 1))
	am, _ := a.meeting(id)
	if got := storedKey(t, b, id); string(got) != string(am.keys.secret) {
		t.Fatal("bob's stored key is not the meeting's")
	}
}

// TestForgedGenesisRefutesKey: a member that answers a sync sealed with a
// wrong key, carrying the real genesis (which commits to the real key),
// makes the join fail at once; nothing is stored.
func TestForgedGenesisRefutesKey(t *testing.T) {
	ctx := context.Background()
	mallory := startMesh(t, testConfig(t, "mallory"))
	victim := startMesh(t, testConfig(t, "victim", mallory))
	id, _ := meetingOf(t, mallory)
	wrong := newSecret()
	k, _ := deriveKeys(id, wrong)
	real, _ := mallory.meeting(id)
	real.mu.Lock()
	evs := append([]*Event(nil), real.log.Events()...)
	real.mu.Unlock()
	fake, err := mallory.startMeeting(id, k, evs, false)
	if err != nil {
		t.Fatal(err)
	}
	mallory.mu.Lock()
	mallory.meetings["forged"] = fake // answers sync under the wrong key's tag
	mallory.mu.Unlock()
	t.Cleanup(func() {
		mallory.mu.Lock()
		delete(mallory.meetings, "forged")
		mallory.mu.Unlock()
		mallory.stopMeeting(fake)
	})

	start := time.Now()
	_, err = victim.proven(ctx, id, wrong, false, nil) // no key check: the genesis decides
	if !errors.Is(err, ErrWrongKey) || !strings.Contains(err.Error(), "genesis") || time.Since(start) > 5*time.Second {
		t.Fatalf("join under a forged sync: %v after %v", err, time.Since(start))
	}
	heldNothing(t, victim, id)
}

// restart stops m and starts a node on its data dir and identity.
func restart(t *testing.T, m *Mesh) *Mesh {
	t.Helper()
	cfg := m.cfg
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	return startMesh(t, cfg)
}

// TestForgedWelcome: someone with only the lobby link seals a random key
// to a waiting joiner, and a plain member seals the real key without being
// host or moderator; neither is kept, the joiner keeps knocking, and the
// host's admission then works, also after a restart.
func TestForgedWelcome(t *testing.T) {
	ctx := context.Background()
	host := startMesh(t, testConfig(t, "host"))
	bob := startMesh(t, testConfig(t, "bob", host))
	joiner := startMesh(t, testConfig(t, "joiner", host, bob))
	mallory := startMesh(t, testConfig(t, "mallory", host, joiner))
	v, _, err := host.CreateMeeting(ctx, []byte(`{"title":"Board","settings":{"requireApproval":true}}`))
	if err != nil {
		t.Fatal(err)
	}
	id := v.ID
	lobbyKey, _, _ := host.ShareKey(id)
	link := FormatLobbyLink("http://127.0.0.1:7700", id, lobbyKey)
	if _, err := host.Join(ctx, link); err != nil {
		t.Fatal(err)
	}
	hm, _ := host.meeting(id)
	realKey := hm.keys.secret
	// Bob is a plain member: he has the meeting key, not the role to admit.
	if _, err := bob.Join(ctx, FormatJoinLink("http://127.0.0.1:7700", id, realKey)); err == nil {
		t.Fatal("bob joined a lobby meeting unadmitted") // the join event needs an admit
	}

	if _, err := joiner.Join(ctx, link); !errors.Is(err, ErrWaiting) {
		t.Fatalf("join: %v, want ErrWaiting", err)
	}
	lb, err := mallory.openLobby(id, lobbyKey)
	if err != nil {
		t.Fatal(err)
	}
	knockOf := func(lb *lobby) func() error {
		return func() error {
			lb.mu.Lock()
			defer lb.mu.Unlock()
			if lb.knocks[joiner.self] == nil {
				return errNot("no knock yet")
			}
			return nil
		}
	}
	eventually(t, 10*time.Second, "mallory hears the knock", knockOf(lb))
	lb.mu.Lock()
	k := lb.knocks[joiner.self]
	lb.mu.Unlock()
	if err := mallory.sendWelcome(lb, k, newSecret()); err != nil {
		t.Fatal(err)
	}
	blb := bob.lobbyOf(id)
	if blb == nil {
		t.Fatal("bob does not watch the lobby")
	}
	eventually(t, 10*time.Second, "bob hears the knock", knockOf(blb))
	if err := bob.sendWelcome(blb, k, realKey); err != nil {
		t.Fatal(err)
	}
	// Bob's welcome is tried, and dropped once the log shows he is no
	// moderator; mallory's waits for a genesis that never comes. The joiner
	// still knocks and holds nothing.
	trying := func(want bool) func() error {
		return func() error {
			jl := joiner.lobbyOf(id)
			jl.mu.Lock()
			defer jl.mu.Unlock()
			if jl.welcomes[bob.self] != want {
				return fmt.Errorf("trying bob's welcome: %v", !want)
			}
			return nil
		}
	}
	eventually(t, 10*time.Second, "bob's welcome is tried", trying(true))
	eventually(t, 15*time.Second, "bob's welcome is dropped", trying(false))
	if !joiner.Waiting(id) {
		t.Fatal("the joiner stopped knocking")
	}
	if _, err := joiner.Meeting(id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("joiner sees the meeting: %v", err)
	}
	onDiskNothing(t, joiner, id) // mallory's key is still being tried, in memory

	joiner = restart(t, joiner)
	heldNothing(t, joiner, id)
	if _, err := joiner.Join(ctx, link); !errors.Is(err, ErrWaiting) {
		t.Fatalf("join after restart: %v, want ErrWaiting", err)
	}
	eventually(t, 15*time.Second, "the host sees the knock", func() error {
		l, err := host.Lobby(id)
		if err != nil || len(l) == 0 {
			return fmt.Errorf("lobby %+v %v", l, err)
		}
		return nil
	})
	// Mallory forges again right before the real admission.
	eventually(t, 10*time.Second, "mallory hears the knock again", knockOf(lb))
	lb.mu.Lock()
	k = lb.knocks[joiner.self]
	lb.mu.Unlock()
	if err := mallory.sendWelcome(lb, k, newSecret()); err != nil {
		t.Fatal(err)
	}
	if err := host.Admit(ctx, id, joiner.self.String()); err != nil {
		t.Fatal(err)
	}
	joined := func(m *Mesh) func() error {
		return func() error {
			mv, err := m.Meeting(id)
			if err != nil || !mv.Joined {
				return fmt.Errorf("joined %v: %v", mv.Joined, err)
			}
			return nil
		}
	}
	eventually(t, 15*time.Second, "the joiner is in", joined(joiner))
	if got := storedKey(t, joiner, id); string(got) != string(realKey) {
		t.Fatal("the joiner stored another key than the meeting's")
	}
	joiner = restart(t, joiner)
	eventually(t, 15*time.Second, "the joiner is in after a restart", joined(joiner))
	if _, err := joiner.PostMessage(ctx, id, "hello"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the host hears the joiner", hasMessages(host, id, 1))
}

// TestClockSkewRefusesPosts: a node whose clock runs two minutes fast is
// told so (Info) and its posts fail with ErrClockSkew instead of vanishing
// at its peers; set right, it posts again.
func TestClockSkewRefusesPosts(t *testing.T) {
	ctx := context.Background()
	var skew atomic.Int64
	a := startMesh(t, testConfig(t, "alice"))
	cfg := testConfig(t, "bob", a)
	cfg.ClockCheck = 200 * time.Millisecond
	b := startMesh(t, cfg, func(m *Mesh) {
		m.clock.now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	})
	id, _ := meetingOf(t, a, b)
	skew.Store(int64(2 * time.Minute))
	eventually(t, 10*time.Second, "bob learns his clock is fast", func() error {
		if c := b.ClockStatus(); !c.Skewed || !c.Ahead || c.OffsetMs > -100_000 {
			return fmt.Errorf("clock status %+v", c)
		}
		return nil
	})
	info, err := b.Info()
	if err != nil || !info.Clock.Ahead {
		t.Fatalf("Info does not show the skew: %+v %v", info.Clock, err)
	}
	_, err = b.PostMessage(ctx, id, "into the void")
	if !errors.Is(err, ErrClockSkew) || !strings.Contains(err.Error(), "2m0s ahead") {
		t.Fatalf("post with a fast clock: %v", err)
	}
	if c := a.ClockStatus(); c.Skewed {
		// alice's clock is right; bob is one of her peers, the median of one
		// peer is his: she sees it as skewed too, but behind, and may post.
		if c.Ahead {
			t.Fatalf("alice thinks she is ahead: %+v", c)
		}
	}
	skew.Store(0)
	eventually(t, 10*time.Second, "bob's clock agrees again", func() error {
		if c := b.ClockStatus(); c.Skewed {
			return fmt.Errorf("clock status %+v", c)
		}
		return nil
	})
	if _, err := b.PostMessage(ctx, id, "back"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "alice hears bob", hasMessages(a, id, 1))
}

// TestIdentityTwins: a data dir copied to a second machine makes two nodes
// with one identity; a third node connected to both tells each, and their
// Info names the clash.
func TestIdentityTwins(t *testing.T) {
	b := startMesh(t, testConfig(t, "bob"))
	cfg := testConfig(t, "alice", b)
	a1 := startMesh(t, cfg)
	cfg2 := cfg
	cfg2.DataDir = datadir.Dir(t.TempDir()) // the copy: same identity, its own disk
	a2 := startMesh(t, cfg2)
	eventually(t, 10*time.Second, "bob holds two connections to alice's ID", func() error {
		if n := len(b.host.Network().ConnsToPeer(a1.self)); n < 2 {
			return fmt.Errorf("%d connections", n)
		}
		return nil
	})
	b.checkTwins(context.Background())
	for _, m := range []*Mesh{a1, a2} {
		eventually(t, 10*time.Second, "each twin is told", func() error {
			info, err := m.Info()
			if err != nil || info.IdentityClash == nil || !slices.Contains(info.IdentityClash.ReportedBy, b.self.String()) {
				return fmt.Errorf("clash %+v %v", info.IdentityClash, err)
			}
			return nil
		})
	}
	if a1.health.instanceID() == a2.health.instanceID() {
		t.Fatal("two processes drew one instance ID")
	}
	// A node alone is not a twin of anyone.
	if c := b.IdentityClash(); c != nil {
		t.Fatalf("bob reports a clash of his own: %+v", c)
	}
}

// TestKeyCheckAnswers: a member answers "same" or "other" only to a probe
// made with the meeting's ID; any other probe learns "unknown".
func TestKeyCheckAnswers(t *testing.T) {
	a := startMesh(t, testConfig(t, "alice"))
	id, _ := meetingOf(t, a)
	am, _ := a.meeting(id)
	for _, c := range []struct {
		id     string
		secret []byte
		want   string
	}{
		{id, am.keys.secret, keyCheckSame},
		{id, newSecret(), keyCheckOther},
		{"00112233445566778899aabbccddeeff", am.keys.secret, keyCheckUnknown},
	} {
		if got := a.keyCheckAnswerFor(newKeyCheckRequest(c.id, c.secret)); got != c.want {
			t.Errorf("probe for %s: %q, want %q", c.id, got, c.want)
		}
	}
}
