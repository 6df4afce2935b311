package node

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// roomLayout is where the page puts its tiles (window.meshmeet.layout()), each tile as "peer/source".
type roomLayout struct {
	Layout string   `json:"layout"`
	Cols   int      `json:"cols"`
	Stage  []string `json:"stage"`
	Strip  []string `json:"strip"`
	Pinned string   `json:"pinned"`
}

func (b *browser) layout() (roomLayout, error) {
	return eval[roomLayout](b, `window.meshmeet.layout()`)
}

// key presses one key with nothing focused (shortcuts are for the page, not a control).
func (b *browser) key(k string) {
	b.t.Helper()
	if _, err := eval[bool](b, `(document.activeElement?.blur?.(), true)`); err != nil {
		b.t.Fatal(err)
	}
	b.do(chromedp.KeyEvent(k))
}

// space holds the space bar down (true) or lets it go.
func (b *browser) space(down bool) {
	b.t.Helper()
	typ, text := input.DispatchKeyEventTypeKeyUp, ""
	if down {
		typ, text = input.DispatchKeyEventTypeKeyDown, " "
	}
	b.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, input.DispatchKeyEvent, input.DispatchKeyEventParams{Type: typ, Key: " ", Code: "Space", Text: text, WindowsVirtualKeyCode: 32, NativeVirtualKeyCode: 32})
		return err
	}))
}

// colours emulates prefers-color-scheme (light or dark), and nothing else.
func (b *browser) colours(scheme string) {
	b.t.Helper()
	b.emulate("prefers-color-scheme", scheme)
}

// emulate sets one media feature (prefers-contrast: more…) in place of any emulated before.
func (b *browser) emulate(feature, value string) {
	b.t.Helper()
	b.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: feature, Value: value}},
		})
		return err
	}))
}

// is polls a JavaScript condition on b until it holds.
func (b *browser) is(t testing.TB, within time.Duration, what, cond string) {
	t.Helper()
	eventually(t, within, b.name+": "+what, func() error {
		ok, err := eval[bool](b, cond)
		if err != nil || !ok {
			return fmt.Errorf("%s is not so (%v)", cond, err)
		}
		return nil
	})
}

// handsOrder is the page's list of raised hands, in its order.
func (b *browser) handsOrder() ([]string, error) {
	return eval[[]string](b, `[...document.querySelectorAll('#hands li')].map((li) => li.dataset.peer)`)
}

// lowContrast lists the visible texts on b's page whose colour is under 4.5:1 against
// what is behind them (backgrounds and opacity blended up the tree; disabled controls
// and text over video excepted, as WCAG does).
func (b *browser) lowContrast() ([]string, error) {
	return eval[[]string](b, `(() => {
		const rgba = (s) => { const m = s.match(/[\d.]+/g) || []; return [+m[0] || 0, +m[1] || 0, +m[2] || 0, m[3] === undefined ? 1 : +m[3]]; };
		const over = (top, under) => { const a = top[3]; return [0, 1, 2].map((i) => top[i] * a + under[i] * (1 - a)).concat(1); };
		const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }; return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
		const bgOf = (el) => {
			const chain = [];
			for (let e = el; e; e = e.parentElement) {
				const c = rgba(getComputedStyle(e).backgroundColor);
				if (c[3] > 0) chain.push(c);
				if (c[3] >= 1) break;
			}
			let bg = [255, 255, 255, 1];
			for (const c of chain.reverse()) bg = over(c, bg);
			return bg;
		};
		const bad = [];
		const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
		for (let n = walker.nextNode(); n; n = walker.nextNode()) {
			const el = n.parentElement;
			if (!n.textContent.trim() || !el || el.closest('[hidden], .sr-only, option, script, style, noscript, :disabled, .tile-reaction, .react-pick')) continue;
			const r = el.getBoundingClientRect();
			if (r.width < 1 || r.height < 1 || r.bottom < 0 || r.top > innerHeight) continue;
			const cs = getComputedStyle(el);
			if (cs.visibility === 'hidden') continue;
			let alpha = 1;
			for (let e = el; e; e = e.parentElement) alpha *= +getComputedStyle(e).opacity;
			if (alpha < 0.05) continue;
			const bg = bgOf(el);
			const fgc = rgba(cs.color);
			const fg = over([fgc[0], fgc[1], fgc[2], fgc[3] * alpha], bg);
			const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
			const ratio = (hi + 0.05) / (lo + 0.05);
			if (ratio < 4.5) bad.push(n.textContent.trim().slice(0, 30) + ' (' + ratio.toFixed(2) + ', ' + cs.color + ' on ' + bg.slice(0, 3).join(',') + ')');
		}
		return bad;
	})()`)
}

// shotDir is where screenshot tests write: $MESHMEET_SCREENSHOTS, else a fresh temporary directory.
func shotDir(t *testing.T) string {
	if d := os.Getenv("MESHMEET_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	d, err := os.MkdirTemp("", "meshmeet-shots-")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// looks saves b's page at desktop and phone width, light and dark, as dir/name-<width>-<scheme>.png,
// and checks the text contrast of each.
func (b *browser) looks(t *testing.T, dir, name string) {
	t.Helper()
	sizes := []struct {
		what string
		w, h int64
	}{{"desktop", 1280, 800}, {"phone", 390, 844}}
	for _, sz := range sizes {
		for _, scheme := range []string{"light", "dark"} {
			b.do(chromedp.EmulateViewport(sz.w, sz.h))
			b.colours(scheme)
			// the layout follows the new size before the picture is taken
			b.is(t, 5*time.Second, "laid out at "+sz.what, fmt.Sprintf(`innerWidth === %d && !!document.querySelector('#tiles')`, sz.w))
			time.Sleep(300 * time.Millisecond) // a frame or two for the resize observer; the picture only
			b.screenshot(filepath.Join(dir, fmt.Sprintf("%s-%s-%s.png", name, sz.what, scheme)))
			bad, err := b.lowContrast()
			if err != nil {
				t.Fatal(err)
			}
			if len(bad) > 0 {
				t.Errorf("%s %s %s: text under 4.5:1: %s", name, sz.what, scheme, strings.Join(bad, "; "))
			}
		}
	}
	b.colours("light")
	b.do(chromedp.EmulateViewport(1280, 800))
}

// sameSize says whether the strip's visible tiles share one size of aspect 16:9 (±2 px).
func (b *browser) gridTiles() ([][2]float64, error) {
	return eval[[][2]float64](b, `[...document.querySelectorAll('#strip .tile:not([hidden])')].map((e) => { const r = e.getBoundingClientRect(); return [r.width, r.height]; })`)
}

func without(xs []string, x string) []string {
	return slices.DeleteFunc(slices.Clone(xs), func(s string) bool { return s == x })
}
