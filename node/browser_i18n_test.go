package node

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// pageText is what a page says: its language and visible text.
type pageText struct {
	Lang string `json:"lang"`
	Text string `json:"text"`
}

func (b *browser) says(t testing.TB, what, lang string, want ...string) {
	t.Helper()
	eventually(t, 15*time.Second, b.name+" "+what, func() error {
		p, err := eval[pageText](b, `({lang: document.documentElement.lang, text: document.body.innerText})`)
		if err != nil {
			return err
		}
		if p.Lang != lang {
			return fmt.Errorf("<html lang=%q>, want %q; page says %q", p.Lang, lang, p.Text)
		}
		for _, w := range want {
			if !strings.Contains(p.Text, w) {
				return fmt.Errorf("no %q in %q", w, p.Text)
			}
		}
		if strings.HasPrefix(strings.TrimSpace(p.Text), "{") {
			return fmt.Errorf("raw JSON: %q", p.Text)
		}
		return nil
	})
}

// TestBrowserLanguages: a browser whose language is Spanish gets the pages in
// Spanish (pre-join step, an unknown address, a malformed link) and the node's
// errors worded in Spanish from their codes; switching to English in the top
// bar's selector works and is remembered across reloads.
func TestBrowserLanguages(t *testing.T) {
	needChromium(t)
	a := startNode(t, "alice", "")
	m := a.create(t, map[string]any{"title": "Reunión semanal"})
	b := startBrowserLang(t, "ana", "es")

	b.do(chromedp.Navigate(uiLink(t, a, m.JoinURL))) // not logged in yet
	b.says(t, "shows the login page in Spanish", "es", "Inicia sesión en tu nodo", "Iniciar sesión")
	b.do(chromedp.Navigate("about:blank")) // the login link differs only in its #fragment
	b.do(chromedp.Navigate(pageLink(t, a, m.JoinURL)))
	b.says(t, "shows the pre-join step in Spanish", "es", "¿Listo para entrar?", "Reunión semanal", "Unirse", "Micrófono", "Español")
	if label, err := eval[string](b, `document.getElementById('pj-mic').getAttribute('aria-label')`); err != nil || label != "Micrófono" {
		t.Errorf("microphone toggle's name %q (%v)", label, err)
	}
	eventually(t, 10*time.Second, "the preview plays", func() error {
		if w, err := eval[int](b, `document.getElementById('prejoin-video').videoWidth`); err != nil || w == 0 {
			return fmt.Errorf("no picture (%v)", err)
		}
		return nil
	})
	b.fullShot("prejoin-es.png")

	// The node answers a malformed link with the code invalid_link; the page words it.
	got, err := eval[string](b, `(async () => {
		const { api } = await import('/static/api.js');
		const { errorText } = await import('/static/i18n.js');
		try { await api.join(location.origin + '/m/nonsense#k=abc'); return 'joined'; }
		catch (e) { return e.code + '|' + errorText(e); }
	})()`)
	if err != nil || !strings.HasPrefix(got, "invalid_link|Este enlace de reunión no es válido") {
		t.Errorf("a malformed link's error reads %q (%v)", got, err)
	}
	// A well-formed link whose key is not this meeting's: refused by the node, in Spanish.
	wrong := strings.Split(m.JoinURL, "#")[0] + "#k=" + strings.Repeat("A", 43)
	b.do(chromedp.Navigate(uiLink(t, a, wrong)))
	b.says(t, "offers the pre-join step", "es", "Unirse")
	eventually(t, 15*time.Second, "the node's refusal in Spanish", func() error {
		msg, err := eval[string](b, `(() => { const e = document.getElementById('prejoin-error'); return e && !e.hidden ? e.textContent : ''; })()`)
		if err != nil {
			return err
		}
		if msg == "" {
			return b.pressJoin()
		}
		if msg != "No tienes permiso para hacer eso en esta reunión." {
			return fmt.Errorf("error shown: %q", msg)
		}
		return nil
	})
	// A link with garbage for its meeting ID: a sentence, no camera.
	b.do(chromedp.Navigate(uiLink(t, a, strings.Replace(m.JoinURL, m.Meeting.ID, "basura", 1))))
	b.says(t, "calls a broken link not valid", "es", "No se puede abrir esta reunión", "no es válido")
	if bad, _ := eval[bool](b, `!!document.querySelector('#prejoin') || !!document.querySelector('video')`); bad {
		t.Error("a broken link opened the pre-join step")
	}
	// An unknown address: a page with a sentence, not JSON.
	b.do(chromedp.Navigate(a.UIURL() + "/no/such/page"))
	b.says(t, "says the page does not exist", "es", "Página no encontrada", "No hay ninguna página en esta dirección")

	// Switch to English; it stays English across reloads.
	b.do(chromedp.Navigate(a.UIURL() + "/"))
	b.says(t, "home in Spanish", "es", "Nueva reunión", "Reuniones")
	eventually(t, 10*time.Second, "choose English", func() error {
		_, err := eval[bool](b, `(() => { const s = document.getElementById('lang'); s.value = 'en'; s.dispatchEvent(new Event('change')); return true; })()`)
		return err
	})
	b.says(t, "home in English", "en", "New meeting", "Meetings")
	b.do(chromedp.Reload())
	b.says(t, "still English after a reload", "en", "New meeting", "English")
	b.do(chromedp.Navigate(uiLink(t, a, m.JoinURL)))
	b.says(t, "pre-join step in English", "en", "Ready to join?", "Join")

	// In the room, switching language keeps the person in the meeting (no second pre-join).
	b.enter(t)
	b.says(t, "the room in English", "en", "Mic on", "Participants (1)")
	eventually(t, 10*time.Second, "choose Spanish in the room", func() error {
		_, err := eval[bool](b, `(() => { const s = document.getElementById('lang'); s.value = 'es'; s.dispatchEvent(new Event('change')); return true; })()`)
		return err
	})
	b.says(t, "the room in Spanish", "es", "Micro activado", "Participantes (1)", "Salir")
	if pre, err := eval[bool](b, `!!document.getElementById('prejoin')`); err != nil || pre {
		t.Errorf("the language switch sent the person back to the pre-join step (%v)", err)
	}
}
