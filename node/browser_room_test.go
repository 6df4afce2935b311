package node

import (
	"fmt"
	"math"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestBrowserRoom walks three people through a meeting as they would use it: pre-join
// and join, the microphone and camera by key and by click, a screen share on the stage
// and gone when it stops, the speaking ring, the muted hint and hold-to-talk, the chat
// panel, raised hands in the order raised, pins by key and click, the grid, the
// shortcut help, the room's looks in English and Spanish, leave, and end for everyone.
func TestBrowserRoom(t *testing.T) {
	p := startParty(t) // every browser passed the pre-join step and clicked Join
	A, B, C := p.browsers[0], p.browsers[1], p.browsers[2]
	pa, pb, pc := p.peers[0], p.peers[1], p.peers[2]
	p.seeAndHear(t)

	t.Run("toggles", func(t *testing.T) {
		A.key("m")
		eventually(t, 5*time.Second, "M turns alice's microphone off", func() error { return A.toggleReads("#btn-mic", false) })
		B.is(t, 10*time.Second, "bob sees alice muted", fmt.Sprintf(`document.querySelector('.tile[data-peer=%q][data-source=camera]')?.dataset.audio === 'off'`, pa))
		A.key("m")
		eventually(t, 5*time.Second, "M turns it on again", func() error { return A.toggleReads("#btn-mic", true) })
		eventually(t, 5*time.Second, "alice clicks Camera", A.click("#btn-camera"))
		eventually(t, 5*time.Second, "the camera reads off", func() error { return A.toggleReads("#btn-camera", false) })
		B.is(t, 10*time.Second, "bob sees alice's camera off", fmt.Sprintf(`document.querySelector('.tile[data-peer=%q][data-source=camera]')?.dataset.video === 'off'`, pa))
		A.key("v")
		eventually(t, 5*time.Second, "V turns it on", func() error { return A.toggleReads("#btn-camera", true) })
		// Typing in the chat is typing, not shortcuts.
		A.do(chromedp.Click(chromedp.CSS(".chat-send textarea")))
		A.do(chromedp.KeyEvent("mv"))
		A.is(t, 5*time.Second, "the letters went into the box", `document.querySelector('.chat-send textarea').value === 'mv'`)
		if st, err := eval[map[string]bool](A, `window.meshmeet.state()`); err != nil || !st["audio"] || !st["video"] {
			t.Fatalf("typing toggled the media: %v %v", st, err)
		}
		if _, err := eval[bool](A, `(document.querySelector('.chat-send textarea').value = '', true)`); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("share on the stage", func(t *testing.T) {
		if _, err := eval[any](A, `window.meshmeet.shareCanvas().then(() => true)`); err != nil {
			t.Fatal(err)
		}
		eventually(t, 20*time.Second, "bob's stage shows alice's screen, people in the strip", func() error {
			l, err := B.layout()
			if err != nil {
				return err
			}
			if l.Layout != "stage" || !slices.Equal(l.Stage, []string{pa + "/screen"}) || !slices.Contains(l.Strip, pa+"/camera") || !slices.Contains(l.Strip, pc+"/camera") || !slices.Contains(l.Strip, "self/camera") {
				return fmt.Errorf("layout %+v", l)
			}
			return nil
		})
		growing(t, B, []string{pa}, "screen frames", screenFrames)
		B.fullShot("room-share-stage.png")
		B.key("w")
		B.is(t, 5*time.Second, "W puts the share into the grid", `window.meshmeet.layout().layout === 'grid' && document.querySelector('#btn-grid').getAttribute('aria-pressed') === 'true'`)
		B.key("w")
		B.is(t, 5*time.Second, "W again brings the stage back", `window.meshmeet.layout().layout === 'stage'`)
		if _, err := eval[any](A, `window.meshmeet.stopShare().then(() => true)`); err != nil {
			t.Fatal(err)
		}
		eventually(t, 15*time.Second, "the stopped share leaves every stage", func() error {
			for _, br := range []*browser{B, C} {
				l, err := br.layout()
				if err != nil {
					return err
				}
				if l.Layout != "grid" || len(l.Strip) != 3 || slices.ContainsFunc(l.Strip, func(s string) bool { return strings.HasSuffix(s, "/screen") }) {
					return fmt.Errorf("%s: %+v", br.name, l)
				}
			}
			return nil
		})
	})

	t.Run("grid fills the area", func(t *testing.T) {
		l, err := B.layout()
		if err != nil {
			t.Fatal(err)
		}
		want, err := eval[int](B, `(async () => { const m = await import('/static/layout.js'); const a = document.getElementById('tiles');
			return m.bestGrid(3, a.clientWidth, a.clientHeight).cols; })()`)
		if err != nil || want < 1 || l.Cols != want {
			t.Fatalf("grid of %d columns, the best is %d (%v)", l.Cols, want, err)
		}
		sizes, err := B.gridTiles()
		if err != nil || len(sizes) != 3 {
			t.Fatalf("tiles %v (%v)", sizes, err)
		}
		for _, s := range sizes {
			if math.Abs(s[0]-sizes[0][0]) > 1 || math.Abs(s[1]-sizes[0][1]) > 1 || math.Abs(s[0]/s[1]-16.0/9) > 0.05 || s[0] < 200 {
				t.Fatalf("tiles of unequal or wrong size: %v", sizes)
			}
		}
		// Paging past 25 tiles, and the column count for many tiles, without 26 browsers.
		got, err := eval[string](B, `import('/static/layout.js').then((m) => [m.pageOf(30, 1).from, m.pageOf(30, 1).to, m.pageOf(30, 9).page, m.pageOf(25, 0).pages, m.bestGrid(25, 1600, 900).cols, m.bestGrid(2, 400, 900).cols].join(' '))`)
		if err != nil || got != "25 30 1 1 5 1" {
			t.Fatalf("paging and columns: %q (%v)", got, err)
		}
	})

	t.Run("speaking ring", func(t *testing.T) {
		eventually(t, 20*time.Second, "bob's page rings alice (the fake microphone beeps)", func() error {
			on, err := speakingOn(B, pa)
			if err != nil || !on {
				return fmt.Errorf("speaking %v, %v", on, err)
			}
			return nil
		})
	})

	t.Run("connection quality", func(t *testing.T) {
		B.is(t, 15*time.Second, "alice's tile on bob's page grades her connection", fmt.Sprintf(`['good', 'fair', 'poor'].includes(document.querySelector('.tile[data-peer=%q] .tile-quality').dataset.quality)`, pa))
		eventually(t, 5*time.Second, "bob asks for the details", B.click(fmt.Sprintf(`.tile[data-peer=%q] .tile-quality`, pa)))
		B.is(t, 5*time.Second, "they show, in words", fmt.Sprintf(`(() => { const d = document.querySelector('.tile[data-peer=%q] .tile-quality-detail'); return !d.hidden && /Loss [\d.]+%% · jitter \d+ ms · round trip \d+ ms · \d+ kbit\/s/.test(d.textContent); })()`, pa))
		eventually(t, 5*time.Second, "and closes them", B.click(fmt.Sprintf(`.tile[data-peer=%q] .tile-quality`, pa)))
	})

	t.Run("muted hint and hold to talk", func(t *testing.T) {
		A.key("m")
		A.is(t, 15*time.Second, "alice talks muted and is told so", `!document.getElementById('muted-hint').hidden`)
		A.space(true)
		A.is(t, 5*time.Second, "holding Space turns the microphone on", `window.meshmeet.state().audio === true`)
		A.space(false)
		A.is(t, 5*time.Second, "letting go turns it off", `window.meshmeet.state().audio === false`)
		A.key("m")
		A.is(t, 10*time.Second, "unmuted, the hint goes", `window.meshmeet.state().audio === true && document.getElementById('muted-hint').hidden`)
	})

	t.Run("chat panel", func(t *testing.T) {
		B.key("c")
		B.is(t, 5*time.Second, "C closes the chat", `document.getElementById('panel-chat').hidden && document.getElementById('btn-chat').getAttribute('aria-pressed') === 'false'`)
		B.key("c")
		B.is(t, 5*time.Second, "C opens it with the box focused", `!document.getElementById('panel-chat').hidden && document.activeElement === document.querySelector('.chat-send textarea')`)
		B.do(chromedp.KeyEvent("hello from bob\r"))
		for _, br := range []*browser{A, C} {
			br.is(t, 15*time.Second, "the line arrives", `[...document.querySelectorAll('#chat-list .chat-text')].some((e) => e.textContent === 'hello from bob')`)
		}
		B.is(t, 5*time.Second, "the list is a log", `document.getElementById('chat-list').getAttribute('role') === 'log'`)
	})

	t.Run("hands in the order raised", func(t *testing.T) {
		want := []string{pc, pa, pb}
		raise := map[string]func(){
			pc: func() { C.key("r") },
			pa: func() { eventually(t, 5*time.Second, "alice clicks Raise hand", A.click("#btn-hand")) },
			pb: func() { B.key("r") },
		}
		for i, who := range want {
			raise[who]()
			// everyone sees this hand before the next goes up
			for _, br := range p.browsers {
				eventually(t, 15*time.Second, br.name+" lists the hands so far", func() error {
					got, err := br.handsOrder()
					if err != nil || !slices.Equal(got, want[:i+1]) {
						return fmt.Errorf("hands %v (%v), want %v", got, err, want[:i+1])
					}
					return nil
				})
			}
		}
		for _, br := range p.browsers {
			br.is(t, 5*time.Second, "the count says three", `document.getElementById('hands-title').textContent.includes('3') && document.querySelector('#btn-people .badge').textContent === '3'`)
		}
		// Alice's own hand is outlined over her picture, not under it.
		A.is(t, 5*time.Second, "alice's own tile shows her hand", `(() => { const e = document.querySelector('.tile.self'); return e.classList.contains('hand') && getComputedStyle(e, '::after').boxShadow.includes('229, 164, 0') && +getComputedStyle(e, '::after').zIndex > 0; })()`)
	})

	t.Run("pin", func(t *testing.T) {
		l, err := B.layout()
		if err != nil {
			t.Fatal(err)
		}
		first := without(l.Strip, "self/camera")[0]
		B.key("1")
		B.is(t, 5*time.Second, "1 pins the first other tile", fmt.Sprintf(`(() => { const l = window.meshmeet.layout(); return l.layout === 'stage' && l.stage[0] === %q; })()`, first))
		B.do(chromedp.KeyEvent(kb.Escape))
		B.is(t, 5*time.Second, "Esc unpins", `window.meshmeet.layout().layout === 'grid'`)
		eventually(t, 5*time.Second, "bob clicks carol's Pin", B.click(fmt.Sprintf(`.tile[data-peer=%q] .tile-pin`, pc)))
		B.is(t, 5*time.Second, "carol is on the stage, her Pin pressed", fmt.Sprintf(`window.meshmeet.layout().stage[0] === '%s/camera' && document.querySelector('.tile[data-peer=%q] .tile-pin').getAttribute('aria-pressed') === 'true'`, pc, pc))
		// The node is told, for last-N: her camera tile, and only hers, is pinned in the view.
		B.is(t, 5*time.Second, "the view pins carol's camera", fmt.Sprintf(`(() => { const p = (window.meshmeet.view() || []).filter((t) => t.pinned); return p.length === 1 && p[0].peer === %q && p[0].source === 'camera'; })()`, pc))
		B.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`.tile[data-peer=%q] video`, pc)))) // a click on the picture itself
		B.is(t, 5*time.Second, "a click on carol's picture unpins her", `window.meshmeet.layout().layout === 'grid'`)
		B.is(t, 5*time.Second, "the view pins nothing", `(window.meshmeet.view() || []).length > 0 && !window.meshmeet.view().some((t) => t.pinned)`)
		B.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`.tile[data-peer=%q] video`, pa))))
		B.is(t, 5*time.Second, "a click on alice's pins her", fmt.Sprintf(`window.meshmeet.layout().stage[0] === '%s/camera'`, pa))
		B.key("0")
		B.is(t, 5*time.Second, "0 pins bob himself", `window.meshmeet.layout().stage[0] === 'self/camera'`)
		B.key("0")
		B.is(t, 5*time.Second, "0 again unpins", `window.meshmeet.layout().layout === 'grid'`)
		eventually(t, 5*time.Second, "bob hides himself", B.click("#hide-self"))
		B.is(t, 5*time.Second, "no tile of his own, a way back", `!document.querySelector('.tile[data-peer=self]') && !document.getElementById('show-self').hidden`)
		eventually(t, 5*time.Second, "bob shows himself again", B.click("#show-self"))
		B.is(t, 5*time.Second, "his tile is back", `!!document.querySelector('.tile[data-peer=self]')`)
	})

	t.Run("help keeps focus", func(t *testing.T) {
		B.do(chromedp.Focus(chromedp.CSS("#btn-help")))
		B.do(chromedp.KeyEvent("\r"))
		B.is(t, 5*time.Second, "the help dialog is open with focus inside", `document.getElementById('help-dialog').open && document.getElementById('help-dialog').contains(document.activeElement)`)
		for range 3 {
			B.do(chromedp.KeyEvent("\t"))
		}
		B.is(t, 5*time.Second, "Tab stays inside", `document.getElementById('help-dialog').contains(document.activeElement)`)
		B.fullShot("room-help.png")
		B.do(chromedp.KeyEvent("m")) // no shortcut while a dialog is open
		B.do(chromedp.KeyEvent(kb.Escape))
		B.is(t, 5*time.Second, "Esc closes it, focus back on the button", `!document.getElementById('help-dialog').open && document.activeElement?.id === 'btn-help' && window.meshmeet.state().audio === true`)
	})

	t.Run("pages of the grid", func(t *testing.T) {
		// 30 people without 30 browsers: the page's own tiles module, given 30.
		got, err := eval[string](B, `(async () => {
			const m = await import('/static/tiles.js');
			const tl = m.createTiles();
			const box = document.createElement('div');
			box.style.cssText = 'position:fixed;inset:0;z-index:99;display:flex';
			box.append(tl.el);
			tl.el.style.flex = '1';
			document.body.append(box);
			const people = Array.from({ length: 30 }, (_, i) => ({ peerId: 'p' + i, name: 'person ' + i, state: { video: false } }));
			tl.render(null, people);
			const shown = () => tl.el.querySelectorAll('.strip .tile:not([hidden])');
			const a = [shown().length, tl.el.querySelector('.pager').hidden, tl.el.querySelector('.pager span').textContent];
			tl.el.querySelector('.pager button:last-child').click();
			const b = [shown().length, shown()[0].dataset.peer, tl.el.querySelector('.pager span').textContent];
			box.remove();
			return [...a, ...b].join('|');
		})()`)
		if err != nil || got != "25|false|Page 1 of 2|5|p25|Page 2 of 2" {
			t.Fatalf("paging: %q (%v)", got, err)
		}
	})

	t.Run("phone: one pane at a time", func(t *testing.T) {
		B.do(chromedp.EmulateViewport(390, 844))
		B.is(t, 5*time.Second, "the video, no panel", `getComputedStyle(document.querySelector('.stage-col')).display !== 'none' && document.getElementById('panel-chat').hidden && document.getElementById('panel-people').hidden`)
		B.key("c")
		B.is(t, 5*time.Second, "C: the chat instead of the video", `getComputedStyle(document.querySelector('.stage-col')).display === 'none' && !document.getElementById('panel-chat').hidden`)
		B.fullShot("room-phone-chat.png")
		B.key("p")
		B.is(t, 5*time.Second, "P: the participants instead of the chat", `!document.getElementById('panel-people').hidden && document.getElementById('panel-chat').hidden`)
		B.key("p")
		B.is(t, 5*time.Second, "P again: the video", `getComputedStyle(document.querySelector('.stage-col')).display !== 'none'`)
		small, err := eval[[]string](B, `[...document.querySelectorAll('.controls button')].filter((b) => b.getClientRects().length && (b.offsetWidth < 44 || b.offsetHeight < 44)).map((b) => b.id || b.textContent)`)
		if err != nil || len(small) > 0 {
			t.Errorf("toolbar targets under 44 px on a phone: %v (%v)", small, err)
		}
		B.do(chromedp.EmulateViewport(1280, 800))
		B.key("p")
		B.key("c")
		B.is(t, 5*time.Second, "back on the desktop with both panels", `!document.getElementById('panel-people').hidden && !document.getElementById('panel-chat').hidden`)
	})

	t.Run("D shares or says why not", func(t *testing.T) {
		C.key("d")
		C.is(t, 10*time.Second, "carol's D was taken", `window.meshmeet.state().screenShare || /not available|no está disponible/.test(document.getElementById('btn-screen').title)`)
		if on, _ := eval[bool](C, `window.meshmeet.state().screenShare`); on {
			C.key("d")
			C.is(t, 10*time.Second, "D again stops it", `!window.meshmeet.state().screenShare`)
		}
	})

	t.Run("focus is visible", func(t *testing.T) {
		B.key("	")
		B.is(t, 5*time.Second, "the focused control has a visible ring", `(() => { const e = document.activeElement; if (!e || e === document.body) return false; const s = getComputedStyle(e); return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2; })()`)
	})

	t.Run("invite", func(t *testing.T) {
		if _, err := eval[bool](B, `(Object.defineProperty(navigator, 'clipboard', { configurable: true, value: { writeText: async (s) => { window.copied = s; } } }), true)`); err != nil {
			t.Fatal(err)
		}
		eventually(t, 5*time.Second, "bob clicks Invite", B.click("#btn-invite"))
		B.is(t, 5*time.Second, "the join link is on the clipboard", fmt.Sprintf(`(window.copied || '').includes('/m/%s#') && document.getElementById('toast').textContent === 'Join link copied.'`, p.id))
		if _, err := eval[bool](B, `(Object.defineProperty(navigator, 'clipboard', { configurable: true, value: { writeText: async () => { throw new DOMException('no', 'NotAllowedError'); } } }), true)`); err != nil {
			t.Fatal(err)
		}
		eventually(t, 5*time.Second, "bob clicks Invite where the clipboard is refused", B.click("#btn-invite"))
		B.is(t, 5*time.Second, "the link shows selected in a dialog", fmt.Sprintf(`(() => { const d = document.getElementById('invite-dialog'); const i = d?.querySelector('input'); return d?.open && document.activeElement === i && i.value.includes('/m/%s#') && i.selectionEnd - i.selectionStart === i.value.length; })()`, p.id))
		B.do(chromedp.KeyEvent(kb.Escape))
		B.is(t, 5*time.Second, "Esc closes it", `!document.getElementById('invite-dialog')`)
	})

	t.Run("looks", func(t *testing.T) {
		dir := shotDir(t)
		t.Logf("screenshots in %s", dir)
		B.looks(t, dir, "room-en")
		// the switch in the top bar: high contrast, kept for this browser
		if _, err := eval[bool](B, `(() => { const s = document.getElementById('theme'); s.value = 'contrast'; s.dispatchEvent(new Event('change')); return true; })()`); err != nil {
			t.Fatal(err)
		}
		B.is(t, 5*time.Second, "high contrast is on and kept", `document.documentElement.dataset.theme === 'contrast' && localStorage.getItem('meshmeet.theme') === 'contrast'`)
		B.screenshot(filepath.Join(dir, "room-en-desktop-contrast.png"))
		if bad, err := B.lowContrast(); err != nil || len(bad) > 0 {
			t.Errorf("high contrast: text under 4.5:1: %v (%v)", bad, err)
		}
		if _, err := eval[bool](B, `(() => { const s = document.getElementById('theme'); s.value = 'auto'; s.dispatchEvent(new Event('change')); return !document.documentElement.dataset.theme; })()`); err != nil {
			t.Fatal(err)
		}
		// the system's wish for more contrast, without the switch
		B.emulate("prefers-contrast", "more")
		B.is(t, 5*time.Second, "prefers-contrast: more gives black and white", `getComputedStyle(document.body).backgroundColor === 'rgb(0, 0, 0)' && getComputedStyle(document.body).color === 'rgb(255, 255, 255)'`)
		if bad, err := B.lowContrast(); err != nil || len(bad) > 0 {
			t.Errorf("prefers-contrast: text under 4.5:1: %v (%v)", bad, err)
		}
		B.colours("light") // and back (this clears every emulated feature)
		// bob switches to Spanish: the room reloads in Spanish without a second pre-join step
		if _, err := eval[bool](B, `(() => { const s = document.getElementById('lang'); s.value = 'es'; s.dispatchEvent(new Event('change')); return true; })()`); err != nil {
			t.Fatal(err)
		}
		B.is(t, 30*time.Second, "bob is back in the room in Spanish", `document.documentElement.lang === 'es' && !!window.meshmeet && document.querySelectorAll('#tiles .tile').length === 3 && document.getElementById('btn-leave').textContent === 'Salir'`)
		B.looks(t, dir, "room-es")
	})

	t.Run("reload keeps mute and hand", func(t *testing.T) {
		for k, want := range map[string]string{"m": "audio", "r": "handRaised"} {
			if on, err := eval[bool](B, `window.meshmeet.state().`+want); err != nil || on == (k == "m") {
				B.key(k)
			}
		}
		B.is(t, 5*time.Second, "bob is muted with his hand up", `(() => { const s = window.meshmeet.state(); return !s.audio && s.handRaised; })()`)
		B.do(chromedp.Reload())
		B.is(t, 20*time.Second, "the pre-join step remembers the microphone off", `document.getElementById('pj-mic')?.getAttribute('aria-pressed') === 'false'`)
		for _, scheme := range []string{"dark", "light"} {
			B.colours(scheme)
			if bad, err := B.lowContrast(); err != nil || len(bad) > 0 {
				t.Errorf("the pre-join step, %s: text under 4.5:1: %v (%v)", scheme, bad, err)
			}
		}
		B.enter(t)
		B.is(t, 20*time.Second, "back in: muted, hand up", `(() => { const s = window.meshmeet.state(); return !s.audio && s.video && s.handRaised; })()`)
		A.is(t, 20*time.Second, "alice sees bob's hand again", fmt.Sprintf(`[...document.querySelectorAll('#hands li')].some((li) => li.dataset.peer === %q)`, pb))
		// The order survives the reload when the nodes stamp each hand (handRaisedAt, from the api branch).
		stamped, err := eval[bool](B, fmt.Sprintf(`import('/static/api.js').then((m) => m.api.participants(%q)).then((ps) => (Array.isArray(ps) ? ps : ps.participants || []).some((p) => p.media?.handRaisedAt > 0))`, p.id))
		if err != nil {
			t.Fatal(err)
		}
		if !stamped {
			t.Log("the node gives no handRaisedAt yet: the order after a reload is not checked")
			return
		}
		eventually(t, 15*time.Second, "bob's reloaded page lists the hands in the order raised", func() error {
			got, err := B.handsOrder()
			if err != nil || !slices.Equal(got, []string{pc, pa, pb}) {
				return fmt.Errorf("hands %v (%v)", got, err)
			}
			return nil
		})
	})

	t.Run("leave", func(t *testing.T) {
		eventually(t, 5*time.Second, "carol leaves", C.click("#btn-leave"))
		for _, br := range []*browser{A, B} {
			br.is(t, 20*time.Second, "carol's tile goes", fmt.Sprintf(`!document.querySelector('.tile[data-peer=%q]')`, pc))
		}
	})

	t.Run("end for everyone", func(t *testing.T) {
		if n, err := eval[int](B, `document.querySelectorAll('#btn-end:not([hidden])').length`); err != nil || n != 0 {
			t.Fatalf("a guest may end the meeting: %d %v", n, err)
		}
		A.do(chromedp.Click(chromedp.CSS("#btn-end"))) // a real click: the focus is on the button
		A.is(t, 5*time.Second, "she is asked in the page, Cancel first", `document.getElementById('confirm-dialog')?.open && document.activeElement?.id === 'confirm-no'`)
		A.fullShot("room-end-confirm.png")
		eventually(t, 5*time.Second, "she cancels", A.click("#confirm-no"))
		A.is(t, 5*time.Second, "nothing ended, focus back on End", `!document.getElementById('confirm-dialog') && document.activeElement?.id === 'btn-end' && document.getElementById('status-badge').textContent !== 'ended'`)
		eventually(t, 5*time.Second, "alice ends it after all", A.click("#btn-end"))
		eventually(t, 5*time.Second, "and confirms", A.click("#confirm-ok"))
		for _, br := range []*browser{A, B} {
			br.is(t, 20*time.Second, "the meeting has ended", `['ended', 'terminada'].includes(document.getElementById('status-badge').textContent)`)
		}
	})
}

// TestBrowserReactions: a reaction goes to everyone as presence and shows on the
// sender's tile for a moment.
func TestBrowserReactions(t *testing.T) {
	d := startDuo(t, map[string]any{"title": "Reactions"})
	d.hb.enter(t)
	d.gb.enter(t)
	// through the page's own API client: 204 once the node has the route
	status, err := eval[int](d.hb, fmt.Sprintf(`import('/static/api.js').then((m) => m.api.react(%q, '👍').then(() => 204, (e) => e.status))`, d.m.Meeting.ID))
	if err != nil {
		t.Fatal(err)
	}
	if status == http.StatusNotFound {
		t.Skip("the node has no reactions route yet (the api branch adds it)")
	}
	if status != http.StatusNoContent {
		t.Fatalf("a reaction: HTTP %d", status)
	}
	hostID := d.host.Mesh().Self().String()
	d.hb.is(t, 20*time.Second, "the guest's tile is up", `document.querySelectorAll('#tiles .tile').length === 2`)
	d.gb.is(t, 20*time.Second, "the host's tile is up", fmt.Sprintf(`!!document.querySelector('.tile[data-peer=%q]')`, hostID))
	// A reaction is presence, not history: one sent before the guest's node counts the
	// host as present is gone, so the host reacts again until the guest sees one.
	eventually(t, 20*time.Second, "the host reacts 🎉 and the guest sees it on the host's tile", func() error {
		if err := d.hb.click("#btn-react")(); err != nil {
			return err
		}
		if err := d.hb.click(`.react-pick[data-emoji="🎉"]`)(); err != nil {
			return err
		}
		if on, err := eval[bool](d.hb, `document.querySelector('.tile.self .tile-reaction')?.textContent === '🎉' && !document.querySelector('.tile.self .tile-reaction').hidden`); err != nil || !on {
			return fmt.Errorf("the host's own tile does not show it (%v)", err)
		}
		deadline := time.Now().Add(2 * time.Second)
		for time.Now().Before(deadline) {
			if ok, err := eval[bool](d.gb, fmt.Sprintf(`(() => { const r = document.querySelector('.tile[data-peer=%q] .tile-reaction'); return r?.textContent === '🎉' && !r.hidden; })()`, hostID)); err == nil && ok {
				return nil
			}
			time.Sleep(100 * time.Millisecond)
		}
		return fmt.Errorf("not on the guest's page")
	})
	d.gb.is(t, 5*time.Second, "and hears it (a live region)", `document.getElementById('room-live').textContent === 'host reacted 🎉'`)
	d.gb.is(t, 10*time.Second, "briefly", fmt.Sprintf(`document.querySelector('.tile[data-peer=%q] .tile-reaction').hidden`, hostID))
}
