package mesh

import (
	"context"
	"crypto/subtle"
	"fmt"
	"slices"
	"time"

	"meshmeet/mesh/eventlog"
)

// A meeting key from a join link or a lobby welcome is a claim until the
// meeting's signed log proves it: the genesis's hash is the meeting ID, and
// its record commits to the key (Record.KeyCheck), as a valid rekey commits
// to each later key (epoch.go). Until then the join
// is an attempt: the meeting is open under that key in memory only (topics,
// discovery, sync, so that the genesis can arrive), keyed by the key's tag,
// beside the meeting this node may already hold and beside other attempts
// with other keys. Nothing of an attempt reaches the disk and nothing of it
// is shown; a genesis that does not prove the key ends it at once with
// ErrWrongKey. Once the genesis proves the key, the key and the log are
// written and the meeting becomes this node's (promote). An attempt nobody
// waits for any more is closed and leaves no trace.

// pendingKey is what a meeting under an unproven key keeps (under mt.mu).
type pendingKey struct {
	refuted time.Time // when the genesis arrived and did not commit to the key
	other   time.Time // when a peer first said it holds the meeting under another key
}

// attempt is a join waiting for its key's proof.
type attempt struct {
	mt    *meeting
	users int  // joins waiting on it, under m.mu
	done  bool // promoted or closed, under m.mu
}

// keyCheckGrace is how long a join whose key a peer says is not the
// meeting's still waits for the genesis to prove the peer wrong (the claim
// is not proven: a peer that lies can only make a join fail this early).
const keyCheckGrace = time.Second

// recordOf is a genesis event's record; nil when it has none.
func recordOf(ev *Event) *Record { return eventlog.BodyOf[Record](ev) }

// screenLocked notes, for a meeting whose key is pending, a genesis of the
// meeting that does not commit to the key: unless a rekey the same sync
// brings does, the key is refuted.
func (mt *meeting) screenLocked(evs []*Event) []*Event {
	for _, ev := range evs {
		if ev.Type == TypeGenesis && ev.ID[:32] == mt.id && !recordOf(ev).Proves(mt.keys.secret) && mt.pending.refuted.IsZero() {
			mt.pending.refuted = time.Now()
		}
	}
	return evs
}

// proven returns the meeting id under secret once its genesis proves the
// key, waiting for that (JoinTimeout) as an attempt when this node does not
// hold the meeting yet. vet, when set, judges the proven meeting before it
// is kept (a lobby welcome's sender); quick is set for a key a person gave
// (a link): peers are asked whether they hold the meeting under another key.
func (m *Mesh) proven(ctx context.Context, id string, secret []byte, quick bool, vet func(*meeting) error) (*meeting, error) {
	held, a, err := m.attempt(id, secret)
	if held != nil || err != nil {
		return held, err
	}
	defer m.release(a)
	if err := m.awaitProof(ctx, a, quick); err != nil {
		return nil, err
	}
	if vet != nil {
		if err := vet(a.mt); err != nil {
			return nil, err
		}
	}
	return m.promote(a)
}

// attempt returns this node's meeting (held) when it holds it under
// secret, ErrWrongKey when it holds it under another key, else the attempt
// for this key, started or joined.
func (m *Mesh) attempt(id string, secret []byte) (held *meeting, a *attempt, err error) {
	if !m.track() {
		return nil, nil, ErrNotReady
	}
	defer m.wg.Done()
	m.openMu.Lock()
	defer m.openMu.Unlock()
	if mt, err := m.openedLocked(id, secret); mt != nil || err != nil {
		return mt, nil, err
	}
	k, err := deriveKeys(id, secret)
	if err != nil {
		return nil, nil, err
	}
	m.mu.Lock()
	a = m.attempts[k.tag]
	if a != nil {
		a.users++
	}
	m.mu.Unlock()
	if a != nil {
		return nil, a, nil
	}
	mt, err := m.startMeeting(id, k, nil, true)
	if err != nil {
		return nil, nil, err
	}
	a = &attempt{mt: mt, users: 1}
	m.mu.Lock()
	m.attempts[k.tag] = a
	m.mu.Unlock()
	return nil, a, nil
}

// release ends one join's wait; the last one closes an attempt that was
// not promoted.
func (m *Mesh) release(a *attempt) {
	m.mu.Lock()
	a.users--
	last := a.users == 0 && !a.done
	if last {
		a.done = true
		delete(m.attempts, a.mt.keys.tag)
	}
	m.mu.Unlock()
	if last {
		m.stopMeeting(a.mt)
	}
}

// awaitProof finds peers of the meeting and syncs until a genesis proving
// the attempt's key is here, or one refutes it. With quick set it asks the
// connected peers whether they hold the meeting under another key and, if
// one does, gives the genesis keyCheckGrace more before failing.
func (m *Mesh) awaitProof(ctx context.Context, a *attempt, quick bool) error {
	mt := a.mt
	deadline := time.NewTimer(m.cfg.JoinTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	asked := map[string]bool{}
	for round := 0; ; round++ {
		mt.mu.Lock()
		have := mt.pending == nil || mt.st().Record != nil && mt.st().Proves(mt.keys.secret) // nil: another join promoted it
		var refuted, other time.Time
		if mt.pending != nil {
			refuted, other = mt.pending.refuted, mt.pending.other
		}
		mt.mu.Unlock()
		switch {
		case have:
			return nil
		case !refuted.IsZero() && time.Since(refuted) > 3*keyCheckGrace:
			// The log in hand commits to other keys; a rekey to this one had its chance to come.
			return fmt.Errorf("%w: meeting %s was created with another key (its signed genesis says so)", ErrWrongKey, mt.id)
		case !other.IsZero() && time.Since(other) > keyCheckGrace:
			return fmt.Errorf("%w: a member of meeting %s holds it under another key; check the link", ErrWrongKey, mt.id)
		}
		if round%20 == 0 {
			m.kickDiscovery()
			m.syncAll(mt)
		}
		if quick && round%5 == 0 {
			m.askKeyCheck(ctx, mt, asked)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return fmt.Errorf("%w: no participant of meeting %s could be reached; check that another member's node is running and that the link is complete", ErrNotFound, mt.id)
		case <-tick.C:
		}
	}
}

// promote makes a proven attempt this node's meeting: the key, then the
// log, are written, and files it lacks are fetched.
func (m *Mesh) promote(a *attempt) (*meeting, error) {
	if !m.track() {
		return nil, ErrNotReady
	}
	defer m.wg.Done()
	m.openMu.Lock()
	defer m.openMu.Unlock()
	mt := a.mt
	m.mu.Lock()
	cur := m.meetings[mt.id]
	m.mu.Unlock()
	if cur == mt {
		return mt, nil
	}
	if cur != nil { // another join of the same key won: keep that one
		if subtle.ConstantTimeCompare(cur.keys.secret, mt.keys.secret) != 1 {
			return nil, fmt.Errorf("%w: this node holds meeting %s under another key", ErrWrongKey, mt.id)
		}
		return cur, nil
	}
	if err := m.store.putSecret(mt.id, mt.keys.secret); err != nil {
		return nil, fmt.Errorf("store meeting key: %w", err)
	}
	mt.mu.Lock()
	mt.pending = nil
	evs := slices.Clone(mt.log.Events())
	var files []FileRef
	for _, ev := range evs {
		m.clock.Observe(ev.HLC)
		if f := fileOf(ev); f != nil && ev.Author != m.self && mt.st().Valid(ev.ID) {
			files = append(files, *f)
		}
	}
	mt.mu.Unlock()
	if err := m.store.putEvents(mt.id, evs, true); err != nil {
		m.log.Warn("cannot store a joined meeting's log; anti-entropy will refetch it", "meeting", mt.id, "err", err)
	}
	m.mu.Lock()
	m.meetings[mt.id] = mt
	a.done = true
	delete(m.attempts, mt.keys.tag)
	m.mu.Unlock()
	m.proveToPeers(mt.keys)
	for _, f := range files {
		if !m.blobs.has(mt.id, f) {
			m.wantFile(mt, f)
		}
	}
	return mt, nil
}
