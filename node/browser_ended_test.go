package node

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserEndedMeeting: when the host ends a meeting, no page still says "● live" or
// offers moderation; opened later from Home, the meeting is a readable record (chat,
// activity) with no pre-join step, no camera and no "connecting…". Home's join field
// shows this node's own address.
func TestBrowserEndedMeeting(t *testing.T) {
	d := startDuo(t, map[string]any{"title": "Retro"})
	host, guest, m, hb, gb := d.host, d.guest, d.m, d.hb, d.gb
	hb.enter(t)
	gb.enter(t)
	guestID := guest.Mesh().Self().String()
	eventually(t, 30*time.Second, "the host may remove the guest, and both pages are live", func() error {
		ok, err := eval[bool](hb, fmt.Sprintf(`!!document.querySelector('.people li[data-peer=%q] .actions .remove') && document.getElementById('conn').textContent === '● live'`, guestID))
		if err != nil || !ok {
			return fmt.Errorf("no remove link or not live (%v)", err)
		}
		return nil
	})
	eventually(t, 10*time.Second, "the guest chats", func() error {
		ok, err := eval[bool](gb, `(() => {
			const f = document.querySelector('.chat-send');
			if (!f) return false;
			f.querySelector('[name=text]').value = 'notes for later';
			f.requestSubmit();
			return true;
		})()`)
		if err == nil && !ok {
			err = fmt.Errorf("no chat box")
		}
		return err
	})
	eventually(t, 10*time.Second, "the host reads it", func() error {
		if ok, err := eval[bool](hb, `document.querySelector('.chat-list').textContent.includes('notes for later')`); err != nil || !ok {
			return fmt.Errorf("not there (%v)", err)
		}
		return nil
	})
	eventually(t, 10*time.Second, "the host ends the meeting", hb.click("#btn-end"))
	eventually(t, 5*time.Second, "and says yes in the page", hb.click("#confirm-ok"))
	type roomState struct {
		Live       bool   `json:"live"`
		Moderation int    `json:"moderation"`
		Status     string `json:"status"`
	}
	for _, b := range []*browser{hb, gb} {
		eventually(t, 15*time.Second, b.name+"'s page shows an ended meeting", func() error {
			s, err := eval[roomState](b, `({
				live: [...document.querySelectorAll('#conn, #media-conn')].some((e) => !e.hidden && e.textContent.includes('live')),
				moderation: document.querySelectorAll('.people .actions button, #lobby-list button, #btn-record, #btn-extend, #btn-edit').length,
				status: document.getElementById('status-badge')?.textContent || '',
			})`)
			if err != nil {
				return err
			}
			if s.Live || s.Moderation != 0 || s.Status != "ended" {
				return fmt.Errorf("%+v", s)
			}
			return nil
		})
	}

	hb.do(chromedp.Navigate(host.UIURL() + "/"))
	eventually(t, 10*time.Second, "home's join field shows this node's address", func() error {
		ph, err := eval[string](hb, `document.querySelector('input[name=joinUrl]')?.placeholder || ''`)
		if err != nil || !strings.HasPrefix(ph, host.UIURL()+"/m/") {
			return fmt.Errorf("placeholder %q (%v), want %s/m/…", ph, err, host.UIURL())
		}
		return nil
	})
	eventually(t, 10*time.Second, "open the past meeting from Home", hb.click(fmt.Sprintf(`.meetings a[href="/m/%s"]`, m.Meeting.ID)))
	type record struct {
		Record bool   `json:"record"`
		Media  int    `json:"media"`
		Text   string `json:"text"`
	}
	eventually(t, 15*time.Second, "the past meeting reads as a record", func() error {
		r, err := eval[record](hb, `({
			record: !!document.getElementById('meeting-record') && !document.getElementById('prejoin'),
			media: document.querySelectorAll('video, #btn-join, #tiles').length,
			text: document.body.innerText,
		})`)
		if err != nil {
			return err
		}
		for _, w := range []string{"This meeting has ended", "notes for later", "ended the meeting", "guest joined"} {
			if !strings.Contains(r.Text, w) {
				return fmt.Errorf("no %q in %q", w, r.Text)
			}
		}
		if !r.Record || r.Media != 0 || strings.Contains(r.Text, "connecting") || strings.Contains(r.Text, "live") {
			return fmt.Errorf("not a plain record: %+v", r)
		}
		return nil
	})
	eventually(t, 5*time.Second, "the record's chat folds", hb.click("#chat-toggle"))
	hb.is(t, 5*time.Second, "folded", `document.getElementById('chat-body').hidden && document.getElementById('chat-toggle').getAttribute('aria-expanded') === 'false'`)
}
