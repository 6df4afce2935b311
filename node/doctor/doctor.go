// Package doctor checks, one by one, the things that stop a meshmeet
// meeting on this machine — data dir and key permissions, the UI and media
// ports, the rendezvous and its TURN relay, mDNS, clocks, disk space, a
// browser — and says in words what is wrong and what to do.
package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"meshmeet/mesh/datadir"
	"os/exec"
	"time"
)

// Status is a check's verdict. Only StatusFail makes doctor exit non-zero:
// a warning is something that may stop some meetings, not all.
type Status string

const (
	StatusOK   Status = "ok"
	StatusWarn Status = "warn"
	StatusFail Status = "fail"
	StatusSkip Status = "skip"
)

// Check is one finding.
type Check struct {
	Name      string  `json:"name"` // stable: data-dir, identity-key, api-token, ui-port, media-port, rendezvous, turn-udp, turn-tcp, turn-tls, mdns, clock, disk, browser
	Status    Status  `json:"status"`
	Detail    string  `json:"detail"`              // what was found, as a sentence
	Hint      string  `json:"hint,omitempty"`      // what to do about it
	LatencyMs float64 `json:"latencyMs,omitempty"` // a round trip, where one was measured
}

// Config says which node doctor looks at: the same settings `meshmeet
// node` takes.
type Config struct {
	DataDir    datadir.Dir
	UIAddr     string // HOST:PORT of the node's UI and API
	MediaPort  int    // the node's media UDP port (0: any)
	Rendezvous []string
	MDNS       bool
	// Timeout bounds each network check.
	Timeout time.Duration
	// LookPath finds a browser; nil is exec.LookPath.
	LookPath func(string) (string, error)
}

// Run runs every check, in the order a person would fix things.
func Run(ctx context.Context, cfg Config) []Check {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.LookPath == nil {
		cfg.LookPath = exec.LookPath
	}
	out := checkDataDir(cfg.DataDir)
	nd, checks := checkNode(ctx, cfg)
	out = append(out, checks...)
	out = append(out, checkRendezvous(ctx, cfg)...)
	out = append(out, checkMDNS(ctx, cfg))
	out = append(out, checkClock(nd), checkDisk(cfg.DataDir.Path()), checkBrowser(cfg.LookPath))
	return out
}

// Failed reports whether any check failed.
func Failed(checks []Check) bool {
	for _, c := range checks {
		if c.Status == StatusFail {
			return true
		}
	}
	return false
}

// Find returns the check of that name (for tests and scripts).
func Find(checks []Check, name string) (Check, bool) {
	for _, c := range checks {
		if c.Name == name {
			return c, true
		}
	}
	return Check{}, false
}

// WriteText prints the checks for a person, one block each.
func WriteText(w io.Writer, checks []Check) {
	mark := map[Status]string{StatusOK: "[ ok ]", StatusWarn: "[warn]", StatusFail: "[FAIL]", StatusSkip: "[skip]"}
	for _, c := range checks {
		fmt.Fprintf(w, "%s %-12s %s\n", mark[c.Status], c.Name, c.Detail)
		if c.Hint != "" {
			fmt.Fprintf(w, "       %-12s → %s\n", "", c.Hint)
		}
	}
	if Failed(checks) {
		fmt.Fprintln(w, "Some checks failed: meetings will not work until they are fixed.")
	} else {
		fmt.Fprintln(w, "Nothing stops a meeting on this machine.")
	}
}

// WriteJSON prints the checks for scripts.
func WriteJSON(w io.Writer, checks []Check) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		OK     bool    `json:"ok"`
		Checks []Check `json:"checks"`
	}{!Failed(checks), checks})
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
