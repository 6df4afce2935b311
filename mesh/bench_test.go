package mesh

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

// BenchmarkChatLatency measures the time from PostMessage on one node to the
// chat notice on every other node, over loopback, with real Badger stores.
// Run: go test -run '^$' -bench ChatLatency -benchtime 200x ./mesh
func BenchmarkChatLatency(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			var nodes []*Mesh
			for i := range n {
				// Every node knows every earlier one, as mDNS on one LAN or
				// a shared rendezvous namespace would give.
				cfg := testConfig(b, fmt.Sprintf("n%d", i), nodes...)
				d := DefaultConfig() // production timers: the load they add is part of the measure
				cfg.HeartbeatInterval, cfg.SyncInterval, cfg.PresenceTimeout = d.HeartbeatInterval, d.SyncInterval, d.PresenceTimeout
				nodes = append(nodes, startMesh(b, cfg))
			}
			id, _ := meetingOf(b, nodes[0], nodes[1:]...)
			// One reader per node stamps each chat notice as it arrives.
			subs := make([]chan arrival, n)
			for i, m := range nodes {
				ch, err := m.Subscribe(b.Context(), id)
				if err != nil {
					b.Fatal(err)
				}
				subs[i] = make(chan arrival, 1024)
				go func() {
					for nt := range ch {
						if nt.Type == NoticeChat {
							subs[i] <- arrival{nt.Data.(MessageView).Text, time.Now()}
						}
					}
				}()
			}
			// Let the gossip mesh settle before measuring.
			eventually(b, 20*time.Second, "mesh formed", func() error {
				for _, m := range nodes {
					mt, _ := m.meeting(id)
					if len(mt.topics[kindChat].ListPeers()) == 0 {
						return errNot("a node has no chat peers")
					}
				}
				return nil
			})
			var lat []time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				sender := nodes[i%n]
				text := fmt.Sprintf("m%d", i)
				start := time.Now()
				if _, err := sender.PostMessage(context.Background(), id, text); err != nil {
					b.Fatal(err)
				}
				for j, ch := range subs {
					if j == i%n {
						continue
					}
					lat = append(lat, waitChat(b, ch, text).Sub(start))
				}
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}

type arrival struct {
	text string
	at   time.Time
}

func waitChat(b *testing.B, ch <-chan arrival, text string) time.Time {
	timeout := time.After(10 * time.Second)
	for {
		select {
		case a := <-ch:
			if a.text == text {
				return a.at
			}
		case <-timeout:
			b.Fatalf("message %s not delivered", text)
		}
	}
}

// BenchmarkCatchUp measures how long a node that missed 10,000 messages
// takes to have them all after joining.
// Run: go test -run '^$' -bench CatchUp -benchtime 3x ./mesh
func BenchmarkCatchUp(b *testing.B) {
	const missed = 10_000
	a := startMesh(b, testConfig(b, "a"))
	v, secret, err := a.CreateMeeting(context.Background(), []byte(`{"title":"big","settings":{"maxParticipants":1000}}`))
	if err != nil {
		b.Fatal(err)
	}
	id, link := v.ID, FormatJoinLink("http://127.0.0.1:7700", v.ID, secret)
	if _, err := a.Join(context.Background(), link); err != nil {
		b.Fatal(err)
	}
	am, _ := a.meeting(id)
	for i := range missed {
		ev, err := a.newEvent(am, TypeChat, chatBodyOf(fmt.Sprintf("message %d", i)))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := a.ingest(am, []*Event{ev}, false); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		c := startMesh(b, testConfig(b, "late", a))
		b.StartTimer()
		if _, err := c.Join(context.Background(), link); err != nil {
			b.Fatal(err)
		}
		eventually(b, 30*time.Second, "caught up", hasMessages(c, id, missed))
		b.StopTimer()
		c.Close()
		b.StartTimer()
	}
}

var benchSizes = []int{2, 10, 25}
