// Package nodeproc runs meshmeet node and rendezvous processes for tests and benchmarks
// that must run the way people do: separate processes that find each other through a
// rendezvous. It builds the binary once per test binary.
package nodeproc

import (
	"bufio"
	"io"
	"meshmeet/mesh/datadir"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

var build = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "meshmeet-bin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "meshmeet")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	out, err := exec.Command("go", "build", "-o", bin, "meshmeet/cmd/meshmeet").CombinedOutput()
	if err != nil {
		return "", &buildError{err, string(out)}
	}
	return bin, nil
})

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return "build meshmeet: " + e.err.Error() + "\n" + e.out }

// Build builds the meshmeet binary on first use and returns its path.
func Build() (string, error) { return build() }

// Binary is Build for a test.
func Binary(tb testing.TB) string {
	tb.Helper()
	bin, err := build()
	if err != nil {
		tb.Fatal(err)
	}
	return bin
}

// Proc is a running `meshmeet node`.
type Proc struct {
	Cmd   *exec.Cmd
	Dir   datadir.Dir // its data dir
	UI    string      // the API base, e.g. http://127.0.0.1:41234
	Login string      // the login address it printed
	ID    string      // its peer ID
	Addrs []string    // its libp2p listen addresses
}

var (
	uiLine     = regexp.MustCompile(`^\s*UI:\s+(\S+)`)
	idLine     = regexp.MustCompile(`^\s*peer ID:\s+(\S+)`)
	listenLine = regexp.MustCompile(`^\s*listen:\s+(\S+)`)
)

// Node starts `meshmeet node` on loopback with a new data dir (no mDNS) and extra args,
// and waits for its banner; the process is killed when the test ends.
func Node(tb testing.TB, extra ...string) *Proc {
	tb.Helper()
	p := &Proc{Dir: datadir.Dir(tb.TempDir())}
	args := append([]string{"node", "--data-dir", p.Dir.Path(), "--ui", "127.0.0.1:0", "--listen", "/ip4/127.0.0.1/tcp/0", "--no-mdns"}, extra...)
	p.Cmd = exec.Command(Binary(tb), args...)
	ready := make(chan struct{})
	start(tb, p.Cmd, func(line string) {
		if m := uiLine.FindStringSubmatch(line); m != nil {
			if u, err := url.Parse(m[1]); err == nil {
				p.UI, p.Login = u.Scheme+"://"+u.Host, m[1]
			}
		}
		if m := idLine.FindStringSubmatch(line); m != nil {
			p.ID = m[1]
		}
		if m := listenLine.FindStringSubmatch(line); m != nil {
			p.Addrs = append(p.Addrs, m[1])
			if len(p.Addrs) == 1 {
				close(ready)
			}
		}
	})
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		tb.Fatal("node printed no banner")
	}
	return p
}

// Kill ends the process with SIGKILL.
func (p *Proc) Kill() { _ = p.Cmd.Process.Kill() }

// Rendezvous starts `meshmeet rendezvous` on loopback and returns its multiaddr.
func Rendezvous(tb testing.TB, extra ...string) string {
	tb.Helper()
	return RendezvousIn(tb, nil, "127.0.0.1", extra...)
}

// RendezvousIn starts `meshmeet rendezvous` listening on ip, run through prefix (such
// as "ip netns exec NS"), and returns its multiaddr.
func RendezvousIn(tb testing.TB, prefix []string, ip string, extra ...string) string {
	tb.Helper()
	argv := append(slices.Clone(prefix), Binary(tb), "rendezvous", "--data-dir", tb.TempDir(), "--listen", "/ip4/"+ip+"/tcp/0")
	cmd := exec.Command(argv[0], append(argv[1:], extra...)...)
	addr := regexp.MustCompile(`^\s*(/ip4/` + regexp.QuoteMeta(ip) + `/tcp/\d+/p2p/12D3\S+)`)
	found := make(chan string, 1)
	start(tb, cmd, func(line string) {
		if m := addr.FindStringSubmatch(line); m != nil {
			select {
			case found <- m[1]:
			default:
			}
		}
	})
	select {
	case a := <-found:
		return a
	case <-time.After(20 * time.Second):
		tb.Fatal("rendezvous printed no multiaddr")
		return ""
	}
}

// start runs cmd, hands each line it prints to onLine, and kills it when the test ends.
func start(tb testing.TB, cmd *exec.Cmd, onLine func(string)) {
	tb.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			onLine(sc.Text())
		}
	}()
}
