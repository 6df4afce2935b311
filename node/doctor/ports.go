package doctor

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"time"

	"meshmeet/node"
	"meshmeet/webui/api"
)

// running is what a node running at the UI address told doctor.
type running struct {
	info  api.Node
	diag  api.Diagnostics
	token bool // the data dir's token opened its API
}

// checkNode looks at the UI address: a meshmeet node answering there is
// good; a free port means no node runs (doctor then checks that the media
// port is free too); anything else holds the port the node needs.
func checkNode(ctx context.Context, cfg Config) (*running, []Check) {
	base, err := node.APIBase(cfg.UIAddr)
	if err != nil {
		return nil, []Check{{Name: "ui-port", Status: StatusFail, Detail: err.Error() + ".", Hint: "Set --ui to HOST:PORT on a loopback address."}}
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	nd := &running{}
	cl := &node.Client{Base: base, HTTP: &http.Client{Timeout: cfg.Timeout}}
	if err := cl.Do(ctx, http.MethodGet, api.RouteNode, nil, &nd.info); err == nil && nd.info.PeerID != "" {
		ui := Check{Name: "ui-port", Status: StatusOK, Detail: fmt.Sprintf("A meshmeet node (version %s, peer ID %s) answers at %s with %d peers connected.",
			nd.info.Version, nd.info.PeerID, base, len(nd.info.Peers))}
		if c, err := node.NewClient(base, cfg.DataDir); err == nil && c.Do(ctx, http.MethodGet, api.RouteDiagnostics, nil, &nd.diag) == nil {
			nd.token = true
		} else {
			ui.Status, ui.Hint = StatusWarn, "Its API refused this data dir's token: give doctor the node's --data-dir (or --config) to check its media port and clocks."
		}
		return nd, []Check{ui, checkMediaRunning(nd)}
	}
	ln, err := net.Listen("tcp", cfg.UIAddr)
	if err != nil {
		return nil, []Check{{Name: "ui-port", Status: StatusFail,
			Detail: fmt.Sprintf("%s is taken by another program, which is not a meshmeet node: %v.", cfg.UIAddr, err),
			Hint:   "Stop that program, or start the node with another --ui address (and open that one)."},
			checkMediaFree(cfg.MediaPort)}
	}
	ln.Close()
	return nil, []Check{{Name: "ui-port", Status: StatusWarn, Detail: fmt.Sprintf("No node is running: %s is free.", cfg.UIAddr),
		Hint: "Start it with `meshmeet node` (or its service) and run doctor again to check its clocks."},
		checkMediaFree(cfg.MediaPort)}
}

func checkMediaRunning(nd *running) Check {
	if !nd.token {
		return skipped("media-port", "The node's media port is not known without its API token.")
	}
	return Check{Name: "media-port", Status: StatusOK, Detail: fmt.Sprintf("The node carries all media on UDP %s.", nd.diag.MediaAddr),
		Hint: "Across sites, firewalls must let this UDP port through (or nodes fall back to the rendezvous's TURN relay)."}
}

// checkMediaFree: with no node running, the media port must be free for it.
func checkMediaFree(port int) Check {
	if port == 0 {
		return Check{Name: "media-port", Status: StatusOK, Detail: "The node will take any free UDP port for media (--media-port 0).",
			Hint: "A fixed --media-port is easier to open in a firewall."}
	}
	conn, err := net.ListenPacket("udp", ":"+strconv.Itoa(port))
	if err != nil {
		return Check{Name: "media-port", Status: StatusFail,
			Detail: fmt.Sprintf("UDP port %d is taken by another program: %v. The node cannot start its media there.", port, err),
			Hint:   "Stop that program, or choose another --media-port."}
	}
	conn.Close()
	return Check{Name: "media-port", Status: StatusOK, Detail: fmt.Sprintf("UDP port %d is free for the node's media.", port)}
}

// Clock offsets above these move time limits and message order (warn), or
// make a node refuse the others' events as implausible (fail).
const (
	clockWarn = 2 * time.Second
	clockFail = 60 * time.Second
)

func checkClock(nd *running) Check {
	if nd == nil || !nd.token {
		return skipped("clock", "Clocks are compared through a running node; none could be asked.")
	}
	if len(nd.diag.Clock) == 0 {
		return skipped("clock", "The node is connected to no other meshmeet node to compare clocks with.")
	}
	worst := nd.diag.Clock[0]
	for _, o := range nd.diag.Clock {
		if math.Abs(o.OffsetMs) > math.Abs(worst.OffsetMs) {
			worst = o
		}
	}
	off := time.Duration(worst.OffsetMs * float64(time.Millisecond))
	c := Check{Name: "clock", Status: StatusOK, LatencyMs: worst.RTTMs,
		Detail: fmt.Sprintf("Compared with %d nodes; the farthest, %s, is %v away.", len(nd.diag.Clock), worst.PeerID, off.Round(time.Millisecond))}
	switch d := off.Abs(); {
	case d > clockFail:
		c.Status = StatusFail
	case d > clockWarn:
		c.Status = StatusWarn
	}
	if c.Status != StatusOK {
		c.Hint = "Turn on time synchronisation (NTP) on both machines, e.g. `timedatectl set-ntp true`: meeting time limits and message order follow each author's clock."
	}
	return c
}
