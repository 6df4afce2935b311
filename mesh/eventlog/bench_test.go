package eventlog

import (
	"fmt"
	"testing"
)

// history is a meeting of five members who wrote n chat messages, each
// having seen the one before.
func history(b *testing.B, n int) (string, []*Event) {
	host := newWriter(b)
	mt := newTestMeeting(b, host, 10)
	evs := []*Event{mt.genesis}
	last := mt.genesis
	var ws []writer
	for i := range 5 {
		w := newWriter(b)
		ws = append(ws, w)
		last = mt.write(b, w, TypeJoin, Join{Name: fmt.Sprint(i)}, last)
		evs = append(evs, last)
	}
	for i := range n {
		last = mt.write(b, ws[i%5], TypeChat, chat(fmt.Sprint("message ", i)), last)
		evs = append(evs, last)
	}
	return mt.id, evs
}

// BenchmarkCatchUp10k: a node that missed 10,000 messages takes them in
// one batch, as a sync round hands them over.
// Run: go test -run '^$' -bench . ./mesh/eventlog
func BenchmarkCatchUp10k(b *testing.B) {
	id, evs := history(b, 10_000)
	b.ResetTimer()
	for range b.N {
		l := New(id)
		if added, _ := l.Add(evs); len(added) != len(evs) {
			b.Fatal("not all taken")
		}
	}
}

// BenchmarkAppend: new messages, one at a time, on a log of 10,000
// (reported per message).
func BenchmarkAppend(b *testing.B) {
	const extra = 1000
	id, evs := history(b, 10_000+extra)
	base, tail := evs[:len(evs)-extra], evs[len(evs)-extra:]
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		l := New(id)
		l.Add(base)
		b.StartTimer()
		for _, e := range tail {
			if _, valid := l.Add([]*Event{e}); len(valid) != 1 {
				b.Fatal("not valid")
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*extra), "ns/message")
}
