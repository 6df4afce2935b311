package node

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserLobby: a guest opening the link of a meeting that requires
// approval waits in the lobby; the host sees them in the page's lobby panel,
// clicks Admit, and the guest's page enters the meeting and gets media. A
// second guest is turned away with Deny, and their page says so.
func TestBrowserLobby(t *testing.T) {
	needChromium(t)
	host := startNode(t, "host", "")
	guest := startNode(t, "guest", "", withPeers(host))
	other := startNode(t, "other", "", withPeers(host, guest))
	m := host.create(t, map[string]any{"title": "Interview", "settings": map[string]any{"requireApproval": true}})
	hb, gb := startBrowser(t, "host"), startBrowser(t, "guest")
	hb.do(chromedp.Navigate(pageLink(t, host, m.JoinURL)))
	hb.enter(t)
	gb.do(chromedp.Navigate(pageLink(t, guest, m.JoinURL)))
	eventually(t, 20*time.Second, "guest asks to join and waits in the lobby", askToJoin(gb))
	guestID := guest.Mesh().Self().String()
	hb.is(t, 20*time.Second, "the knock is announced (a live region) and heard", `(() => {
		const l = document.getElementById('lobby-live');
		return l.getAttribute('aria-live') === 'polite' && l.textContent === 'guest asks to join.' && Number(l.dataset.knocks) >= 1;
	})()`)
	eventually(t, 20*time.Second, "host sees the guest and admits",
		hb.click(fmt.Sprintf(`#lobby-list li[data-peer=%q] button.admit`, guestID)))
	hostID := host.Mesh().Self().String()
	eventually(t, 30*time.Second, "guest is in and receives the host's media", func() error {
		if err := receiving(gb, []string{hostID}); err != nil {
			return err
		}
		return receiving(hb, []string{guestID})
	})

	ob := startBrowser(t, "other")
	ob.do(chromedp.Navigate(pageLink(t, other, m.JoinURL)))
	eventually(t, 20*time.Second, "the other guest asks to join", askToJoin(ob))
	otherID := other.Mesh().Self().String()
	eventually(t, 20*time.Second, "host sees the other guest and denies",
		hb.click(fmt.Sprintf(`#lobby-list li[data-peer=%q] button.deny`, otherID)))
	eventually(t, 20*time.Second, "the other guest's page says no", func() error {
		ok, err := eval[bool](ob, `!!document.querySelector('#lobby-denied')`)
		if err != nil || !ok {
			return fmt.Errorf("no denial screen (%v)", err)
		}
		return nil
	})
	eventually(t, 10*time.Second, "lobby panel hidden again", func() error {
		hidden, err := eval[bool](hb, `document.querySelector('#lobby-list').closest('section').hidden`)
		if err != nil || !hidden {
			return fmt.Errorf("lobby panel still shown (%v)", err)
		}
		return nil
	})
}

// askToJoin presses "Ask to join" on the pre-join step until the lobby screen shows.
func askToJoin(b *browser) func() error {
	return func() error {
		if ok, err := eval[bool](b, `!!document.querySelector('#lobby-wait')`); err == nil && ok {
			return nil
		}
		if err := b.pressJoin(); err != nil {
			return err
		}
		return fmt.Errorf("%s: not in the lobby yet", b.name)
	}
}
