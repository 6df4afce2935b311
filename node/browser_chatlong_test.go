package node

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chatFigures is what filling a chat with 5,000 lines measured in the page.
type chatFigures struct {
	WorstPageMs float64 `json:"worstPageMs"` // adding one page of 500 lines and the next frame
	TotalMs     float64 `json:"totalMs"`
	OneMs       float64 `json:"oneMs"`    // one more line and the next frame
	ScrollMs    float64 `json:"scrollMs"` // to the top and back, each to its next frame
	Lines       int     `json:"lines"`
	Added       int     `json:"added"`   // list children added by the last line
	Removed     int     `json:"removed"` // list children removed while filling
	LaidOut     int     `json:"laidOut"` // lines with a layout box of their own after the last
}

// fillChat opens a meeting's room and adds 5,000 lines in pages of 500 (as history
// comes), then one more, timing each to the next frame, and scrolls to the top and back.
func fillChat(tb testing.TB) (*browser, chatFigures) {
	needChromium(tb)
	n := startNode(tb, "host", "")
	m := n.create(tb, map[string]any{"title": "Long chat"})
	b := startBrowser(tb, "host")
	b.do(chromedp.Navigate(pageLink(tb, n, m.JoinURL)))
	b.enter(tb)
	ctx, cancel := b.within(2 * time.Minute) // ten pages of 500 lines: seconds on a loaded machine
	defer cancel()
	f, err := chromedp.Run(ctx, chromedp.Evaluate[chatFigures](`(async () => {
		const frame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
		const msg = (i) => ({ id: 'm' + String(i).padStart(6, '0'), hlc: 1e12 + i, from: 'someone', time: new Date(1.7e12 + i * 1000).toISOString(),
			text: 'line ' + i + ' — see https://example.com/' + i + ' for the notes of this line, which wraps on a narrow panel' });
		const list = document.getElementById('chat-list');
		let added = 0, removed = 0;
		const mo = new MutationObserver((rs) => { for (const r of rs) { added += r.addedNodes.length; removed += r.removedNodes.length; } });
		mo.observe(list, { childList: true });
		let worst = 0;
		const t0 = performance.now();
		for (let p = 0; p < 10; p++) {
			const s = performance.now();
			window.meshmeet.chatAdd(Array.from({ length: 500 }, (_, k) => msg(p * 500 + k)));
			await frame();
			worst = Math.max(worst, performance.now() - s);
		}
		const total = performance.now() - t0;
		mo.takeRecords().forEach((r) => { added += r.addedNodes.length; removed += r.removedNodes.length; });
		const before = added;
		let s = performance.now();
		window.meshmeet.chatAdd([msg(5000)]);
		await frame();
		const one = performance.now() - s;
		mo.takeRecords().forEach((r) => { added += r.addedNodes.length; removed += r.removedNodes.length; });
		mo.disconnect();
		if (list.scrollHeight <= list.clientHeight + 100) throw new Error('the list does not scroll: ' + list.scrollHeight + ' in ' + list.clientHeight);
		// Lines far off screen are skipped by layout (content-visibility): their text counts as not visible.
		const laidOut = [...list.children].filter((li) => li.querySelector('.chat-text')?.checkVisibility({ contentVisibilityAuto: true })).length;
		s = performance.now();
		list.scrollTop = 0;
		await frame();
		list.scrollTop = list.scrollHeight;
		await frame();
		const scroll = performance.now() - s;
		return { worstPageMs: worst, totalMs: total, oneMs: one, scrollMs: scroll, lines: list.children.length,
			added: added - before, removed, laidOut };
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.Fatal(err)
	}
	return b, f
}

// TestBrowserChatLong: a chat of 5,000 lines stays smooth because the page never
// rebuilds the list (a line is one element added, none removed) and lays out only the
// lines near the view; typing stays responsive. How long it takes is measured by
// BenchmarkBrowserChatLong, not bounded here (a loaded machine varies tenfold).
func TestBrowserChatLong(t *testing.T) {
	b, f := fillChat(t)
	t.Logf("5,000 chat lines: worst page of 500 %.0f ms, all %.0f ms, one more line %.0f ms, scroll top and back %.0f ms; %d lines laid out",
		f.WorstPageMs, f.TotalMs, f.OneMs, f.ScrollMs, f.LaidOut)
	if f.Lines != 5001 {
		t.Fatalf("%d lines in the list, want 5001", f.Lines)
	}
	if f.Added != 1 || f.Removed != 0 {
		t.Errorf("one more line added %d and removed %d list elements, want 1 and 0 (the list is rebuilt)", f.Added, f.Removed)
	}
	if f.LaidOut == 0 || f.LaidOut > 200 {
		t.Errorf("%d of 5,001 lines are laid out, want only those near the view", f.LaidOut)
	}
	// Typing stays responsive: a key into the box shows within a bound.
	b.do(chromedp.Focus(chromedp.CSS(".chat-send textarea")))
	start := time.Now()
	b.do(chromedp.KeyEvent("x"))
	b.is(t, 5*time.Second, "the key shows in the box", `document.querySelector('.chat-send textarea').value === 'x' || (() => { throw new Error('box holds ' + JSON.stringify(document.querySelector('.chat-send textarea').value) + ', focus on ' + document.activeElement?.outerHTML.slice(0, 80)); })()`)
	t.Logf("a key typed after 5,000 lines shows in %v", time.Since(start).Round(time.Millisecond))
}

// BenchmarkBrowserChatLong reports the page's times for 5,000 chat lines:
// go test -run '^$' -bench BrowserChatLong -benchtime 3x ./node
func BenchmarkBrowserChatLong(b *testing.B) {
	var worst, one, scroll float64
	for range b.N {
		_, f := fillChat(b)
		worst, one, scroll = max(worst, f.WorstPageMs), max(one, f.OneMs), max(scroll, f.ScrollMs)
	}
	b.ReportMetric(worst, "ms/page-of-500")
	b.ReportMetric(one, "ms/one-more-line")
	b.ReportMetric(scroll, "ms/scroll-top-and-back")
}
