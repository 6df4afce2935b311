package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"meshmeet/mesh/datadir"
	"meshmeet/node"
	"meshmeet/node/netnstest"
)

// bed is a test bed of offices: a site is a bridge (in a namespace of its own) with a
// namespace per node on it, joined to a router namespace by its WAN link, a veth pair
// limited by tbf both ways; a rendezvous sits in one more namespace behind the router.
//
//	node ns ──┐                        ┌── site 2 …
//	node ns ──┼─ br0 [site ns] ─wan══sN─ [router ns] ─rv── [rendezvous ns]
//	node ns ──┘                        └── site 3 …
//
// Site i is 10.6i.0.0/24 (the router 10.6i.0.1, node k 10.6i.0.1k); the rendezvous is
// 10.69.0.2 (and 10.69.0.3 for TURN over TLS). The kernel here has no netem, so the WAN
// has no delay or loss, only a rate.
type bed struct {
	tag    string
	router string
	rv     string // the rendezvous namespace
	sites  int
}

// wanRate is each WAN link's rate, each way.
const wanRate = "20mbit"

// newBed makes a bed of n sites, or skips the test where namespaces cannot be made.
func newBed(t *testing.T, n int) *bed {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the sites test bed needs root (network namespaces)")
	}
	if _, err := exec.LookPath("tc"); err != nil {
		t.Skip("the sites test bed needs tc (iproute2)")
	}
	b := &bed{tag: strconv.Itoa(os.Getpid() % 10000), sites: n}
	b.router, b.rv = "mm3r"+b.tag, "mm3v"+b.tag
	b.addNS(t, b.router)
	b.addNS(t, b.rv)
	b.run(t, []string{"ip", "netns", "exec", b.router, "sysctl", "-qw", "net.ipv4.ip_forward=1"})
	b.ip(t, "link", "add", "rv", "netns", b.router, "type", "veth", "peer", "name", "eth0", "netns", b.rv)
	b.ip(t, "-n", b.router, "addr", "add", "10.69.0.1/24", "dev", "rv")
	b.ip(t, "-n", b.router, "link", "set", "rv", "up")
	b.ip(t, "-n", b.rv, "addr", "add", "10.69.0.2/24", "dev", "eth0")
	b.ip(t, "-n", b.rv, "addr", "add", "10.69.0.3/24", "dev", "eth0")
	b.ip(t, "-n", b.rv, "link", "set", "eth0", "up")
	b.ip(t, "-n", b.rv, "route", "add", "default", "via", "10.69.0.1")
	for i := 1; i <= n; i++ {
		s := b.siteNS(i)
		b.addNS(t, s)
		b.ip(t, "-n", s, "link", "add", "br0", "type", "bridge")
		b.ip(t, "-n", s, "link", "set", "br0", "up")
		wan := "s" + strconv.Itoa(i)
		b.ip(t, "link", "add", "wan", "netns", s, "type", "veth", "peer", "name", wan, "netns", b.router)
		b.ip(t, "-n", s, "link", "set", "wan", "master", "br0")
		b.ip(t, "-n", s, "link", "set", "wan", "up")
		b.ip(t, "-n", b.router, "addr", "add", b.subnet(i)+".1/24", "dev", wan)
		b.ip(t, "-n", b.router, "link", "set", wan, "up")
		for _, end := range [][]string{{"-n", s, "wan"}, {"-n", b.router, wan}} {
			b.run(t, []string{"tc", end[0], end[1], "qdisc", "add", "dev", end[2], "root", "tbf", "rate", wanRate, "burst", "64kb", "latency", "200ms"})
		}
	}
	return b
}

func (b *bed) siteNS(i int) string    { return fmt.Sprintf("mm3s%d-%s", i, b.tag) }
func (b *bed) nodeNS(i, k int) string { return fmt.Sprintf("mm3n%d%d-%s", i, k, b.tag) }
func (b *bed) subnet(i int) string    { return "10.6" + strconv.Itoa(i) + ".0" }

func (b *bed) addNS(t *testing.T, ns string) {
	t.Helper()
	if err := ipCmd("netns", "add", ns); err != nil {
		t.Skipf("network namespaces unavailable: %v", err)
	}
	t.Cleanup(func() { _ = ipCmd("netns", "del", ns) })
	b.ip(t, "-n", ns, "link", "set", "lo", "up")
}

func (b *bed) ip(t *testing.T, args ...string) {
	t.Helper()
	if err := ipCmd(args...); err != nil {
		t.Fatal(err)
	}
}

func (b *bed) run(t *testing.T, argv []string) {
	t.Helper()
	if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%v: %v: %s", argv, err, out)
	}
}

// addNode gives node k of site i a namespace on the site's bridge; it returns the
// namespace and the node's address.
func (b *bed) addNode(t *testing.T, i, k int) (string, string) {
	t.Helper()
	ns, addr := b.nodeNS(i, k), fmt.Sprintf("%s.%d", b.subnet(i), 10+k)
	b.addNS(t, ns)
	port := "n" + strconv.Itoa(k)
	b.ip(t, "link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name", port, "netns", b.siteNS(i))
	b.ip(t, "-n", b.siteNS(i), "link", "set", port, "master", "br0")
	b.ip(t, "-n", b.siteNS(i), "link", "set", port, "up")
	b.ip(t, "-n", ns, "addr", "add", addr+"/24", "dev", "eth0")
	b.ip(t, "-n", ns, "link", "set", "eth0", "up")
	b.ip(t, "-n", ns, "route", "add", "default", "via", b.subnet(i)+".1")
	return ns, addr
}

// wan is what crossed site i's WAN link so far: bytes into the site and out of it.
func (b *bed) wan(t *testing.T, i int) (in, out uint64) {
	t.Helper()
	raw, err := exec.Command("ip", "-n", b.router, "-s", "-j", "link", "show", "dev", "s"+strconv.Itoa(i)).Output()
	if err != nil {
		t.Fatal(err)
	}
	var links []struct {
		Stats struct {
			RX struct{ Bytes uint64 } `json:"rx"`
			TX struct{ Bytes uint64 } `json:"tx"`
		} `json:"stats64"`
	}
	if err := json.Unmarshal(raw, &links); err != nil || len(links) != 1 {
		t.Fatalf("ip -s link: %v %s", err, raw)
	}
	return links[0].Stats.TX.Bytes, links[0].Stats.RX.Bytes // the router sends into the site
}

// cut drops everything to and from site i at the router (blackhole rules); heal undoes it.
func (b *bed) cut(t *testing.T, i int) {
	t.Helper()
	b.ip(t, "-n", b.router, "rule", "add", "to", b.subnet(i)+".0/24", "blackhole", "prio", "10")
	b.ip(t, "-n", b.router, "rule", "add", "from", b.subnet(i)+".0/24", "blackhole", "prio", "11")
}

func (b *bed) heal(t *testing.T, i int) {
	t.Helper()
	b.ip(t, "-n", b.router, "rule", "del", "prio", "10")
	b.ip(t, "-n", b.router, "rule", "del", "prio", "11")
}

// only443 lets only TCP to and from port 443 through site i's WAN link (policy routing
// at the router: this kernel has no netfilter and no tc drop action).
func (b *bed) only443(t *testing.T, i int) {
	t.Helper()
	site := b.subnet(i) + ".0/24"
	for _, rule := range [][]string{
		{"from", site, "ipproto", "tcp", "dport", "443", "lookup", "main", "prio", "20"},
		{"from", site, "blackhole", "prio", "21"},
		{"to", site, "ipproto", "tcp", "sport", "443", "lookup", "main", "prio", "22"},
		{"to", site, "blackhole", "prio", "23"},
	} {
		b.ip(t, append([]string{"-n", b.router, "rule", "add"}, rule...)...)
	}
}

// bedNode is a node process in the bed, with a client of its API that dials inside its
// namespace.
type bedNode struct {
	*proc
	site, k int
	ns, ip  string
	c       *node.Client
}

func (b *bed) startNode(t *testing.T, i, k int, extra ...string) *bedNode {
	t.Helper()
	ns, addr := b.addNode(t, i, k)
	dir := t.TempDir()
	args := append([]string{"--data-dir", dir, "--name", fmt.Sprintf("s%dn%d", i, k), "--ui", "127.0.0.1:0",
		"--listen", "/ip4/" + addr + "/tcp/0", "--no-mdns"}, extra...)
	p := startProcIn(t, []string{"ip", "netns", "exec", ns}, nil, args...)
	c, err := node.NewClient(p.ui, datadir.Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	lan := netnstest.LAN{Name: ns, IP: addr}
	c.HTTP = &http.Client{Timeout: c.HTTP.Timeout, Transport: &http.Transport{DialContext: lan.DialContext}}
	return &bedNode{proc: p, site: i, k: k, ns: ns, ip: addr, c: c}
}

func (n *bedNode) do(method, path string, body, out any) error {
	return n.c.Do(context.Background(), method, path, body, out)
}

// reaches says whether n gets an answer from addr: a TCP connection, or for UDP a TURN
// server's answer to a STUN binding request.
func (n *bedNode) reaches(network, addr string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	lan := netnstest.LAN{Name: n.ns, IP: n.ip}
	c, err := lan.DialContext(ctx, network, addr)
	if err != nil {
		return false
	}
	defer c.Close()
	if network == "tcp" {
		return true
	}
	// A STUN binding request (RFC 5389): type 0x0001, length 0, the magic cookie, an ID.
	req := []byte{0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write(req); err != nil {
		return false
	}
	_, err = c.Read(make([]byte, 512))
	return err == nil
}
