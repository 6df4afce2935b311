package node

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// benchRounds is the least number of rounds behind the reported median.
const benchRounds = 5

// BenchmarkThreeBrowsersConnect: three nodes and three headless Chromium,
// started and settled; then the join link is opened in all three at once and
// the round lasts until each page decodes video and receives audio from both
// others. Every round is a new meeting on the same nodes and browsers.
// Metrics: median and worst round (the slowest of the three pages), and the
// median per page. The built-in ns/op is suppressed (a round is not an op).
func BenchmarkThreeBrowsersConnect(b *testing.B) {
	a := startNode(b, "alice", "")
	bo := startNode(b, "bob", "", withPeers(a))
	c := startNode(b, "carol", "", withPeers(a, bo))
	nodes := []*testNode{a, bo, c}
	peers := make([]string, len(nodes))
	for i, n := range nodes {
		peers[i] = n.Mesh().Self().String()
	}
	brs := startBrowsers(b, "alice", "bob", "carol")
	// Log each browser in (and warm up its page load path once), then settle.
	for i, br := range brs {
		br.do(chromedp.Navigate(nodes[i].LoginURL()))
		br.do(chromedp.Navigate("about:blank"))
	}
	time.Sleep(2 * time.Second)

	rounds := max(b.N, benchRounds)
	var worst, each []time.Duration
	b.ResetTimer()
	for r := range rounds {
		m := a.create(b, map[string]any{"title": fmt.Sprintf("bench %d", r)})
		links := make([]string, len(nodes))
		for i, n := range nodes {
			links[i] = uiLink(b, n, m.JoinURL)
		}
		start := time.Now()
		took := make([]time.Duration, len(brs))
		errs := make([]error, len(brs))
		var wg sync.WaitGroup
		for i, br := range brs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := br.within(60 * time.Second)
				defer cancel()
				if err := chromedp.Do(ctx, chromedp.Navigate(links[i])); err != nil {
					errs[i] = err
					return
				}
				others := slices.Delete(slices.Clone(peers), i, i+1)
				for ctx.Err() == nil {
					_ = br.pressJoin()
					if receiving(br, others) == nil {
						took[i] = time.Since(start)
						return
					}
					time.Sleep(20 * time.Millisecond)
				}
				errs[i] = fmt.Errorf("%s: no media from both others within 60s: %v", br.name, receiving(br, others))
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
		worst = append(worst, slices.Max(took))
		each = append(each, took...)
		b.StopTimer()
		for _, br := range brs {
			br.do(chromedp.Navigate("about:blank"))
		}
		a.do(b, http.MethodPost, "/api/meetings/"+m.Meeting.ID+"/end", nil, nil)
		time.Sleep(time.Second) // let the nodes tear the meeting down
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(median(worst).Seconds(), "s-median-all3")
	b.ReportMetric(slices.Max(worst).Seconds(), "s-worst-all3")
	b.ReportMetric(median(each).Seconds(), "s-median-page")
	b.Logf("rounds (slowest page of three): %v", worst)
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
