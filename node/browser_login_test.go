package node

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserLogin: a browser without the node's token gets the login form, not the app;
// a wrong token is refused; pasting the login address the node printed logs the browser
// in and lands on the join link's meeting, its #fragment kept and the token gone from
// the address bar (TestBrowserLocalDoor follows the logged-in page further).
func TestBrowserLogin(t *testing.T) {
	needChromium(t)
	a := startNode(t, "alice", "")
	m := a.create(t, map[string]any{"title": "Login"})
	b := startBrowser(t, "alice")
	b.do(chromedp.Navigate(uiLink(t, a, m.JoinURL)))
	login := func(value string) {
		t.Helper()
		eventually(t, 10*time.Second, "login form", func() error {
			ok, err := eval[bool](b, fmt.Sprintf(`(() => {
				const f = document.getElementById('login-form');
				if (!f) return false;
				document.getElementById('login-token').value = %q;
				f.querySelector('button').click();
				return true;
			})()`, value))
			if err != nil || !ok {
				return fmt.Errorf("no login form (%v)", err)
			}
			return nil
		})
	}
	eventually(t, 10*time.Second, "the login form, and nothing of the meeting", func() error {
		ok, err := eval[bool](b, `!!document.getElementById('login-form') && !document.querySelector('#prejoin, #tiles')`)
		if err != nil || !ok {
			return fmt.Errorf("no login form (%v)", err)
		}
		return nil
	})
	login("not-the-token")
	eventually(t, 10*time.Second, "wrong token refused", func() error {
		ok, err := eval[bool](b, `!!document.getElementById('login-wrong') && !document.getElementById('login-wrong').hidden`)
		if err != nil || !ok {
			return fmt.Errorf("no 'wrong token' message (%v)", err)
		}
		return nil
	})
	login(a.LoginURL())
	eventually(t, 20*time.Second, "the meeting's pre-join step after login", func() error {
		ok, err := eval[bool](b, `!!document.querySelector('#prejoin')`)
		if err != nil || !ok {
			return fmt.Errorf("no pre-join step yet (%v)", err)
		}
		return nil
	})
	loc, err := eval[map[string]string](b, `({search: location.search, hash: location.hash, path: location.pathname, cookie: document.cookie})`)
	if err != nil {
		t.Fatal(err)
	}
	if loc["search"] != "" || !strings.HasPrefix(loc["hash"], "#k=") || strings.Contains(loc["hash"], "token") || loc["path"] != "/m/"+m.Meeting.ID {
		t.Errorf("after login the page is %v, want /m/<id>#k=… without the token", loc)
	}
	if loc["cookie"] != "" {
		t.Errorf("the page holds cookies %q", loc["cookie"])
	}
}
