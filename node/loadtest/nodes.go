package loadtest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"time"

	"meshmeet/mesh/datadir"
	"meshmeet/node"
	"meshmeet/rendezvous"
)

// readyWithin bounds the start of one node or of the rendezvous.
const readyWithin = 60 * time.Second

// host is one participant's node: in this process, or (the relay, with
// Config.RelayCommand) a `meshmeet node` process of its own.
type host struct {
	api  *node.Client
	self string // peer ID
	n    *node.Node
	errc chan error
	cmd  *exec.Cmd
}

func (h *host) close() {
	if h.n != nil {
		_ = h.n.Close()
	}
	if h.cmd != nil {
		_ = h.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = h.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = h.cmd.Process.Kill()
			<-done
		}
	}
}

// startRendezvous runs a rendezvous server on loopback for the nodes to find each
// other through, as they would across sites.
func startRendezvous(ctx context.Context, dir string, log *slog.Logger) (string, error) {
	key, err := datadir.Dir(dir).Key()
	if err != nil {
		return "", err
	}
	cfg := rendezvous.DefaultConfig()
	cfg.PrivKey = key
	cfg.ListenAddrs = []string{"/ip4/127.0.0.1/tcp/0"}
	cfg.Logger = log
	s, err := rendezvous.New(cfg)
	if err != nil {
		return "", err
	}
	errc := make(chan error, 1)
	go func() { errc <- s.Run(ctx) }()
	select {
	case <-s.Ready():
	case err := <-errc:
		return "", fmt.Errorf("rendezvous: %w", err)
	case <-time.After(readyWithin):
		return "", fmt.Errorf("%w: rendezvous not ready", ErrSetup)
	}
	return s.Addrs()[0].String(), nil
}

// nodeConfig is an in-process node on loopback with its Badger in dir, found
// through the rendezvous only (no mDNS).
func nodeConfig(dir, name, rdv string, meshMax int, log *slog.Logger) node.Config {
	cfg := node.DefaultConfig()
	cfg.DataDir, cfg.UIAddr, cfg.Name = datadir.Dir(dir), "127.0.0.1:0", name
	cfg.Rendezvous = []string{rdv}
	cfg.Mesh.ListenAddrs = []string{"/ip4/127.0.0.1/tcp/0"}
	cfg.Mesh.MDNS = false
	cfg.Mesh.DiscoveryInterval = time.Second
	cfg.Mesh.MeshMax = meshMax
	cfg.Media.ListenIP = "127.0.0.1"
	cfg.Media.MDNSQuery = false
	cfg.Logger = log
	return cfg
}

func startNode(ctx context.Context, cfg node.Config) (*host, error) {
	n, err := node.New(cfg)
	if err != nil {
		return nil, err
	}
	h := &host{n: n, errc: make(chan error, 1)}
	go func() { h.errc <- n.Run(ctx) }()
	select {
	case <-n.Ready():
	case err := <-h.errc:
		return nil, fmt.Errorf("node %s: %w", cfg.Name, err)
	case <-time.After(readyWithin):
		_ = n.Close()
		return nil, fmt.Errorf("%w: node %s not ready", ErrSetup, cfg.Name)
	}
	h.self = n.Mesh().Self().String()
	h.api, err = node.NewClient(n.UIURL(), cfg.DataDir)
	if err != nil {
		_ = n.Close()
		return nil, err
	}
	h.api.HTTP.Timeout = max(h.api.HTTP.Timeout, cfg.Mesh.JoinTimeout+10*time.Second) // the join waits as long
	return h, nil
}

var (
	uiLine = regexp.MustCompile(`^\s*UI:\s+(\S+)`)
	idLine = regexp.MustCompile(`^\s*peer ID:\s+(\S+)`)
)

// startProcess runs `<command> node` with the settings of nodeConfig and waits for
// its banner: the relay as a process of its own, so its CPU and memory are its own.
func startProcess(ctx context.Context, command []string, dir, name, rdv string, meshMax int, presence time.Duration) (*host, error) {
	args := append(slices.Clone(command[1:]), "--log-level", "error", "node", "--data-dir", dir, "--ui", "127.0.0.1:0",
		"--listen", "/ip4/127.0.0.1/tcp/0", "--no-mdns", "--name", name, "--rendezvous", rdv,
		"--mesh-max", strconv.Itoa(meshMax))
	if presence > 0 {
		args = append(args, "--presence-timeout", presence.String(), "--lenient-links")
	}
	cmd := exec.CommandContext(ctx, command[0], args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	h := &host{cmd: cmd}
	ui := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		var base string
		for sc.Scan() {
			if m := uiLine.FindStringSubmatch(sc.Text()); m != nil {
				if u, err := url.Parse(m[1]); err == nil {
					base = u.Scheme + "://" + u.Host
				}
			}
			if m := idLine.FindStringSubmatch(sc.Text()); m != nil && h.self == "" {
				h.self = m[1] // the banner prints the UI first, then the peer ID
				ui <- base
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case u := <-ui:
		h.api, err = node.NewClient(u, datadir.Dir(dir))
		if err != nil {
			h.close()
			return nil, err
		}
	case <-time.After(readyWithin):
		h.close()
		return nil, fmt.Errorf("%w: %s printed no banner", ErrSetup, filepath.Base(command[0]))
	}
	return h, nil
}
