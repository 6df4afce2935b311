package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"time"

	"github.com/urfave/cli/v2"

	"meshmeet/node/loadtest"
)

func loadtestCommand() *cli.Command {
	d := loadtest.DefaultConfig()
	return &cli.Command{
		Name:      "loadtest",
		Usage:     "run a meeting of synthetic participants through real nodes and report what they receive",
		UsageText: "meshmeet loadtest --participants N --duration D [--relay-only] [--json]",
		Description: "Each participant gets a node of its own on 127.0.0.1 (Badger in a temporary directory, found through a " +
			"rendezvous server started here) and talks to it as a meeting page does, over the events WebSocket, with one pion " +
			"PeerConnection that publishes the test clips (VP8 camera in three simulcast layers when the node takes them, " +
			"Opus microphone) and tells its node the size of its tiles: --small-tiles of the participants show every camera " +
			"at 160x90 (the q layer), the others at 640x360 (f). The first participant creates the meeting and joins first, so it is the relay; it runs as a " +
			"`meshmeet node` process of its own so that its CPU and memory are measured alone, the other nodes run in this " +
			"process (with --in-process the relay too, and its CPU and memory are then the whole process's). " +
			"Reports delivery per layer (packets received over packets that should have been forwarded, last-N counted), " +
			"time to first frame, layer switches, and the relay's CPU, memory and uplink. Run it from the repository's root " +
			"(the clips are in testdata/) or give --clips.",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "participants", Value: d.Participants, Usage: "how many synthetic participants"},
			&cli.DurationFlag{Name: "duration", Value: d.Duration, Usage: "the measured window, once all have joined"},
			&cli.BoolFlag{Name: "relay-only", Usage: "relay the meeting whatever its size (else only above 6)"},
			&cli.BoolFlag{Name: "json", Usage: "print the report as JSON"},
			&cli.IntFlag{Name: "last-n", Usage: "the meeting's last-N: cameras forwarded (0: the default, 9)"},
			&cli.IntFlag{Name: "muted", Value: d.Muted, Usage: fmt.Sprintf("how many participants (the last to join) publish no microphone (-1: all but the first %d)", loadtest.Talkers)},
			&cli.Float64Flag{Name: "small-tiles", Value: d.SmallTiles, Usage: "the share (0 to 1) of participants whose page shows every camera at 160x90 (the q layer; the others 640x360, f), spread over the joining order"},
			&cli.StringFlag{Name: "clips", Value: d.ClipDir, Usage: "directory of the test clips"},
			&cli.DurationFlag{Name: "settle", Value: d.Settle, Usage: "how long the meeting may take to form before measuring"},
			&cli.BoolFlag{Name: "in-process", Usage: "run the relay node in this process too"},
			&cli.StringFlag{Name: "relay-cpuprofile", Hidden: true, Usage: "write the relay process's CPU profile to this file (--cpuprofile: this process's, every participant and its node)"},
			&cli.DurationFlag{Name: "presence-timeout", Value: d.PresenceTimeout, Usage: "the nodes' presence timeout (0: theirs, 6s), with lenient media consent checks and heartbeats every quarter of it; keeps a loaded machine's nodes from losing each other"},
		},
		Action: func(c *cli.Context) error {
			log, err := newLogger(c)
			if err != nil {
				return err
			}
			cfg := d
			cfg.Participants, cfg.Duration, cfg.RelayOnly = c.Int("participants"), c.Duration("duration"), c.Bool("relay-only")
			cfg.LastN, cfg.Muted, cfg.ClipDir, cfg.Settle = c.Int("last-n"), c.Int("muted"), c.String("clips"), c.Duration("settle")
			cfg.PresenceTimeout, cfg.SmallTiles = c.Duration("presence-timeout"), c.Float64("small-tiles")
			// Fifty nodes' start-up and tear-down lines would drown the report: errors only.
			lvl := slog.LevelError
			if log.Enabled(c.Context, slog.LevelDebug) {
				lvl = slog.LevelDebug
			}
			cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))
			if !c.Bool("in-process") {
				exe, err := os.Executable()
				if err != nil {
					return err
				}
				cfg.RelayCommand = []string{exe}
				if f := c.String("relay-cpuprofile"); f != "" {
					cfg.RelayCommand = append(cfg.RelayCommand, "--cpuprofile", f)
				}
			}
			if os.Getenv("GOGC") == "" {
				// The participants and their nodes are the test rig, not what is
				// measured (the relay is its own process, with the default): a
				// fifty-node rig spent a tenth of its CPU on GC at the default 100.
				debug.SetGCPercent(400)
			}
			start := time.Now()
			rep, err := loadtest.Run(c.Context, cfg)
			if err != nil {
				return err
			}
			if c.Bool("json") {
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			log.Debug("load test done", "took", time.Since(start).String())
			return rep.WriteTable(os.Stdout)
		},
	}
}
