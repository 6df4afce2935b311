package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"
)

// site is one office: a network namespace whose nodes share its address. Two sites are
// joined by a veth pair, the WAN link between them.
type site struct {
	ns, ip, peerIP string
}

func ipCmd(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %v: %v: %s", args, err, out)
	}
	return nil
}

// twoSites makes sites A (10.77.0.1) and B (10.77.0.2) for the test, or skips it where
// network namespaces cannot be made (not root, no iproute2).
func twoSites(t *testing.T) (site, site) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("network namespaces need root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("no ip command (iproute2)")
	}
	tag := strconv.Itoa(os.Getpid() % 100000)
	a := site{ns: "mmA" + tag, ip: "10.77.0.1", peerIP: "10.77.0.2"}
	b := site{ns: "mmB" + tag, ip: "10.77.0.2", peerIP: "10.77.0.1"}
	if err := ipCmd("netns", "add", a.ns); err != nil {
		t.Skipf("network namespaces unavailable: %v", err)
	}
	t.Cleanup(func() { _ = ipCmd("netns", "del", a.ns) })
	if err := ipCmd("netns", "add", b.ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ipCmd("netns", "del", b.ns) })
	va, vb := "mva"+tag, "mvb"+tag
	steps := [][]string{
		{"link", "add", va, "type", "veth", "peer", "name", vb},
		{"link", "set", va, "netns", a.ns},
		{"link", "set", vb, "netns", b.ns},
	}
	for _, s := range []struct {
		site
		dev string
	}{{a, va}, {b, vb}} {
		steps = append(steps,
			[]string{"-n", s.ns, "link", "set", "lo", "up"},
			[]string{"-n", s.ns, "addr", "add", s.ip + "/24", "dev", s.dev},
			[]string{"-n", s.ns, "link", "set", s.dev, "up"})
	}
	for _, st := range steps {
		if err := ipCmd(st...); err != nil {
			t.Fatal(err)
		}
	}
	return a, b
}

// cut drops everything from s to the other site (a blackhole route); heal undoes it.
func (s site) cut(t *testing.T) {
	if err := ipCmd("-n", s.ns, "route", "add", "blackhole", s.peerIP+"/32"); err != nil {
		t.Fatal(err)
	}
}

func (s site) heal(t *testing.T) {
	if err := ipCmd("-n", s.ns, "route", "del", "blackhole", s.peerIP+"/32"); err != nil {
		t.Fatal(err)
	}
}

// siteNode is a node process in a site, driven by the CLI run in the same namespace.
type siteNode struct {
	*proc
	site site
	dir  string
}

func startSiteNode(t *testing.T, s site, name string, peers ...*siteNode) *siteNode {
	t.Helper()
	dir := t.TempDir()
	args := []string{"--data-dir", dir, "--name", name, "--ui", "127.0.0.1:0", "--listen", "/ip4/" + s.ip + "/tcp/0", "--no-mdns"}
	for _, p := range peers {
		args = append(args, "--peer", p.addrs[0])
	}
	return &siteNode{proc: startProcIn(t, []string{"ip", "netns", "exec", s.ns}, nil, args...), site: s, dir: dir}
}

// cli runs "meshmeet <cmd...> --data-dir D --api A <args...>" against the node, inside
// its site.
func (n *siteNode) cli(cmd []string, args ...string) (string, error) {
	argv := append([]string{"netns", "exec", n.site.ns, binary}, cmd...)
	argv = append(append(argv, "--data-dir", n.dir, "--api", n.ui), args...)
	out, err := exec.Command("ip", argv...).CombinedOutput()
	return string(out), err
}

func (n *siteNode) texts(id string) ([]string, error) {
	out, err := n.cli([]string{"chat", "history"}, "--json", id)
	if err != nil {
		return nil, fmt.Errorf("%v: %s", err, out)
	}
	var ms []message
	if err := json.Unmarshal([]byte(out), &ms); err != nil {
		return nil, fmt.Errorf("history %q: %v", out, err)
	}
	var texts []string
	for _, m := range ms {
		texts = append(texts, m.Text)
	}
	return texts, nil
}

// TestSitesSurviveLinkLoss: two offices, two nodes each, in one meeting over a WAN link.
// The link is cut: each office keeps chatting among itself. When it heals, every node
// has every message exactly once, in the same order.
func TestSitesSurviveLinkLoss(t *testing.T) {
	a, b := twoSites(t)
	a1 := startSiteNode(t, a, "a1")
	a2 := startSiteNode(t, a, "a2", a1)
	b1 := startSiteNode(t, b, "b1", a1)
	b2 := startSiteNode(t, b, "b2", b1)
	all := []*siteNode{a1, a2, b1, b2}

	out, err := a1.cli([]string{"meeting", "create"}, "--title", "Two offices")
	link := regexp.MustCompile(`join link: (\S+)`).FindStringSubmatch(out)
	if err != nil || link == nil {
		t.Fatalf("create: %v %s", err, out)
	}
	id := regexp.MustCompile(`/m/([0-9a-f]{32})#`).FindStringSubmatch(link[1])[1]
	for _, n := range all {
		eventually(t, 30*time.Second, "join", func() error {
			if out, err := n.cli([]string{"meeting", "join"}, link[1]); err != nil {
				return fmt.Errorf("%v: %s", err, out)
			}
			return nil
		})
	}
	say := func(n *siteNode, text string) {
		t.Helper()
		if out, err := n.cli([]string{"chat", "send"}, id, text); err != nil {
			t.Fatalf("send %q: %v %s", text, err, out)
		}
	}
	has := func(n *siteNode, want ...string) func() error {
		return func() error {
			texts, err := n.texts(id)
			if err != nil {
				return err
			}
			for _, w := range want {
				if !slices.Contains(texts, w) {
					return fmt.Errorf("%v lacks %q", texts, w)
				}
			}
			return nil
		}
	}
	say(a1, "before")
	for _, n := range all {
		eventually(t, 30*time.Second, "everyone has the first line", has(n, "before"))
	}

	a.cut(t)
	b.cut(t)
	say(a2, "from office A")
	say(b2, "from office B")
	eventually(t, 15*time.Second, "office A chats on", has(a1, "from office A"))
	eventually(t, 15*time.Second, "office B chats on", has(b1, "from office B"))
	// Each office sees the other go (presence times out), and nothing crosses.
	eventually(t, 20*time.Second, "office A sees office B gone", online(a1, id, 2))
	eventually(t, 20*time.Second, "office B sees office A gone", online(b1, id, 2))
	if err := has(a1, "from office B")(); err == nil {
		t.Fatal("a line crossed the cut link")
	}

	a.heal(t)
	b.heal(t)
	var ref []string
	for _, n := range all {
		eventually(t, 60*time.Second, "converged after the link heals", has(n, "before", "from office A", "from office B"))
		eventually(t, 30*time.Second, "everyone online again", online(n, id, 4))
	}
	for i, n := range all {
		texts, err := n.texts(id)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			ref = texts
		} else if !slices.Equal(texts, ref) {
			t.Fatalf("histories differ: %v and %v", texts, ref)
		}
	}
	if len(ref) != 3 {
		t.Fatalf("history %v, want three lines once each", ref)
	}
}

// online checks how many participants n shows online in the meeting.
func online(n *siteNode, id string, want int) func() error {
	return func() error {
		out, err := n.cli([]string{"meeting", "show"}, "--json", id)
		if err != nil {
			return fmt.Errorf("%v: %s", err, out)
		}
		var m struct {
			Participants []struct {
				Name   string `json:"name"`
				Online bool   `json:"online"`
			} `json:"participants"`
		}
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			return fmt.Errorf("show %q: %v", out, err)
		}
		var on []string
		for _, p := range m.Participants {
			if p.Online {
				on = append(on, p.Name)
			}
		}
		if len(on) != want {
			return fmt.Errorf("online %v, want %d", on, want)
		}
		return nil
	}
}

// linked checks that n's media link to every other node of the meeting is connected
// (and, with after given, was rebuilt or restarted more than after times).
func linked(n *siteNode, id string, want int, after ...int64) func() error {
	return func() error {
		out, err := n.cli([]string{"meeting", "media"}, "--json", id)
		if err != nil {
			return fmt.Errorf("%v: %s", err, out)
		}
		var m struct {
			Links []struct {
				State       string `json:"state"`
				Rebuilds    int64  `json:"rebuilds"`
				ICERestarts int64  `json:"iceRestarts"`
			} `json:"links"`
		}
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			return fmt.Errorf("media %q: %v", out, err)
		}
		up := 0
		for _, l := range m.Links {
			if l.State == "connected" && (len(after) == 0 || l.Rebuilds+l.ICERestarts > after[0]) {
				up++
			}
		}
		if up != want {
			return fmt.Errorf("media links %+v, want %d connected", m.Links, want)
		}
		return nil
	}
}

// roam gives the laptop's site a new address, as a laptop that moved to
// another network (its old address is gone; the other site still routes to
// the new one).
func (s *site) roam(t *testing.T, dev, newIP string) {
	t.Helper()
	for _, st := range [][]string{
		{"-n", s.ns, "addr", "del", s.ip + "/24", "dev", dev},
		{"-n", s.ns, "addr", "add", newIP + "/24", "dev", dev},
	} {
		if err := ipCmd(st...); err != nil {
			t.Fatal(err)
		}
	}
	s.ip = newIP
}

// TestLaptopRoams (issue 10): a laptop in a meeting moves to another network
// (its address changes under it); without a click it is back in the
// meeting, chat and media, on both sides. It logs how long that took.
func TestLaptopRoams(t *testing.T) {
	a, b := twoSites(t)
	office := startSiteNode(t, a, "office")
	dir := t.TempDir()
	args := []string{"--data-dir", dir, "--name", "laptop", "--ui", "127.0.0.1:0", "--listen", "/ip4/0.0.0.0/tcp/0", "--no-mdns", "--peer", office.addrs[0]}
	laptop := &siteNode{proc: startProcIn(t, []string{"ip", "netns", "exec", b.ns}, nil, args...), site: b, dir: dir}
	out, err := office.cli([]string{"meeting", "create"}, "--title", "Roaming")
	link := regexp.MustCompile(`join link: (\S+)`).FindStringSubmatch(out)
	if err != nil || link == nil {
		t.Fatalf("create: %v %s", err, out)
	}
	id := regexp.MustCompile(`/m/([0-9a-f]{32})#`).FindStringSubmatch(link[1])[1]
	for _, n := range []*siteNode{office, laptop} {
		eventually(t, 30*time.Second, "join", func() error {
			if out, err := n.cli([]string{"meeting", "join"}, link[1]); err != nil {
				return fmt.Errorf("%v: %s", err, out)
			}
			return nil
		})
	}
	for _, n := range []*siteNode{office, laptop} {
		eventually(t, 30*time.Second, n.site.ns+" sees both", online(n, id, 2))
		eventually(t, 30*time.Second, n.site.ns+" media linked", linked(n, id, 1))
	}

	dev := "mvb" + strconv.Itoa(os.Getpid()%100000)
	b.roam(t, dev, "10.77.0.3")
	laptop.site = b
	start := time.Now()
	i := 0
	eventually(t, 60*time.Second, "the laptop's chat reaches the office", func() error {
		i++
		text := fmt.Sprint("from the new network ", i)
		if out, err := laptop.cli([]string{"chat", "send"}, id, text); err != nil {
			return fmt.Errorf("%v: %s", err, out)
		}
		texts, err := office.texts(id)
		if err != nil || !slices.ContainsFunc(texts, func(s string) bool { return regexp.MustCompile(`^from the new network`).MatchString(s) }) {
			return fmt.Errorf("office has %v (%v)", texts, err)
		}
		return nil
	})
	chat := time.Since(start)
	t.Logf("chat back in %v", chat)
	eventually(t, 60*time.Second, "the office's media link is rebuilt to the laptop's new address", linked(office, id, 1, 0))
	eventually(t, 60*time.Second, "the laptop's media link is up again", linked(laptop, id, 1))
	t.Logf("after the laptop's address changed: chat back in %v, media in %v", chat, time.Since(start))
}
