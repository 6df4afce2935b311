package node

import (
	"fmt"
	"path"
	"testing"
	"time"
)

// TestBrowserRemove: the host records the meeting for a while (both pages show it; the
// host's node writes both participants' tracks to disk), clicks "mute" on a participant in
// the participants list and their page turns the microphone off (everyone sees it off);
// then "remove": the removed person's page says so and stops, and the host's page drops
// their tile. The removal gave the meeting a new link (key epoch), and the host's "New link"
// gives it another.
func TestBrowserRemove(t *testing.T) {
	d := startDuo(t, map[string]any{"title": "Remove", "settings": map[string]any{"enableRecording": true}})
	host, guest, m, hb, gb := d.host, d.guest, d.m, d.hb, d.gb
	hb.enter(t)
	gb.enter(t)
	hostID, guestID := host.Mesh().Self().String(), guest.Mesh().Self().String()
	eventually(t, 30*time.Second, "both see and hear each other", func() error {
		if err := receiving(gb, []string{hostID}); err != nil {
			return err
		}
		return receiving(hb, []string{guestID})
	})
	eventually(t, 10*time.Second, "host starts recording", hb.click(`#btn-record`))
	for _, b := range []*browser{hb, gb} {
		eventually(t, 10*time.Second, b.name+" shows the recording", func() error {
			if ok, err := eval[bool](b, `!!document.querySelector('#recording-badge')`); err != nil || !ok {
				return fmt.Errorf("no recording badge (%v)", err)
			}
			return nil
		})
	}
	var rec struct {
		Dir       string `json:"dir"`
		Recording bool   `json:"recording"`
		Files     []struct {
			Path string `json:"path"`
			Size int64  `json:"size"`
		} `json:"files"`
	}
	recorded := func(min int64) func() error {
		return func() error {
			host.do(t, "GET", "/api/meetings/"+m.Meeting.ID+"/recordings", nil, &rec)
			sizes := map[string]int64{}
			for _, f := range rec.Files {
				sizes[path.Base(f.Path)] = f.Size
			}
			for _, who := range []string{hostID, guestID} {
				for _, file := range []string{who + "-camera.ivf", who + "-mic.ogg"} {
					if sizes[file] < min {
						return fmt.Errorf("%s: %d bytes of %d (host %s; files %+v)", file, sizes[file], min, hostID, rec.Files)
					}
				}
			}
			return nil
		}
	}
	eventually(t, 20*time.Second, "the host's node records both participants", recorded(20000))
	eventually(t, 10*time.Second, "host stops recording", hb.click(`#btn-record`))
	eventually(t, 10*time.Second, "recording stopped everywhere", func() error {
		for _, b := range []*browser{hb, gb} {
			if on, err := eval[bool](b, `!!document.querySelector('#recording-badge')`); err != nil || on {
				return fmt.Errorf("%s still shows the recording (%v)", b.name, err)
			}
		}
		host.do(t, "GET", "/api/meetings/"+m.Meeting.ID+"/recordings", nil, &rec)
		if rec.Recording {
			return fmt.Errorf("the node still records")
		}
		return nil
	})
	eventually(t, 10*time.Second, "the host's page lists the recorded files and downloads one", func() error {
		n, err := eval[int](hb, `document.querySelectorAll('#recordings-list a.recording-file').length`)
		if err != nil || n < 4 {
			return fmt.Errorf("recordings panel: %d files (%v)", n, err)
		}
		b, err := hb.download(`#recordings-list a.recording-file[href$="-camera.ivf"]`)
		if err != nil || len(b) < 20000 || string(b[:4]) != "DKIF" {
			return fmt.Errorf("recorded camera track: %d bytes (%v)", len(b), err)
		}
		return nil
	})
	eventually(t, 10*time.Second, "host mutes the guest",
		hb.click(fmt.Sprintf(`.people-card li[data-peer=%q] button.mute`, guestID)))
	eventually(t, 10*time.Second, "the guest's microphone goes off, as the host sees", func() error {
		s, err := gb.stats()
		if err != nil {
			return err
		}
		if st, _ := s.Local["state"].(map[string]any); st == nil || st["audio"] != false {
			return fmt.Errorf("guest's page state %v", s.Local["state"])
		}
		ts, err := hb.tiles()
		if err != nil {
			return err
		}
		if tl := findTile(ts, guestID, "camera"); tl == nil || tl.Audio != "off" {
			return fmt.Errorf("host's tile for the guest: %+v", tl)
		}
		return nil
	})
	eventually(t, 10*time.Second, "host removes the guest",
		hb.click(fmt.Sprintf(`.people-card li[data-peer=%q] button.remove`, guestID)))
	eventually(t, 5*time.Second, "and says yes in the page", hb.click("#confirm-ok"))
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
	linkOf := func() string {
		var v struct {
			JoinURL string `json:"joinUrl"`
		}
		host.do(t, "GET", "/api/meetings/"+m.Meeting.ID, nil, &v)
		return v.JoinURL
	}
	eventually(t, 15*time.Second, "the removal gave the meeting a new link", func() error {
		if linkOf() == m.JoinURL {
			return fmt.Errorf("still the link the guest had")
		}
		return nil
	})
	before := linkOf()
	eventually(t, 10*time.Second, "the host asks for a new link", hb.click(`#btn-rekey`))
	eventually(t, 15*time.Second, "the meeting has another link", func() error {
		if linkOf() == before {
			return fmt.Errorf("the link did not change")
		}
		return nil
	})
}
