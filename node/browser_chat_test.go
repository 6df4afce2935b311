package node

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chatLine is one message as the chat list shows it.
type chatLine struct {
	Text  string   `json:"text"`
	Links []string `json:"links"`
	Rels  []string `json:"rels"`
}

func (b *browser) chatLines() ([]chatLine, error) {
	return eval[[]chatLine](b, `[...document.querySelectorAll('#chat-list li')].map((li) => {
		// textContent: lines off screen are not laid out (content-visibility), so innerText is empty.
		const text = li.querySelector('.chat-text');
		const links = [...li.querySelectorAll('.chat-text a')];
		return { text: text ? text.textContent : '', links: links.map((a) => a.href), rels: links.map((a) => a.rel) };
	})`)
}

// TestBrowserChat: Enter sends and Shift+Enter breaks the line; http(s) addresses become
// links that open without access to the page, anything else stays text (no markup from
// a message ever runs); a message that arrives while the chat is hidden or scrolled up
// counts as unread; new messages are added to the list, not rebuilt with it.
func TestBrowserChat(t *testing.T) {
	d := startDuo(t, map[string]any{"title": "Chat"})
	hb, gb := d.hb, d.gb
	hb.enter(t)
	gb.enter(t)

	// The guest types two lines and sends them with Enter.
	gb.do(chromedp.Click(chromedp.CSS(".chat-send textarea")))
	gb.do(chromedp.KeyEvent("line one"))
	gb.do(chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierShift)))
	gb.do(chromedp.KeyEvent("line two\r"))
	eventually(t, 15*time.Second, "the host reads both lines as one message", func() error {
		ls, err := hb.chatLines()
		if err != nil {
			return err
		}
		if len(ls) != 1 || ls[0].Text != "line one\nline two" {
			return fmt.Errorf("chat %+v", ls)
		}
		return nil
	})
	eventually(t, 5*time.Second, "the guest's box is empty after sending", func() error {
		if v, err := eval[string](gb, `document.querySelector('.chat-send textarea').value`); err != nil || v != "" {
			return fmt.Errorf("the box holds %q (%v)", v, err)
		}
		return nil
	})

	// Mark the host's first line: a rebuilt list would lose the mark.
	if _, err := eval[bool](hb, `(document.querySelector('#chat-list li').dataset.mark = 'kept', true)`); err != nil {
		t.Fatal(err)
	}
	// The host hides the chat; the guest posts links and markup.
	eventually(t, 5*time.Second, "the host hides the chat", hb.click("#chat-toggle"))
	post := func(text string) {
		t.Helper()
		d.guest.do(t, "POST", "/api/meetings/"+d.m.Meeting.ID+"/messages", map[string]string{"text": text}, nil)
	}
	post("see https://example.com/a?b=1, and javascript:alert(1) or <img src=x onerror=alert(1)>")
	post("ftp://example.com/x and http://example.org.")
	eventually(t, 15*time.Second, "the host's page counts two unread", unread(hb, "2"))
	eventually(t, 5*time.Second, "the host shows the chat again", hb.click("#chat-toggle"))
	eventually(t, 5*time.Second, "the unread badge goes", unread(hb, ""))
	ls, err := hb.chatLines()
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 3 {
		t.Fatalf("chat %+v", ls)
	}
	if got := ls[1]; strings.Join(got.Links, " ") != "https://example.com/a?b=1" || got.Rels[0] != "noopener noreferrer nofollow" ||
		got.Text != "see https://example.com/a?b=1, and javascript:alert(1) or <img src=x onerror=alert(1)>" {
		t.Errorf("links in %+v", got)
	}
	if got := ls[2]; strings.Join(got.Links, " ") != "http://example.org/" || got.Text != "ftp://example.com/x and http://example.org." {
		t.Errorf("links in %+v", got)
	}
	if n, err := eval[int](hb, `document.querySelectorAll('#chat-list img, #chat-list script').length`); err != nil || n != 0 {
		t.Errorf("markup from a message became elements: %d (%v)", n, err)
	}
	if mark, err := eval[string](hb, `document.querySelector('#chat-list li').dataset.mark || ''`); err != nil || mark != "kept" {
		t.Errorf("the list was rebuilt: first line's mark %q (%v)", mark, err)
	}

	// Scrolled up, a new message is unread too, with a way down to it.
	for i := range 30 {
		post(fmt.Sprintf("filler %d", i))
	}
	eventually(t, 15*time.Second, "the host has every filler line", func() error {
		n, err := eval[int](hb, `document.querySelectorAll('#chat-list li').length`)
		if err != nil || n != 33 {
			return fmt.Errorf("%d lines (%v)", n, err)
		}
		return nil
	})
	// At the bottom of an open chat nothing is unread (the list's visibility comes from an
	// IntersectionObserver, which a loaded machine may report a frame late).
	eventually(t, 15*time.Second, "the host has read every filler line", unread(hb, ""))
	eventually(t, 5*time.Second, "the host scrolls up", func() error {
		_, err := eval[bool](hb, `(document.getElementById('chat-list').scrollTop = 0, true)`)
		return err
	})
	post("while you were reading")
	eventually(t, 15*time.Second, "one unread while scrolled up", unread(hb, "1"))
	eventually(t, 5*time.Second, "jump to the new message", hb.click("#chat-jump"))
	eventually(t, 5*time.Second, "read", unread(hb, ""))
}

// unread checks the chat's unread badge ("" = hidden).
func unread(b *browser, want string) func() error {
	return func() error {
		s, err := eval[string](b, `(() => { const u = document.getElementById('chat-unread'); return u.hidden ? '' : u.textContent; })()`)
		if err != nil || s != want {
			return fmt.Errorf("unread badge %q (%v), want %q", s, err, want)
		}
		return nil
	}
}
