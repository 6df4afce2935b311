package node

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"meshmeet/webui/api"

	"github.com/chromedp/chromedp"
)

// TestBrowserPreJoin: opening a join link shows the pre-join step (camera preview,
// microphone level, device pickers, test sound, the name) and joins nothing until Join
// is clicked; joining with the microphone off publishes no audio; the choices come back
// after a reload; the microphone can be changed during the meeting.
func TestBrowserPreJoin(t *testing.T) {
	d := startDuo(t, map[string]any{"title": "Pre-join"})
	host, guest, m, hb, gb := d.host, d.guest, d.m, d.hb, d.gb
	id := m.Meeting.ID

	type preview struct {
		Video   int    `json:"video"`
		Mics    int    `json:"mics"`
		Cameras int    `json:"cameras"`
		Meter   bool   `json:"meter"`
		Sound   bool   `json:"sound"`
		Name    string `json:"name"`
		Hook    bool   `json:"hook"`
	}
	for _, b := range []*browser{hb, gb} {
		eventually(t, 20*time.Second, b.name+" shows the pre-join step with a live preview", func() error {
			p, err := eval[preview](b, `(() => ({
				video: document.getElementById('prejoin-video')?.videoWidth || 0,
				mics: document.querySelectorAll('#pick-mic option').length,
				cameras: document.querySelectorAll('#pick-camera option').length,
				meter: !!document.getElementById('mic-level'),
				sound: !!document.getElementById('btn-test-sound'),
				name: document.getElementById('prejoin-name')?.textContent || '',
				hook: !!window.meshmeet,
			}))()`)
			if err != nil {
				return err
			}
			if p.Video == 0 || p.Mics < 2 || p.Cameras < 1 || !p.Meter || !p.Sound || p.Name != "The others will see you as "+b.name || p.Hook {
				return fmt.Errorf("pre-join %+v", p)
			}
			return nil
		})
	}
	eventually(t, 10*time.Second, "the host's microphone level moves", func() error {
		lvl, err := eval[int](hb, `Number(document.getElementById('mic-level').dataset.level)`)
		if err != nil || lvl == 0 {
			return fmt.Errorf("level %d (%v)", lvl, err)
		}
		return nil
	})
	// Nobody joined by opening the link.
	notJoined := func() {
		t.Helper()
		var v api.Meeting
		host.do(t, http.MethodGet, "/api/meetings/"+id, nil, &v)
		if v.Joined || len(v.Participants) != 0 {
			t.Fatalf("the link alone joined: joined=%v participants=%+v", v.Joined, v.Participants)
		}
		if _, err := guest.Mesh().Meeting(id); err == nil {
			t.Fatal("the guest's node learnt the meeting without a Join")
		}
	}
	notJoined()
	time.Sleep(2 * time.Second)
	notJoined()

	// The host turns the microphone off, picks another microphone, and joins.
	var pick string
	eventually(t, 10*time.Second, "the host turns the microphone off and picks a microphone", func() error {
		var err error
		pick, err = eval[string](hb, `(() => {
			const b = document.getElementById('pj-mic');
			if (b.getAttribute('aria-pressed') === 'true') b.click();
			const s = document.getElementById('pick-mic');
			const o = [...s.options].find((o) => o.value !== '');
			s.value = o.value;
			s.dispatchEvent(new Event('change'));
			return o.value;
		})()`)
		if err != nil {
			return err
		}
		if off, err := eval[bool](hb, `document.getElementById('pj-mic').getAttribute('aria-pressed') === 'false'`); err != nil || !off {
			return fmt.Errorf("microphone still on (%v)", err)
		}
		return nil
	})
	hb.do(chromedp.Reload())
	eventually(t, 20*time.Second, "the choices come back after a reload", func() error {
		got, err := eval[[]string](hb, `[document.getElementById('pj-mic')?.getAttribute('aria-pressed') || '', document.getElementById('pick-mic')?.value || '']`)
		if err != nil {
			return err
		}
		if !slices.Equal(got, []string{"false", pick}) {
			return fmt.Errorf("microphone pressed, picked: %q, want false, %q", got, pick)
		}
		return nil
	})
	notJoined()
	hb.enter(t)
	gb.enter(t)
	hostID, guestID := host.Mesh().Self().String(), guest.Mesh().Self().String()
	eventually(t, 30*time.Second, "both joined, the guest sees the host", func() error {
		var v api.Meeting
		host.do(t, http.MethodGet, "/api/meetings/"+id, nil, &v)
		if !v.Joined || len(v.Participants) != 2 {
			return fmt.Errorf("joined=%v participants=%d", v.Joined, len(v.Participants))
		}
		s, err := gb.stats()
		if err != nil || s.Remote[hostID].FramesDecoded == 0 {
			return fmt.Errorf("guest's stats of the host %+v (%v)", s.Remote[hostID], err)
		}
		return receiving(hb, []string{guestID})
	})
	hb.fullShot("room-en.png")
	// The host joined with the microphone off: no audio leaves the page.
	time.Sleep(time.Second)
	s, err := gb.stats()
	if err != nil {
		t.Fatal(err)
	}
	if a := s.Remote[hostID].AudioBytes; a != 0 {
		t.Errorf("the guest received %d audio bytes from a host whose microphone is off", a)
	}
	if st, err := eval[map[string]bool](hb, `window.meshmeet.state()`); err != nil || st["audio"] || !st["video"] {
		t.Errorf("the host's state %v (%v)", st, err)
	}
	// Microphone on: it is the one picked before, and the guest hears it.
	eventually(t, 10*time.Second, "the host turns the microphone on", hb.click("#btn-mic"))
	growing(t, gb, []string{hostID}, "the host's audio", audioBytes)
	if d, err := eval[map[string]string](hb, `window.meshmeet.devices()`); err != nil || d["mic"] != pick {
		t.Errorf("the host's microphone is %v (%v), want %q", d, err, pick)
	}
	// Change the microphone during the meeting, in the device dialog: the same
	// sender carries the new one, and the guest still hears the host.
	eventually(t, 10*time.Second, "the host opens the device dialog", hb.click("#btn-devices"))
	var other string
	eventually(t, 10*time.Second, "the host picks another microphone", func() error {
		var err error
		other, err = eval[string](hb, `(() => {
			if (!document.getElementById('devices-dialog').open) return '';
			const s = document.getElementById('pick-mic');
			const o = [...s.options].find((o) => o.value !== '' && o.value !== s.value);
			if (!o) return '';
			s.value = o.value;
			s.dispatchEvent(new Event('change'));
			return o.value;
		})()`)
		if err == nil && other == "" {
			err = fmt.Errorf("no dialog or no other microphone")
		}
		return err
	})
	eventually(t, 10*time.Second, "the new microphone is in use", func() error {
		d, err := eval[map[string]string](hb, `window.meshmeet.devices()`)
		if err != nil || d["mic"] != other {
			return fmt.Errorf("microphone %v (%v), want %q", d, err, other)
		}
		return nil
	})
	growing(t, gb, []string{hostID}, "the host's audio from the new microphone", audioBytes)
}

// TestBrowserPreJoinNoDevices: a browser that may not use the camera and microphone, and
// one on a computer that has none, get the problem in plain words on the pre-join step,
// with "join without" for each device; the person joins without them.
func TestBrowserPreJoinNoDevices(t *testing.T) {
	needChromium(t)
	a := startNode(t, "alice", "")
	for _, c := range []struct {
		name  string
		opts  []chromedp.ExecAllocatorOption
		words string
	}{
		{"denied", []chromedp.ExecAllocatorOption{chromedp.Flag("use-fake-ui-for-media-stream", false), chromedp.Flag("deny-permission-prompts", true)},
			"This browser is not allowed to use your %s."},
		{"missing", []chromedp.ExecAllocatorOption{chromedp.Flag("use-fake-device-for-media-stream", false)},
			"No %s was found."},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := a.create(t, map[string]any{"title": "No devices"})
			b := startBrowserWith(t, "alice-"+c.name, c.opts...)
			b.do(chromedp.Navigate(pageLink(t, a, m.JoinURL)))
			b.says(t, "names both problems", "en", fmt.Sprintf(c.words, "microphone"), fmt.Sprintf(c.words, "camera"),
				"Join without microphone", "Join without camera")
			eventually(t, 10*time.Second, "join without both", func() error {
				left, err := eval[int](b, `(() => {
					document.querySelector('.problem .without')?.click();
					return document.querySelectorAll('.problem').length;
				})()`)
				if err == nil && left > 0 {
					err = fmt.Errorf("%d problems left", left)
				}
				return err
			})
			b.enter(t)
			if st, err := eval[map[string]bool](b, `window.meshmeet.state()`); err != nil || st["audio"] || st["video"] {
				t.Errorf("state %v (%v)", st, err)
			}
			eventually(t, 10*time.Second, "alice is in the meeting", func() error {
				var v api.Meeting
				a.do(t, http.MethodGet, "/api/meetings/"+m.Meeting.ID, nil, &v)
				if !v.Joined {
					return fmt.Errorf("not joined")
				}
				return nil
			})
		})
	}
}
