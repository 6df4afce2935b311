package eventlog

import (
	"cmp"
	"container/heap"
	"fmt"
	"slices"

	"github.com/libp2p/go-libp2p/core/peer"
)

// Bounds of one meeting's log: what a member with the key can make every
// other member hold.
const (
	// MaxEvents bounds the events of one meeting.
	MaxEvents = 250_000
	// maxPending bounds the events waiting for their Prev; past it the
	// waiting set is dropped (anti-entropy brings the events again, with
	// their causes).
	maxPending = 4096
	// maxAppendScan bounds the search for an event's place before the log
	// is simply folded again.
	maxAppendScan = 4096
	// MaxBytes bounds the signed bytes of one meeting's log (the memory a
	// member with the key can make every other member hold), and
	// maxPendingBytes those of its waiting events.
	MaxBytes        = 128 << 20
	maxPendingBytes = 8 << 20
)

// Log is one meeting's events in their fold order and the State they fold
// into. It is not safe for concurrent use.
type Log struct {
	id           string
	st           *State
	order        []*Event
	pos          map[string]int
	byID         map[string]*Event
	children     map[string][]*Event
	heads        map[string]*Event
	pending      map[string]*Event
	authors      map[peer.ID]bool // authors with a join in the log
	bytes        int              // signed bytes held
	pendingBytes int              // signed bytes waiting
	rulings      []*Event         // valid events that take rights away, in order
}

// New is the empty log of the meeting with this ID.
func New(meetingID string) *Log {
	return &Log{id: meetingID, st: newState(meetingID), pos: map[string]int{}, byID: map[string]*Event{},
		children: map[string][]*Event{}, heads: map[string]*Event{}, pending: map[string]*Event{}, authors: map[peer.ID]bool{}}
}

// State is the meeting as the log folds it now.
func (l *Log) State() *State { return l.st }

// Events are the log's events in fold order; the slice is the log's own.
func (l *Log) Events() []*Event { return l.order }

// Get is the event with this ID, nil when the log does not hold it.
func (l *Log) Get(id string) *Event { return l.byID[id] }

// Index is the event's place in the fold order.
func (l *Log) Index(id string) (int, bool) {
	i, ok := l.pos[id]
	return i, ok
}

// Waiting is how many events wait for their causes.
func (l *Log) Waiting() int { return len(l.pending) }

func key(a, b *Event) int {
	if c := cmp.Compare(a.HLC, b.HLC); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

// Heads are the IDs a new event names as Prev: events nothing names yet,
// at most MaxPrev. Valid ones first, each author's newest before anyone's
// second: a member who floods heads of its own (fresh events naming old
// ones) cannot push the others' out of what a decision names, and so cannot
// make the decision void events its author had seen.
func (l *Log) Heads() []string {
	hs := make([]*Event, 0, len(l.heads))
	for _, e := range l.heads {
		hs = append(hs, e)
	}
	slices.SortFunc(hs, func(a, b *Event) int { return key(b, a) })
	rank := make(map[string]int, len(hs))
	seen := map[peer.ID]int{}
	for _, e := range hs {
		r := seen[e.Author]
		seen[e.Author]++
		if !l.st.valid[e.ID] {
			r += len(hs) // invalid ones last
		}
		rank[e.ID] = r
	}
	slices.SortStableFunc(hs, func(a, b *Event) int { return cmp.Compare(rank[a.ID], rank[b.ID]) })
	out := []string{}
	for _, e := range hs[:min(len(hs), MaxPrev)] {
		out = append(out, e.ID)
	}
	return out
}

// MaxHLC is the newest timestamp in the log.
func (l *Log) MaxHLC() uint64 {
	var h uint64
	for _, e := range l.heads {
		h = max(h, e.HLC)
	}
	return h
}

// Stranded reports whether a member in the meeting was not given its
// current key and had not seen the rekey that made it when they joined
// (they joined while it changed, with the key before): the meeting must move
// to a new key sealed to them too. One who joined after it came with the key.
func (l *Log) Stranded() bool {
	s := l.st
	if s.KeyEvent == nil {
		return false
	}
	b := BodyOf[Rekey](s.KeyEvent)
	if len(b.Boxes) >= MaxBoxes {
		return false
	}
	for p, m := range s.Members {
		if m.Present() && m.Box != nil && !s.Removed[p] && b.Sealed(p) == nil && m.join != nil && !l.reaches(m.join, s.KeyEvent) {
			return true
		}
	}
	return false
}

// Check says whether this node's own new event, naming the current heads,
// may be written now.
func (l *Log) Check(ev *Event) error { return l.st.check(ev) }

// Add takes events in, in any order. It returns those it took into the log
// (to be stored) and those that became valid (to be announced). Events
// whose causes are missing wait; events that cannot belong are dropped.
func (l *Log) Add(evs []*Event) (added, valid []*Event) {
	var cand []*Event
	seen := map[string]bool{}
	l.pendingBytes = 0 // counted again below for what still waits
	for _, e := range append(evs, mapValues(l.pending)...) {
		if l.byID[e.ID] == nil && !seen[e.ID] {
			seen[e.ID] = true
			cand = append(cand, e)
		}
	}
	// A cause is always stamped before its effects, so HLC order takes
	// causes first.
	slices.SortFunc(cand, key)
	appendable := true
	for _, e := range cand {
		delete(l.pending, e.ID)
		switch err := l.admissible(e); {
		case err == errWaiting:
			if len(l.pending) >= maxPending || l.pendingBytes+len(e.raw) > maxPendingBytes {
				clear(l.pending)
				l.pendingBytes = 0
			}
			l.pending[e.ID] = e
			l.pendingBytes += len(e.raw)
			continue
		case err != nil:
			continue
		}
		l.insert(e)
		added = append(added, e)
		if appendable && l.appendable(e) {
			valid = l.appendValid(e, valid)
			continue
		}
		appendable = false
	}
	if !appendable {
		valid = l.refoldFrom(valid)
	}
	return added, valid
}

func mapValues(m map[string]*Event) []*Event {
	out := make([]*Event, 0, len(m))
	for _, e := range m {
		out = append(out, e)
	}
	return out
}

var errWaiting = fmt.Errorf("%w: causes not here yet", ErrNotFound)

// admissible says whether e may be held at all: it belongs to the meeting,
// its causes are here and stamped before it, and its author has joined (or
// e is a join the meeting has room to remember).
func (l *Log) admissible(e *Event) error {
	if e.Type == TypeGenesis {
		if e.ID[:32] != l.id {
			return fmt.Errorf("%w: genesis of another meeting", ErrInvalid)
		}
		return nil
	}
	if e.Meeting != l.id {
		return fmt.Errorf("%w: event for another meeting", ErrInvalid)
	}
	if len(l.order) >= MaxEvents || l.bytes+len(e.raw) > MaxBytes {
		return fmt.Errorf("%w: the meeting's log is full", ErrTooLarge)
	}
	for _, p := range e.Prev {
		c := l.byID[p]
		if c == nil {
			return errWaiting
		}
		if c.HLC >= e.HLC {
			return fmt.Errorf("%w: stamped before its causes", ErrInvalid)
		}
	}
	if e.Type == TypeJoin {
		return nil // whether it counts (capacity, admission) the fold says
	}
	if !l.authors[e.Author] && e.Author != l.st.Host {
		return fmt.Errorf("%w: its author never joined", ErrForbidden)
	}
	return nil
}

func (l *Log) insert(e *Event) {
	l.byID[e.ID] = e
	l.bytes += len(e.raw)
	for _, p := range e.Prev {
		l.children[p] = append(l.children[p], e)
		delete(l.heads, p)
	}
	l.heads[e.ID] = e
	if e.Type == TypeJoin {
		l.authors[e.Author] = true
	}
	if e.Type == TypeGenesis {
		l.st.Host = e.Author // the host may write before its join (admit, end)
	}
}

// appendable reports whether e, just inserted, folds at the end of the
// order without changing anything before it: it sorts after every event
// that follows its causes, and no rule that takes rights away is
// concurrent with it.
func (l *Log) appendable(e *Event) bool {
	p := -1
	for _, id := range e.Prev {
		p = max(p, l.pos[id])
	}
	if len(l.order)-p > maxAppendScan {
		return false
	}
	for _, x := range l.order[p+1:] {
		if key(x, e) > 0 {
			return false
		}
	}
	ek := kinds[e.Type]
	for _, r := range l.rulings {
		if kinds[r.Type].rulesOut(r, e, ek) && !l.reaches(e, r) {
			return false
		}
	}
	return true
}

// appendValid folds e in at the end of the order.
func (l *Log) appendValid(e *Event, valid []*Event) []*Event {
	l.pos[e.ID] = len(l.order)
	l.order = append(l.order, e)
	if !l.apply(e) {
		return valid
	}
	if kinds[e.Type].rulesOut != nil && len(l.ruledOutBy(e)) > 0 {
		// It rules out something already folded: fold everything again.
		return l.refoldFrom(append(valid, e))
	}
	return append(valid, e)
}

func (l *Log) apply(e *Event) bool {
	if l.st.check(e) != nil {
		return false
	}
	l.st.valid[e.ID] = true
	kinds[e.Type].fold(l.st, e)
	if kinds[e.Type].rulesOut != nil {
		l.rulings = append(l.rulings, e)
	}
	return true
}

// refoldFrom sorts the whole log again and folds it until no further event
// is ruled out; it returns the events valid now that were not before this
// Add (already: those it reported valid so far).
func (l *Log) refoldFrom(already []*Event) []*Event {
	before := l.st.valid
	for _, e := range already {
		delete(before, e.ID) // reported valid in this Add only if still valid
	}
	l.sortAll()
	out := map[string]bool{}
	for {
		l.st, l.rulings = newState(l.id), nil
		for _, e := range l.order {
			if !out[e.ID] {
				l.apply(e)
			}
		}
		more := false
		for _, r := range l.rulings {
			for _, x := range l.ruledOutBy(r) {
				if !out[x.ID] {
					out[x.ID], more = true, true
				}
			}
		}
		if !more {
			break
		}
	}
	var valid []*Event
	for _, e := range l.order {
		if l.st.valid[e.ID] && !before[e.ID] {
			valid = append(valid, e)
		}
	}
	return valid
}

// ruledOutBy lists the valid events r rules out: those it covers that are
// neither in its past nor in its future.
func (l *Log) ruledOutBy(r *Event) []*Event {
	rk := kinds[r.Type]
	var cand []*Event
	low := len(l.order)
	for _, x := range l.order {
		if x != r && l.st.valid[x.ID] && rk.rulesOut(r, x, kinds[x.Type]) {
			cand = append(cand, x)
			low = min(low, l.pos[x.ID])
		}
	}
	if len(cand) == 0 {
		return nil
	}
	past := l.pastOf(r, low)
	var out []*Event
	for _, x := range cand {
		if past[x.ID] || (l.pos[x.ID] > l.pos[r.ID] && l.reaches(x, r)) {
			continue
		}
		out = append(out, x)
	}
	return out
}

// pastOf is e's causal past among the events at or after position low.
func (l *Log) pastOf(e *Event, low int) map[string]bool {
	past := map[string]bool{}
	stack := slices.Clone(e.Prev)
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if past[id] || l.pos[id] < low {
			continue
		}
		past[id] = true
		stack = append(stack, l.byID[id].Prev...)
	}
	return past
}

// reaches reports whether to is in from's causal past.
func (l *Log) reaches(from, to *Event) bool {
	low, ok := l.pos[to.ID]
	if !ok {
		return false
	}
	seen := map[string]bool{}
	stack := slices.Clone(from.Prev)
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if id == to.ID {
			return true
		}
		if seen[id] || l.pos[id] < low {
			continue
		}
		seen[id] = true
		stack = append(stack, l.byID[id].Prev...)
	}
	return false
}

// sortAll puts every held event in fold order: causes first, and of the
// events whose causes are all placed, the least (HLC, ID) next.
func (l *Log) sortAll() {
	waiting := make(map[string]int, len(l.byID))
	ready := &eventHeap{}
	for _, e := range l.byID {
		waiting[e.ID] = len(e.Prev)
		if len(e.Prev) == 0 {
			heap.Push(ready, e)
		}
	}
	l.order = l.order[:0]
	for ready.Len() > 0 {
		e := heap.Pop(ready).(*Event)
		l.pos[e.ID] = len(l.order)
		l.order = append(l.order, e)
		for _, c := range l.children[e.ID] {
			if waiting[c.ID]--; waiting[c.ID] == 0 {
				heap.Push(ready, c)
			}
		}
	}
}

type eventHeap []*Event

func (h eventHeap) Len() int           { return len(h) }
func (h eventHeap) Less(i, j int) bool { return key(h[i], h[j]) < 0 }
func (h eventHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *eventHeap) Push(x any)        { *h = append(*h, x.(*Event)) }
func (h *eventHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
