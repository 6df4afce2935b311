package node

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"meshmeet/node/nodeproc"
)

// procParty is three node processes that meet for the first time through a rendezvous
// (new identities), and three headless Chromium, one per node.
type procParty struct {
	procs    []*nodeproc.Proc
	browsers []*browser
	link     string
}

func startBrowsers(tb testing.TB, names ...string) []*browser {
	tb.Helper()
	needChromium(tb)
	brs := make([]*browser, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			brs[i] = startBrowser(tb, name)
		}()
	}
	wg.Wait()
	for _, br := range brs {
		if br == nil {
			tb.FailNow() // startBrowser said why
		}
	}
	return brs
}

// newProcParty starts a rendezvous and three nodes and has the first create a meeting.
func newProcParty(tb testing.TB, brs []*browser) *procParty {
	tb.Helper()
	rv := nodeproc.Rendezvous(tb)
	p := &procParty{browsers: brs}
	for _, br := range brs {
		// Presence alone would keep a dead node for two minutes: its tile must go
		// from what the media links and connections say.
		p.procs = append(p.procs, nodeproc.Node(tb, "--rendezvous", rv, "--presence-timeout", "2m", "--name", br.name))
	}
	c, err := NewClient(p.procs[0].UI, p.procs[0].Dir)
	if err != nil {
		tb.Fatal(err)
	}
	var m created
	if err := c.Do(context.Background(), http.MethodPost, "/api/meetings", map[string]any{"title": "first contact"}, &m); err != nil {
		tb.Fatal(err)
	}
	p.link = m.JoinURL
	return p
}

func (p *procParty) others(i int) []string {
	var ids []string
	for j, pr := range p.procs {
		if j != i {
			ids = append(ids, pr.ID)
		}
	}
	return ids
}

// openAll opens the join link in every browser at once (each logging in to its node on
// the way), presses Join on the pre-join step as soon as it shows, and returns, per page,
// how long from opening the link until it decodes video and receives audio from both
// others.
func (p *procParty) openAll(tb testing.TB) []time.Duration {
	tb.Helper()
	start := time.Now()
	took := make([]time.Duration, len(p.browsers))
	errs := make([]error, len(p.browsers))
	var wg sync.WaitGroup
	for i, br := range p.browsers {
		link := pageLinkAt(tb, p.procs[i].UI, p.procs[i].Login, p.link)
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := br.within(60 * time.Second)
			defer cancel()
			if err := chromedp.Do(ctx, chromedp.Navigate(link)); err != nil {
				errs[i] = err
				return
			}
			for ctx.Err() == nil {
				_ = br.pressJoin()
				if receiving(br, p.others(i)) == nil {
					took[i] = time.Since(start)
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
			errs[i] = fmt.Errorf("%s: no media from both others within 60s: %v", br.name, receiving(br, p.others(i)))
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			tb.Fatal(err)
		}
	}
	return took
}

// tileGone waits until no page but the dead one's shows a tile of peer, and says how long
// that took.
func (p *procParty) tileGone(tb testing.TB, dead int, within time.Duration) time.Duration {
	tb.Helper()
	start := time.Now()
	for i, br := range p.browsers {
		if i == dead {
			continue
		}
		eventually(tb, within, br.name+" drops the dead node's tile", func() error {
			ts, err := br.tiles()
			if err != nil {
				return err
			}
			if findTile(ts, p.procs[dead].ID, "camera") != nil {
				return fmt.Errorf("%s still shows it", br.name)
			}
			return nil
		})
	}
	return time.Since(start)
}

// TestBrowsersThroughRendezvous: three node processes that only know a rendezvous, and
// three browsers opening one join link at once, see and hear each other; when one node is
// killed with SIGKILL, its tile goes from the two other pages (its media link loses ICE
// consent, its connections close, a ping goes unanswered: no presence timeout needed).
func TestBrowsersThroughRendezvous(t *testing.T) {
	p := newProcParty(t, startBrowsers(t, "alice", "bob", "carol"))
	took := p.openAll(t)
	t.Logf("pages see and hear both others after %v", took)
	p.procs[2].Kill()
	t.Logf("the killed node's tile went after %v", p.tileGone(t, 2, 20*time.Second))
}

// BenchmarkBrowsersThroughRendezvous is BenchmarkThreeBrowsersConnect the way people
// run: every round a new rendezvous and three new node processes (first contact), the
// link opened in three browsers at once; then the third node is killed and the round
// also times until its tile is gone from the other two pages.
//
//	go test -run '^$' -bench BrowsersThroughRendezvous -benchtime 5x ./node
func BenchmarkBrowsersThroughRendezvous(b *testing.B) {
	brs := startBrowsers(b, "alice", "bob", "carol")
	var worst, gone []time.Duration
	for range max(b.N, benchRounds) {
		p := newProcParty(b, brs)
		worst = append(worst, slices.Max(p.openAll(b)))
		p.procs[2].Kill()
		gone = append(gone, p.tileGone(b, 2, 20*time.Second))
		for _, br := range brs {
			br.do(chromedp.Navigate("about:blank"))
		}
		for _, pr := range p.procs {
			pr.Kill()
		}
	}
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(median(worst).Seconds(), "s-median-all3")
	b.ReportMetric(slices.Max(worst).Seconds(), "s-worst-all3")
	b.ReportMetric(median(gone).Seconds(), "s-median-tile-gone")
	b.Logf("rounds (slowest page of three): %v; dead tile gone after %v", worst, gone)
}
