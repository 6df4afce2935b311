package node

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserRemove: the host clicks "remove" on a participant in the participants list;
// the removed person's page says so and stops, and the host's page drops their tile.
func TestBrowserRemove(t *testing.T) {
	needChromium(t)
	host := startNode(t, "host", "")
	guest := startNode(t, "guest", "", withPeers(host))
	m := host.create(t, map[string]any{"title": "Remove"})
	hb, gb := startBrowser(t, "host"), startBrowser(t, "guest")
	hb.do(chromedp.Navigate(pageLink(t, host, m.JoinURL)))
	gb.do(chromedp.Navigate(pageLink(t, guest, m.JoinURL)))
	hostID, guestID := host.Mesh().Self().String(), guest.Mesh().Self().String()
	eventually(t, 30*time.Second, "both see and hear each other", func() error {
		if err := receiving(gb, []string{hostID}); err != nil {
			return err
		}
		return receiving(hb, []string{guestID})
	})
	eventually(t, 10*time.Second, "host removes the guest", func() error {
		clicked, err := eval[bool](hb, fmt.Sprintf(`(() => {
			window.confirm = () => true;
			const b = document.querySelector('.people-card li[data-peer=%q] button.remove');
			if (!b) return false;
			b.click();
			return true;
		})()`, guestID))
		if err != nil || !clicked {
			return fmt.Errorf("no remove button (%v)", err)
		}
		return nil
	})
	eventually(t, 10*time.Second, "the guest's page says removed", func() error {
		ok, err := eval[bool](gb, `!!document.querySelector('#removed')`)
		if err != nil || !ok {
			return fmt.Errorf("no removed screen (%v)", err)
		}
		return nil
	})
	eventually(t, 10*time.Second, "the host's page drops the guest", func() error {
		ts, err := hb.tiles()
		if err != nil {
			return err
		}
		if findTile(ts, guestID, "camera") != nil {
			return fmt.Errorf("guest tile still shown: %+v", ts)
		}
		listed, err := eval[bool](hb, fmt.Sprintf(`!!document.querySelector('.people-card li[data-peer=%q]')`, guestID))
		if err != nil || listed {
			return fmt.Errorf("guest still listed (%v)", err)
		}
		return nil
	})
	if mv, err := guest.Mesh().Meeting(m.Meeting.ID); err != nil || mv.Joined {
		t.Fatalf("guest's node still in the meeting: joined=%v %v", mv.Joined, err)
	}
}
