//go:build linux

// Package netnstest gives tests a network of their own: a Linux network
// namespace with loopback and one multicast-capable interface, so that test
// traffic, mDNS multicast above all, never reaches the machine's own
// interfaces or its neighbours. Making one needs root and iproute2; tests
// skip without them.
package netnstest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"
)

// LAN is a network namespace with one interface at IP (a /24).
type LAN struct {
	Name string
	IP   string
}

var seq atomic.Int32

func ip(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

// NewLAN makes a namespace whose interface has address addr (an IPv4
// address), with loopback up and multicast routed to the interface; it is
// deleted when the test ends. It skips the test where namespaces cannot be
// made (not root, no ip command).
func NewLAN(t testing.TB, addr string) LAN {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("network namespaces need root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("no ip command (iproute2)")
	}
	l := LAN{Name: fmt.Sprintf("mmlan%d-%d", os.Getpid()%100000, seq.Add(1)), IP: addr}
	if err := ip("netns", "add", l.Name); err != nil {
		t.Skipf("network namespaces unavailable: %v", err)
	}
	t.Cleanup(func() { _ = ip("netns", "del", l.Name) })
	for _, step := range [][]string{
		{"link", "set", "lo", "up"},
		// A veth pair with both ends inside: the far end gives the
		// interface a carrier (the kernel may lack the dummy driver).
		{"link", "add", "lan0", "type", "veth", "peer", "name", "lan1"},
		{"link", "set", "lan0", "multicast", "on"},
		{"addr", "add", addr + "/24", "dev", "lan0"},
		{"link", "set", "lan1", "up"},
		{"link", "set", "lan0", "up"},
		{"route", "add", "224.0.0.0/4", "dev", "lan0"},
	} {
		if err := ip(append([]string{"-n", l.Name}, step...)...); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

// Exec is the command prefix that runs a program inside the namespace.
func (l LAN) Exec() []string { return []string{"ip", "netns", "exec", l.Name} }

// DialContext dials from inside the namespace (an http.Transport's dialer
// for a node API listening on the namespace's loopback).
func (l LAN) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	type result struct {
		c   net.Conn
		err error
	}
	done := make(chan result, 1)
	go func() {
		// The thread enters the namespace and is never unlocked: it ends
		// with this goroutine instead of going back to the scheduler.
		runtime.LockOSThread()
		fd, err := unix.Open("/var/run/netns/"+l.Name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			done <- result{nil, fmt.Errorf("open netns %s: %w", l.Name, err)}
			return
		}
		err = unix.Setns(fd, unix.CLONE_NEWNET)
		_ = unix.Close(fd)
		if err != nil {
			done <- result{nil, fmt.Errorf("enter netns %s: %w", l.Name, err)}
			return
		}
		var d net.Dialer
		c, err := d.DialContext(ctx, network, addr)
		done <- result{c, err}
	}()
	r := <-done
	return r.c, r.err
}

// envInside names the test that runs inside its own namespace.
const envInside = "MESHMEET_NETNS_TEST"

// Rerun runs the calling test again, alone, inside a new LAN with address
// addr, and reports false; inside that run it reports true, and the test
// goes on there. Use it as
//
//	if !netnstest.Rerun(t, "10.78.0.1") {
//		return
//	}
//
// for an in-process test whose traffic must stay off the machine's network.
func Rerun(t *testing.T, addr string) bool {
	t.Helper()
	if os.Getenv(envInside) == t.Name() {
		return true
	}
	l := NewLAN(t, addr)
	args := append(l.Exec(), os.Args[0], "-test.run", "^"+t.Name()+"$", "-test.count=1", "-test.v")
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), envInside+"="+t.Name())
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("%s in its own network namespace: %v\n%s", t.Name(), err, out)
	}
	return false
}
