package node

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/libp2p/go-libp2p/core/peer"

	"meshmeet/mesh/datadir"
	"meshmeet/webui/api"
)

// countMediaCaptures makes every page b opens count its calls for a camera
// or microphone in window.__captures.
func (b *browser) countMediaCaptures(t testing.TB) {
	t.Helper()
	b.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `
			window.__captures = 0;
			if (navigator.mediaDevices) {
				const get = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
				navigator.mediaDevices.getUserMedia = (c) => { window.__captures++; return get(c); };
			}`})
		return err
	}))
}

// recorded puts a camera recording of peer in n's recordings of the meeting.
func recorded(t testing.TB, n *testNode, meeting, peer string) {
	t.Helper()
	rec := filepath.Join(datadir.Dir(n.dir).Recordings(meeting), "20261203T101010Z", peer+"-camera.ivf")
	if err := os.MkdirAll(filepath.Dir(rec), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rec, []byte("DKIF frames"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// homeView is what the Home page shows, read through its element IDs.
type homeView struct {
	Name       string `json:"name"`
	Badge      string `json:"badge"`
	Peers      string `json:"peers"`
	PeersText  string `json:"peersText"`
	Rendezvous string `json:"rendezvous"`
	RdvText    string `json:"rdvText"`
	Active     string `json:"active"`
	Upcoming   string `json:"upcoming"`
	Past       string `json:"past"`
	Text       string `json:"text"`
	Lang       string `json:"lang"`
}

func (b *browser) home() (homeView, error) {
	return eval[homeView](b, `(() => {
		const q = (s) => document.querySelector(s);
		const group = (k) => [...document.querySelectorAll('#meetings-' + k + ' li .meeting-link')].map((a) => a.textContent).join(',');
		return {
			name: q('#name-input')?.value ?? '', badge: q('#node-badge')?.textContent ?? '',
			peers: q('#peers-count')?.dataset.count ?? '', peersText: q('#peers-count')?.textContent ?? '',
			rendezvous: q('#rendezvous-state')?.dataset.state ?? '', rdvText: q('#rendezvous-state')?.textContent ?? '',
			active: group('active'), upcoming: group('upcoming'), past: group('past'),
			text: document.body.innerText, lang: document.documentElement.lang,
		};
	})()`)
}

// homeShows waits until the Home page shows what ok accepts.
func (b *browser) homeShows(t testing.TB, what string, ok func(homeView) error) homeView {
	t.Helper()
	var v homeView
	eventually(t, 15*time.Second, b.name+"'s Home "+what, func() error {
		var err error
		if v, err = b.home(); err != nil {
			return err
		}
		if strings.HasPrefix(strings.TrimSpace(v.Text), "{") {
			return fmt.Errorf("raw JSON: %q", v.Text)
		}
		return ok(v)
	})
	return v
}

// rename types name into the Home page's name field and saves it.
func (b *browser) rename(t testing.TB, name string) {
	t.Helper()
	eventually(t, 10*time.Second, b.name+" renames", func() error {
		ok, err := eval[bool](b, fmt.Sprintf(`(() => {
			const i = document.getElementById('name-input');
			if (!i) return false;
			i.value = %q;
			document.getElementById('name-form').requestSubmit();
			return true;
		})()`, name))
		if err == nil && !ok {
			err = fmt.Errorf("no name field")
		}
		return err
	})
}

// TestBrowserHome: the Home page in English and in Spanish — the name a
// person sets is kept across a reload (and is the node's), the node's status
// says how many other nodes it reaches and whether its rendezvous server
// answers, the meetings stand in active, upcoming and past groups, and a
// past one opens as its record without asking for a camera.
func TestBrowserHome(t *testing.T) {
	needChromium(t)
	rdv := startRendezvous(t)
	a := startNode(t, "alice", "", withRendezvous(rdv[0]))
	bob := startNode(t, "bob", "", withPeers(a))

	// A rendezvous nobody answers at: a real peer ID on a closed port.
	key, err := datadir.Dir(t.TempDir()).Key()
	if err != nil {
		t.Fatal(err)
	}
	deadID, _ := peer.IDFromPrivateKey(key)
	c := startNode(t, "carla", "", withRendezvous("/ip4/127.0.0.1/tcp/9/p2p/"+deadID.String()))

	// Meetings on alice's node: one going on, one scheduled, one over.
	standup := a.create(t, map[string]any{"title": "Standup"})
	a.join(t, standup.JoinURL)
	a.create(t, map[string]any{"title": "Planning", "scheduledTime": time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)})
	retro := a.create(t, map[string]any{"title": "Retro"})
	a.join(t, retro.JoinURL)
	bob.join(t, retro.JoinURL)
	a.do(t, http.MethodPost, "/api/meetings/"+retro.Meeting.ID+"/messages", map[string]string{"text": "what went well"}, nil)
	bob.do(t, http.MethodPost, api.Path(api.RouteLeave, retro.Meeting.ID), nil, nil)
	// Alice's node recorded bob, who has left: the record names him from the log.
	bobID := bob.Mesh().Self().String()
	recorded(t, a, retro.Meeting.ID, bobID)
	eventually(t, 10*time.Second, "alice's recordings name bob", func() error {
		var recs api.Recordings
		a.do(t, http.MethodGet, api.Path(api.RouteRecordings, retro.Meeting.ID), nil, &recs)
		if len(recs.Files) != 1 || recs.Names[bobID] != "bob" {
			return fmt.Errorf("recordings %+v", recs)
		}
		return nil
	})
	a.do(t, http.MethodPost, api.Path(api.RouteEnd, retro.Meeting.ID), nil, nil)

	en := startBrowserLang(t, "alice", "en")
	en.countMediaCaptures(t)
	en.do(chromedp.Navigate(a.LoginURL()))
	en.homeShows(t, "in English: status and groups", func(v homeView) error {
		switch {
		case v.Lang != "en":
			return fmt.Errorf("lang %q", v.Lang)
		case v.Peers != "1" || v.PeersText != "1 connected":
			return fmt.Errorf("peers %q %q, want bob only (not the rendezvous server)", v.Peers, v.PeersText)
		case v.Rendezvous != "reachable" || v.RdvText != "reachable":
			return fmt.Errorf("rendezvous %q %q", v.Rendezvous, v.RdvText)
		case v.Active != "Standup" || v.Upcoming != "Planning" || v.Past != "Retro":
			return fmt.Errorf("groups active %q upcoming %q past %q", v.Active, v.Upcoming, v.Past)
		case !strings.Contains(v.Text, "Active now (1)") || !strings.Contains(v.Text, "Upcoming (1)") || !strings.Contains(v.Text, "Past (1)"):
			return fmt.Errorf("group headings missing in %q", v.Text)
		case v.Name != "alice":
			return fmt.Errorf("name field %q", v.Name)
		}
		return nil
	})
	en.fullShot("home-en.png")

	en.rename(t, "Alicia R.")
	en.homeShows(t, "confirms the new name", func(v homeView) error {
		if !strings.Contains(v.Text, "Saved: others now see you as Alicia R.") || !strings.HasPrefix(v.Badge, "Alicia R. · ") {
			return fmt.Errorf("badge %q; no confirmation in %q", v.Badge, v.Text)
		}
		return nil
	})
	en.do(chromedp.Reload())
	en.homeShows(t, "keeps the name after a reload", func(v homeView) error {
		if v.Name != "Alicia R." || !strings.HasPrefix(v.Badge, "Alicia R. · ") {
			return fmt.Errorf("name %q, badge %q", v.Name, v.Badge)
		}
		return nil
	})
	var n api.Node
	a.do(t, http.MethodGet, api.RouteNode, nil, &n)
	if n.Name != "Alicia R." {
		t.Errorf("the node is called %q", n.Name)
	}

	// The past meeting opens as its record: no pre-join step, no camera.
	eventually(t, 10*time.Second, "open the past meeting", en.click(`#meetings-past a.meeting-link`))
	type record struct {
		Record   bool   `json:"record"`
		Captures int    `json:"captures"`
		Media    int    `json:"media"`
		Text     string `json:"text"`
		Path     string `json:"path"`
	}
	eventually(t, 15*time.Second, "the past meeting reads as a record", func() error {
		r, err := eval[record](en, `({
			record: !!document.getElementById('meeting-record') && !document.getElementById('prejoin'),
			captures: window.__captures ?? -1, media: document.querySelectorAll('video, #btn-join, #tiles').length,
			text: document.body.innerText, path: location.pathname,
		})`)
		switch {
		case err != nil:
			return err
		case r.Path != "/m/"+retro.Meeting.ID:
			return fmt.Errorf("at %s", r.Path)
		case !r.Record || r.Media != 0 || r.Captures != 0:
			return fmt.Errorf("not a plain record: %+v", r)
		case !strings.Contains(r.Text, "This meeting has ended") || !strings.Contains(r.Text, "what went well") ||
			!strings.Contains(r.Text, "bob · camera"):
			return fmt.Errorf("no record text in %q", r.Text)
		}
		return nil
	})

	// A link with a garbage key, and an address with no page: sentences, never JSON.
	en.do(chromedp.Navigate(uiLink(t, a, strings.Split(standup.JoinURL, "#")[0]+"#k=garbage")))
	en.says(t, "calls a garbage key's link not valid", "en", "Cannot open this meeting", "This join link is not valid")
	if txt, _ := eval[string](en, `document.body.innerText`); strings.Contains(txt, "meeting ID") {
		t.Errorf("a garbage key reads %q", txt)
	}
	en.do(chromedp.Navigate(a.UIURL() + "/meetings/nope"))
	en.says(t, "says there is no such page", "en", "Page not found")

	// In a live meeting too, a recording of someone who left is named, not
	// numbered: bob came to the standup and went.
	bob.join(t, standup.JoinURL)
	bob.do(t, http.MethodPost, api.Path(api.RouteLeave, standup.Meeting.ID), nil, nil)
	recorded(t, a, standup.Meeting.ID, bobID)
	eventually(t, 10*time.Second, "alice's node knows bob came and went", func() error {
		var v api.Meeting
		a.do(t, http.MethodGet, api.Path(api.RouteMeeting, standup.Meeting.ID), nil, &v)
		for _, p := range v.Participants {
			if p.PeerID == bobID && p.LeftAt != nil {
				return nil
			}
		}
		return fmt.Errorf("participants %+v", v.Participants)
	})
	en.do(chromedp.Navigate(uiLink(t, a, standup.JoinURL)))
	en.enter(t)
	eventually(t, 15*time.Second, "the live room names bob's recording", func() error {
		txt, err := eval[string](en, `document.getElementById('recordings-list')?.textContent ?? ''`)
		if err != nil || !strings.Contains(txt, "bob · camera") {
			return fmt.Errorf("recordings %q (%v)", txt, err)
		}
		return nil
	})

	// Spanish, on a node alone whose rendezvous does not answer.
	es := startBrowserLang(t, "carla", "es")
	es.do(chromedp.Navigate(c.LoginURL()))
	es.homeShows(t, "in Spanish: alone, rendezvous down", func(v homeView) error {
		switch {
		case v.Lang != "es":
			return fmt.Errorf("lang %q", v.Lang)
		case v.Peers != "0" || !strings.HasPrefix(v.PeersText, "ninguno"):
			return fmt.Errorf("peers %q %q", v.Peers, v.PeersText)
		case v.Rendezvous != "unreachable" || !strings.HasPrefix(v.RdvText, "no accesible"):
			return fmt.Errorf("rendezvous %q %q", v.Rendezvous, v.RdvText)
		case !strings.Contains(v.Text, "Aún no hay reuniones") || strings.Contains(v.Text, "En curso") || !strings.Contains(v.Text, "Tu nombre"):
			return fmt.Errorf("Spanish headings missing in %q", v.Text)
		}
		return nil
	})
	es.fullShot("home-es.png")
	// Once there is a meeting, the groups appear, in Spanish.
	c.create(t, map[string]any{"title": "Café"})
	eventually(t, 10*time.Second, "refresh", es.click("#home-meetings button"))
	es.homeShows(t, "groups in Spanish", func(v homeView) error {
		if v.Upcoming != "Café" || !strings.Contains(v.Text, "Próximas (1)") || !strings.Contains(v.Text, "En curso (0)") {
			return fmt.Errorf("upcoming %q in %q", v.Upcoming, v.Text)
		}
		return nil
	})
	// A name the node refuses: a sentence in Spanish, not the node's English or JSON.
	es.rename(t, strings.Repeat("x", 65))
	es.homeShows(t, "words the refusal in Spanish", func(v homeView) error {
		note, err := eval[string](es, `document.getElementById('name-note').textContent`)
		if err != nil || note != "El nodo no pudo aceptar esa petición." {
			return fmt.Errorf("note %q (%v)", note, err)
		}
		return nil
	})
	es.rename(t, "Carla")
	es.homeShows(t, "confirms in Spanish", func(v homeView) error {
		if !strings.Contains(v.Text, "Guardado: ahora los demás te ven como Carla.") {
			return fmt.Errorf("no confirmation in %q", v.Text)
		}
		return nil
	})
	es.do(chromedp.Reload())
	es.homeShows(t, "keeps the name after a reload", func(v homeView) error {
		if v.Name != "Carla" {
			return fmt.Errorf("name %q", v.Name)
		}
		return nil
	})
}
