// Package eventlog is a meeting's log: the signed events members write, who
// may write each, and how the log folds into the meeting's state. It is pure:
// no network, no storage (it uses libp2p's identity types for authors and
// signatures, nothing of its hosts or streams), so every rule is testable by
// handing it events in any order.
//
// # Events and their order
//
// Every event but the genesis names the events its author had seen: Prev
// holds the IDs (SHA-256 of the signed payload) of the log's heads when it was
// written, so the log is a hash-linked graph and an event's causal past is
// fixed by its own bytes. An event is taken into the log only when all of its
// Prev are (until then it waits, bounded, in a pending set) and only when its
// HLC timestamp is above every one of theirs: time may stand still for a
// liar, never run back. Timestamps are for display and deadlines; they order
// only events the graph does not (a topological order, ties broken by (HLC,
// ID)), so every node that holds the same events folds them in the same order.
//
// # Authority
//
// Each event type has one entry in the kinds table: its body, the rule that
// says whether it may come at its place in the order (roles, removals, end,
// deadline, capacity), how it folds into the State, and whether it is audited.
// A rule that takes rights away (remove, a demotion, end) also rules out every
// event it covers that its author had not seen and that had not seen it: a
// concurrent event. So a removed member cannot slip a chat in by naming old
// heads, a demoted moderator's concurrent removal does not count, and nothing
// written beside an end does. Of two concurrent rulings against each other
// (two moderators removing each other), the one first in the order stands and
// the other, ruled out, takes nothing away. The fold repeats until no
// further event is ruled out, so the result depends only on the set of
// events, not on the order they arrived in.
package eventlog
