package node

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's chromium; `make test` installs it.
const chromiumPath = "/usr/bin/chromium"

// browser is one headless Chromium with one tab, and the page's console.
type browser struct {
	t    testing.TB
	name string
	ctx  context.Context // the tab; never given a timeout itself

	mu      sync.Mutex
	console []string
}

// needChromium skips a browser test in -short mode or without Chromium.
func needChromium(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("no %s (make test installs it): %v", chromiumPath, err)
	}
}

// startBrowser starts a headless Chromium with a fake camera and microphone
// and a fresh profile. It is stopped at the end of the test.
func startBrowser(t testing.TB, name string) *browser {
	t.Helper()
	return startBrowserWith(t, name)
}

// startBrowserLang is startBrowser for a person whose browser speaks lang (as
// navigator.languages and Accept-Language).
func startBrowserLang(t testing.TB, name, lang string) *browser {
	t.Helper()
	return startBrowserWith(t, name, chromedp.Flag("lang", lang), chromedp.Flag("accept-lang", lang))
}

func startBrowserWith(t testing.TB, name string, extra ...chromedp.ExecAllocatorOption) *browser {
	t.Helper()
	needChromium(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("allow-loopback-in-peer-connection", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("mute-audio", true),
	}
	opts = append(opts, extra...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	b := &browser{t: t, name: name, ctx: ctx}
	stopped := make(chan struct{})
	t.Cleanup(func() {
		if t.Failed() {
			b.screenshot(filepath.Join(os.TempDir(), "meshmeet-browser-"+name+".png"))
			b.mu.Lock()
			t.Logf("%s console:\n%s", name, strings.Join(b.console, "\n"))
			b.mu.Unlock()
		}
		cancelTab()
		cancelAlloc()
		<-stopped
	})
	// The first Run starts the browser; it must not carry a timeout.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		close(stopped)
		t.Fatalf("start chromium %s: %v", name, err)
	}
	go func() {
		defer close(stopped)
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, fmt.Sprintf("%s %s", m.Type, m.Text))
			b.mu.Unlock()
		}
	}()
	return b
}

// within derives a context for one action.
func (b *browser) within(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(b.ctx, d)
}

func (b *browser) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := b.within(30 * time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", b.name, err)
	}
}

// eval evaluates a JavaScript expression (promises awaited) into T.
func eval[T any](b *browser, expr string) (T, error) {
	ctx, cancel := b.within(10 * time.Second)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
}

// click clicks the element selector finds (confirm dialogs answered yes), for eventually.
func (b *browser) click(selector string) func() error {
	return func() error {
		clicked, err := eval[bool](b, fmt.Sprintf(`(() => {
			window.confirm = () => true;
			const el = document.querySelector(%q);
			if (!el) return false;
			el.click();
			return true;
		})()`, selector))
		if err != nil || !clicked {
			return fmt.Errorf("%s: nothing to click at %s (%v)", b.name, selector, err)
		}
		return nil
	}
}

// duo is a host's and a guest's node with a browser each, both on the pre-join step of
// a meeting the host created with body.
type duo struct {
	host, guest *testNode
	hb, gb      *browser
	m           created
}

func startDuo(t *testing.T, body map[string]any) duo {
	t.Helper()
	needChromium(t)
	d := duo{host: startNode(t, "host", "")}
	d.guest = startNode(t, "guest", "", withPeers(d.host))
	d.m = d.host.create(t, body)
	d.hb, d.gb = startBrowser(t, "host"), startBrowser(t, "guest")
	d.hb.do(chromedp.Navigate(pageLink(t, d.host, d.m.JoinURL)))
	d.gb.do(chromedp.Navigate(pageLink(t, d.guest, d.m.JoinURL)))
	return d
}

// pressJoin clicks the pre-join step's Join button when it is there and ready
// (for polling loops); nothing joins a meeting before that click.
func (b *browser) pressJoin() error {
	_, err := eval[bool](b, `(() => {
		const j = document.getElementById('btn-join');
		if (!j || j.disabled) return false;
		j.click();
		return true;
	})()`)
	return err
}

// enter clicks Join on the pre-join step until the meeting room is up.
func (b *browser) enter(t testing.TB) {
	t.Helper()
	eventually(t, 30*time.Second, b.name+" enters from the pre-join step", func() error {
		if in, err := eval[bool](b, `!!window.meshmeet && !!document.querySelector('#tiles')`); err == nil && in {
			return nil
		}
		if err := b.pressJoin(); err != nil {
			return err
		}
		return fmt.Errorf("%s: not in the meeting yet", b.name)
	})
}

func (b *browser) screenshot(path string) {
	b.shoot(path, chromedp.CaptureScreenshot())
}

// fullShot saves a PNG of the whole page, beyond the window, as $MESHMEET_SCREENSHOTS/name
// when that is set.
func (b *browser) fullShot(name string) {
	if dir := os.Getenv("MESHMEET_SCREENSHOTS"); dir != "" {
		b.shoot(filepath.Join(dir, name), chromedp.FullScreenshot(100))
	}
}

func (b *browser) shoot(path string, shot chromedp.Action[[]byte]) {
	ctx, cancel := b.within(10 * time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, shot)
	if err == nil {
		err = os.WriteFile(path, png, 0o644)
	}
	if err != nil {
		b.t.Logf("%s: screenshot: %v", b.name, err)
		return
	}
	b.t.Logf("%s: screenshot in %s", b.name, path)
}

// pageLink is the join link opened on n's own UI by a browser not logged in yet: the same
// path and fragment, with n's login token added to the fragment (the page moves it into
// its origin's storage and takes it out of the address, the rest of the fragment kept).
func pageLink(t testing.TB, n *testNode, joinURL string) string {
	return pageLinkAt(t, n.UIURL(), n.LoginURL(), joinURL)
}

// pageLinkAt is pageLink for the node whose UI is at ui and whose login address is login.
func pageLinkAt(t testing.TB, ui, login, joinURL string) string {
	t.Helper()
	u, err := url.Parse(uiLinkAt(t, ui, joinURL))
	if err != nil {
		t.Fatal(err)
	}
	l, err := url.Parse(login)
	if err != nil {
		t.Fatal(err)
	}
	u.Fragment += "&" + l.Fragment
	return u.String()
}

// uiLink is the join link opened on n's own UI by a browser already logged in.
func uiLink(t testing.TB, n *testNode, joinURL string) string {
	return uiLinkAt(t, n.UIURL(), joinURL)
}

func uiLinkAt(t testing.TB, uiURL, joinURL string) string {
	t.Helper()
	u, err := url.Parse(joinURL)
	if err != nil {
		t.Fatal(err)
	}
	ui, err := url.Parse(uiURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Scheme, u.Host = ui.Scheme, ui.Host
	return u.String()
}

// peerStats is what window.meshmeet.stats() reports per remote peer.
type peerStats struct {
	FramesDecoded       int64 `json:"framesDecoded"`
	AudioBytes          int64 `json:"audioBytes"`
	ScreenFramesDecoded int64 `json:"screenFramesDecoded"`
}

type pageStats struct {
	Remote map[string]peerStats `json:"remote"`
	Local  map[string]any       `json:"local"`
}

func (b *browser) stats() (pageStats, error) {
	return eval[pageStats](b, `window.meshmeet ? window.meshmeet.stats() : {remote: {}, local: {}}`)
}

// tile is one video tile as the page's test hook lists it.
type tile struct {
	Peer   string `json:"peer"`
	Source string `json:"source"`
	Video  string `json:"video"`
	Audio  string `json:"audio"`
	Hand   string `json:"hand"`
	Screen string `json:"screen"`
	// Reconnecting: the tile says its media is reconnecting.
	Reconnecting bool `json:"reconnecting"`
}

func (b *browser) tiles() ([]tile, error) {
	return eval[[]tile](b, `window.meshmeet ? window.meshmeet.tiles() : []`)
}

func findTile(ts []tile, peer, source string) *tile {
	for i := range ts {
		if ts[i].Peer == peer && ts[i].Source == source {
			return &ts[i]
		}
	}
	return nil
}

// receiving checks that b decodes video and receives audio from every peer.
func receiving(b *browser, peers []string) error {
	s, err := b.stats()
	if err != nil {
		return err
	}
	for _, p := range peers {
		ps := s.Remote[p]
		if ps.FramesDecoded == 0 || ps.AudioBytes == 0 {
			return fmt.Errorf("%s from %s: %+v (all: %+v)", b.name, shortPeer(p), ps, s.Remote)
		}
	}
	return nil
}

// growing waits until every counter picked by get has grown past its value now.
func growing(t testing.TB, b *browser, peers []string, what string, get func(peerStats) int64) {
	t.Helper()
	s, err := b.stats()
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, b.name+" "+what+" growing", func() error {
		now, err := b.stats()
		if err != nil {
			return err
		}
		for _, p := range peers {
			if get(now.Remote[p]) <= get(s.Remote[p]) {
				return fmt.Errorf("from %s: %d, was %d", shortPeer(p), get(now.Remote[p]), get(s.Remote[p]))
			}
		}
		return nil
	})
}

// stalled waits until the counter picked by get stays still for a second.
func stalled(t testing.TB, b *browser, peer, what string, get func(peerStats) int64) {
	t.Helper()
	eventually(t, 10*time.Second, b.name+" "+what+" stopped", func() error {
		s1, err := b.stats()
		if err != nil {
			return err
		}
		time.Sleep(time.Second)
		s2, err := b.stats()
		if err != nil {
			return err
		}
		if v1, v2 := get(s1.Remote[peer]), get(s2.Remote[peer]); v2 != v1 {
			return fmt.Errorf("still %d → %d", v1, v2)
		}
		return nil
	})
}

func shortPeer(p string) string {
	if len(p) > 8 {
		return "…" + p[len(p)-8:]
	}
	return p
}

func frames(s peerStats) int64       { return s.FramesDecoded }
func audioBytes(s peerStats) int64   { return s.AudioBytes }
func screenFrames(s peerStats) int64 { return s.ScreenFramesDecoded }

// threeInMeeting starts three nodes, a meeting on the first, and three
// browsers, each opening the join link on its own node's UI.
type party struct {
	nodes    []*testNode
	browsers []*browser
	peers    []string
	link     string
	id       string
}

func (p *party) others(i int) []string {
	var out []string
	for j, id := range p.peers {
		if j != i {
			out = append(out, id)
		}
	}
	return out
}

func startParty(t *testing.T, opts ...nodeOpt) *party {
	t.Helper()
	needChromium(t)
	a := startNode(t, "alice", "", opts...)
	b := startNode(t, "bob", "", append(opts, withPeers(a))...)
	c := startNode(t, "carol", "", append(opts, withPeers(a, b))...)
	m := a.create(t, map[string]any{"title": "Browser call"})
	p := &party{nodes: []*testNode{a, b, c}, link: m.JoinURL, id: m.Meeting.ID}
	for _, n := range p.nodes {
		p.peers = append(p.peers, n.Mesh().Self().String())
	}
	p.browsers = startBrowsers(t, "alice", "bob", "carol")
	for i, br := range p.browsers {
		br.do(chromedp.Navigate(pageLink(t, p.nodes[i], p.link)))
	}
	for _, br := range p.browsers {
		br.enter(t)
	}
	return p
}

// seeAndHear waits until every browser decodes video and receives audio from both others,
// and checks that both keep flowing.
func (p *party) seeAndHear(t *testing.T) {
	start := time.Now()
	for i, br := range p.browsers {
		eventually(t, 45*time.Second, br.name+" receives both others", func() error { return receiving(br, p.others(i)) })
	}
	t.Logf("all three browsers decode video and audio from both others after %v", time.Since(start).Round(time.Millisecond))
	for i, br := range p.browsers {
		growing(t, br, p.others(i), "video frames", frames)
		growing(t, br, p.others(i), "audio bytes", audioBytes)
	}
}

// TestBrowsersMeet: three nodes, three headless Chromium with fake camera and
// microphone, one meeting: everyone sees and hears both others; camera off,
// screen share, chat and leave reach the others.
func TestBrowsersMeet(t *testing.T) {
	p := startParty(t)
	A, B, C := p.browsers[0], p.browsers[1], p.browsers[2]
	pa, pc := p.peers[0], p.peers[2]

	t.Run("see and hear", func(t *testing.T) {
		p.seeAndHear(t)
		for i, br := range p.browsers {
			eventually(t, 10*time.Second, br.name+" tiles", func() error {
				ts, err := br.tiles()
				if err != nil {
					return err
				}
				for _, o := range p.others(i) {
					if findTile(ts, o, "camera") == nil {
						return fmt.Errorf("no tile for %s in %+v", shortPeer(o), ts)
					}
				}
				return nil
			})
		}
	})
	t.Run("end button only for the host", func(t *testing.T) {
		for i, br := range p.browsers {
			want := i == 0
			eventually(t, 5*time.Second, br.name+" end button", func() error {
				shown, err := eval[bool](br, `document.getElementById('btn-end').getClientRects().length > 0`)
				if err != nil {
					return err
				}
				if shown != want {
					return fmt.Errorf("end button shown=%v, want %v", shown, want)
				}
				return nil
			})
		}
	})
	if t.Failed() {
		return
	}

	t.Run("own tile and toggles read right", func(t *testing.T) {
		// initials from the name, not from "alice (you)"
		if s, err := eval[string](A, `document.querySelector('#tiles .tile.self .avatar').textContent`); err != nil || s != "AL" {
			t.Errorf("alice's own initials %q (%v)", s, err)
		}
		for _, sel := range []string{"#btn-mic", "#btn-camera"} {
			if err := A.toggleReads(sel, true); err != nil {
				t.Error(err)
			}
		}
	})

	t.Run("camera off", func(t *testing.T) {
		A.do(chromedp.Click(chromedp.CSS("#btn-camera")))
		eventually(t, 5*time.Second, "the camera button reads off", func() error { return A.toggleReads("#btn-camera", false) })
		for _, br := range []*browser{B, C} {
			began := time.Now()
			eventually(t, 5*time.Second, br.name+" sees alice's camera off", func() error {
				ts, err := br.tiles()
				if err != nil {
					return err
				}
				if tl := findTile(ts, pa, "camera"); tl == nil || tl.Video != "off" {
					return fmt.Errorf("alice's tile %+v", tl)
				}
				return nil
			})
			t.Logf("%s saw the camera go off within %v", br.name, time.Since(began).Round(time.Millisecond))
			stalled(t, br, pa, "alice's frames", frames)
		}
		// and on again: frames come back
		A.do(chromedp.Click(chromedp.CSS("#btn-camera")))
		for _, br := range []*browser{B, C} {
			growing(t, br, []string{pa}, "alice's frames after camera on", frames)
		}
	})

	t.Run("microphone off", func(t *testing.T) {
		A.do(chromedp.Click(chromedp.CSS("#btn-mic")))
		eventually(t, 5*time.Second, "the microphone button reads off", func() error { return A.toggleReads("#btn-mic", false) })
		for _, br := range []*browser{B, C} {
			eventually(t, 5*time.Second, br.name+" sees alice muted", func() error {
				ts, err := br.tiles()
				if err != nil {
					return err
				}
				if tl := findTile(ts, pa, "camera"); tl == nil || tl.Audio != "off" {
					return fmt.Errorf("alice's tile %+v", tl)
				}
				return nil
			})
			stalled(t, br, pa, "alice's audio", audioBytes)
		}
		A.do(chromedp.Click(chromedp.CSS("#btn-mic")))
		for _, br := range []*browser{B, C} {
			growing(t, br, []string{pa}, "alice's audio after unmute", audioBytes)
		}
	})

	t.Run("screen share", func(t *testing.T) {
		// The real button first: headless Chromium usually cannot capture a
		// screen, and the page must say so; then the canvas path.
		A.do(chromedp.Click(chromedp.CSS("#btn-screen")))
		var on bool
		eventually(t, 10*time.Second, "the share starts or the page says why not", func() error {
			var err error
			if on, err = eval[bool](A, `window.meshmeet.state().screenShare`); err != nil || on {
				return err
			}
			msg, err := eval[string](A, `document.getElementById('toast').textContent`)
			if err == nil && msg == "" {
				err = fmt.Errorf("no share and no message yet")
			}
			return err
		})
		if !on {
			msg, _ := eval[string](A, `document.getElementById('toast').textContent`)
			t.Logf("getDisplayMedia unavailable (page says %q); sharing a canvas instead", msg)
			if _, err := eval[any](A, `window.meshmeet.shareCanvas().then(() => true)`); err != nil {
				t.Fatal(err)
			}
		}
		for _, br := range []*browser{B, C} {
			eventually(t, 20*time.Second, br.name+" decodes alice's screen", func() error {
				s, err := br.stats()
				if err != nil {
					return err
				}
				if s.Remote[pa].ScreenFramesDecoded == 0 {
					return fmt.Errorf("stats %+v", s.Remote[pa])
				}
				ts, err := br.tiles()
				if err != nil {
					return err
				}
				if findTile(ts, pa, "screen") == nil {
					return fmt.Errorf("no screen tile in %+v", ts)
				}
				if tl := findTile(ts, pa, "camera"); tl == nil || tl.Screen != "on" {
					return fmt.Errorf("alice's state %+v", tl)
				}
				return nil
			})
			growing(t, br, []string{pa}, "alice's screen frames", screenFrames)
		}
		if on { // the real capture worked: exercise the canvas path as well
			if _, err := eval[any](A, `window.meshmeet.shareCanvas().then(() => true)`); err != nil {
				t.Fatal(err)
			}
			for _, br := range []*browser{B, C} {
				growing(t, br, []string{pa}, "alice's canvas screen frames", screenFrames)
			}
		}
		// A stopped share leaves nobody's screen frozen on its last picture.
		if _, err := eval[any](A, `window.meshmeet.stopShare().then(() => true)`); err != nil {
			t.Fatal(err)
		}
		for _, br := range []*browser{A, B, C} {
			eventually(t, 10*time.Second, br.name+" drops alice's screen tile", func() error {
				ts, err := br.tiles()
				if err != nil {
					return err
				}
				for _, tl := range ts {
					if tl.Source == "screen" {
						return fmt.Errorf("a screen tile is still shown: %+v", ts)
					}
				}
				return nil
			})
		}
	})

	t.Run("hand", func(t *testing.T) {
		B.do(chromedp.Click(chromedp.CSS("#btn-hand")))
		for _, br := range []*browser{A, C} {
			eventually(t, 5*time.Second, br.name+" sees bob's hand", func() error {
				ts, err := br.tiles()
				if err != nil {
					return err
				}
				if tl := findTile(ts, p.peers[1], "camera"); tl == nil || tl.Hand != "up" {
					return fmt.Errorf("bob's tile %+v", tl)
				}
				return nil
			})
		}
	})

	t.Run("chat", func(t *testing.T) {
		text := "hello from bob's browser"
		B.do(
			chromedp.SendKeys(chromedp.CSS(".chat-send textarea"), text),
			chromedp.Click(chromedp.CSS(`.chat-send button[type="submit"]`)),
		)
		for _, br := range []*browser{A, C} {
			eventually(t, 10*time.Second, br.name+" shows bob's message", func() error {
				got, err := eval[string](br, `document.querySelector('.chat-list').textContent`)
				if err != nil {
					return err
				}
				if !strings.Contains(got, text) {
					return fmt.Errorf("chat shows %q", got)
				}
				return nil
			})
		}
	})

	if dir := os.Getenv("MESHMEET_SCREENSHOTS"); dir != "" {
		shots(t, p, dir)
	}

	t.Run("leave", func(t *testing.T) {
		C.do(chromedp.Click(chromedp.CSS("#btn-leave")))
		for _, br := range []*browser{A, B} {
			began := time.Now()
			eventually(t, 10*time.Second, br.name+" drops carol's tile", func() error {
				ts, err := br.tiles()
				if err != nil {
					return err
				}
				for _, tl := range ts {
					if tl.Peer == pc {
						return fmt.Errorf("carol's tile still there: %+v", ts)
					}
				}
				return nil
			})
			t.Logf("%s dropped carol's tile within %v", br.name, time.Since(began).Round(time.Millisecond))
		}
		eventually(t, 10*time.Second, "carol back home", func() error {
			loc, err := eval[string](C, `location.pathname`)
			if err != nil {
				return err
			}
			if loc != "/" {
				return fmt.Errorf("carol's page at %s", loc)
			}
			return nil
		})
	})

	t.Run("rejoin", func(t *testing.T) {
		// Carol opens the link again; the others get her back without a reload.
		C.do(chromedp.Navigate(pageLink(t, p.nodes[2], p.link)))
		C.enter(t)
		for _, br := range []*browser{A, B} {
			eventually(t, 20*time.Second, br.name+" receives carol again", func() error {
				return receiving(br, []string{pc})
			})
			growing(t, br, []string{pc}, "carol's frames after rejoining", frames)
		}
		eventually(t, 20*time.Second, "carol receives both others", func() error {
			return receiving(C, []string{pa, p.peers[1]})
		})
	})
}

// toggleReads checks that the toggle at sel (microphone or camera) says on or off in
// its visible text and aria-pressed, under a name that does not change.
func (b *browser) toggleReads(sel string, on bool) error {
	type toggle struct {
		Text    string `json:"text"`
		Pressed string `json:"pressed"`
		Label   string `json:"label"`
	}
	got, err := eval[toggle](b, fmt.Sprintf(`(() => { const e = document.querySelector(%q); return {text: e.textContent, pressed: e.getAttribute('aria-pressed'), label: e.getAttribute('aria-label')}; })()`, sel))
	if err != nil {
		return err
	}
	name, state := map[string]string{"#btn-mic": "Microphone", "#btn-camera": "Camera"}[sel], map[bool]string{true: "on", false: "off"}[on]
	if got.Label != name || got.Pressed != fmt.Sprint(on) || !strings.HasSuffix(got.Text, " "+state) {
		return fmt.Errorf("%s reads %+v, want %s %s", sel, got, name, state)
	}
	return nil
}

// shots saves screenshots of alice's page at desktop and phone widths.
func shots(t *testing.T, p *party, dir string) {
	A := p.browsers[0]
	A.do(chromedp.EmulateViewport(1280, 800))
	A.screenshot(filepath.Join(dir, "meshmeet-desktop.png"))
	A.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))
	A.screenshot(filepath.Join(dir, "meshmeet-phone.png"))
	A.do(chromedp.EmulateViewport(1280, 800))
	// alice with camera and microphone off, as bob sees her
	for _, k := range []string{"video", "audio"} {
		if _, err := eval[any](A, `window.meshmeet.toggle('`+k+`').then(() => true)`); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(time.Second)
	p.browsers[1].screenshot(filepath.Join(dir, "meshmeet-desktop-bob.png"))
	for _, k := range []string{"video", "audio"} {
		if _, err := eval[any](A, `window.meshmeet.toggle('`+k+`').then(() => true)`); err != nil {
			t.Fatal(err)
		}
	}
}
