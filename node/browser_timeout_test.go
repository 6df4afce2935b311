package node

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestBrowserTimeLimit: in a meeting that ends by itself, every page counts
// down the time left; the host's "+15 min" moves the end on every page, and
// a plain participant has no such button.
func TestBrowserTimeLimit(t *testing.T) {
	d := startDuo(t, map[string]any{"title": "Timed", "duration": 2, "settings": map[string]any{"autoEnd": true}})
	hb, gb := d.hb, d.gb
	hb.enter(t)
	gb.enter(t)
	left := func(b *browser, re string) func() error {
		return func() error {
			s, err := eval[string](b, `(() => { const el = document.querySelector('#time-left'); return el && !el.hidden ? el.textContent : ''; })()`)
			if err != nil || !regexp.MustCompile(re).MatchString(s) {
				return fmt.Errorf("%s shows %q (%v), want %s", b.name, s, err, re)
			}
			return nil
		}
	}
	for _, b := range []*browser{hb, gb} {
		eventually(t, 20*time.Second, b.name+" counts down", left(b, `^Ends in (1:[0-5]\d|2:00)$`))
	}
	eventually(t, 10*time.Second, "the host can extend", hb.click(`#btn-extend`))
	for _, b := range []*browser{hb, gb} {
		eventually(t, 10*time.Second, b.name+" shows the extension", left(b, `^Ends in 1[67]:[0-5]\d$`))
	}
	// The guest's page knows the roles by now (it lists the host as such).
	if ok, err := eval[bool](gb, `!!document.querySelector('.people-card .role-host') && !document.querySelector('#btn-extend')`); err != nil || !ok {
		t.Fatalf("the guest's page offers to extend, or shows no host (%v)", err)
	}
	// The host renames the meeting; the guest's page shows the new title.
	eventually(t, 10*time.Second, "the host opens the edit form", hb.click(`#btn-edit`))
	eventually(t, 10*time.Second, "the host saves a new title", func() error {
		ok, err := eval[bool](hb, `(() => {
			const f = document.querySelector('#edit-meeting');
			if (!f) return false;
			f.querySelector('[name=title]').value = 'Renamed call';
			f.requestSubmit();
			return true;
		})()`)
		if err != nil || !ok {
			return fmt.Errorf("no edit form (%v)", err)
		}
		return nil
	})
	eventually(t, 10*time.Second, "the guest's page shows the new title", func() error {
		s, err := eval[string](gb, `document.querySelector('.meeting-head h1').textContent`)
		if err != nil || s != "Renamed call" {
			return fmt.Errorf("title %q (%v)", s, err)
		}
		return nil
	})
	if ok, err := eval[bool](gb, `!document.querySelector('#btn-edit')`); err != nil || !ok {
		t.Fatalf("the guest may edit (%v)", err)
	}
	// The activity panel tells who did what.
	eventually(t, 10*time.Second, "the guest's activity panel shows the extension", func() error {
		s, err := eval[string](gb, `(() => { const d = document.querySelector('.activity-card'); d.open = true; return document.querySelector('#activity-list').textContent; })()`)
		if err != nil || !strings.Contains(s, "host created the meeting") || !strings.Contains(s, "guest joined") || !strings.Contains(s, "host extended the meeting by 15 min") || !strings.Contains(s, "host edited the meeting") {
			return fmt.Errorf("activity %q (%v)", s, err)
		}
		return nil
	})
	if os.Getenv("MESHMEET_SCREENSHOTS") != "" {
		hb.screenshot(filepath.Join(os.Getenv("MESHMEET_SCREENSHOTS"), "time-limit.png"))
		_, _ = eval[bool](gb, `(document.querySelector('.activity-card').scrollIntoView(), true)`)
		gb.screenshot(filepath.Join(os.Getenv("MESHMEET_SCREENSHOTS"), "activity.png"))
	}
}
