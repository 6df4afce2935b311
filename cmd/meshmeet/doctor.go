package main

import (
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"meshmeet/node"
	"meshmeet/node/doctor"
)

func doctorCommand() *cli.Command {
	d := node.DefaultConfig()
	return withConfigOf(&cli.Command{
		Name:  "doctor",
		Usage: "check, and explain in words, each thing that would stop a meeting on this machine (exit code 1 if one does)",
		Description: "Give it the node's settings (the same flags, variables or --config file as `meshmeet node`). " +
			"It checks the data dir and key permissions, the UI and media ports, each rendezvous and its latency, " +
			"TURN allocation over UDP, TCP and TLS, mDNS, clock offsets against connected nodes, disk space and a browser.",
		Flags: []cli.Flag{
			dataDirFlag(d.DataDir),
			&cli.StringFlag{Name: "ui", Value: d.UIAddr, Usage: "the node's UI/API address", EnvVars: env("UI")},
			&cli.IntFlag{Name: "media-port", Value: d.Media.UDPPort, Usage: "the node's media UDP port", EnvVars: env("MEDIA_PORT")},
			&cli.StringSliceFlag{Name: "rendezvous", Usage: "rendezvous server multiaddr with /p2p/ (repeatable)", EnvVars: env("RENDEZVOUS")},
			&cli.BoolFlag{Name: "no-mdns", Usage: "the node does not use mDNS: skip that check", EnvVars: env("NO_MDNS")},
			&cli.DurationFlag{Name: "timeout", Value: 5 * time.Second, Usage: "how long each network check may take"},
			&cli.BoolFlag{Name: "json", Usage: "print the checks as JSON, for scripts"},
		},
		Action: func(c *cli.Context) error {
			checks := doctor.Run(c.Context, doctor.Config{
				DataDir: dataDir(c), UIAddr: c.String("ui"), MediaPort: c.Int("media-port"),
				Rendezvous: c.StringSlice("rendezvous"), MDNS: !c.Bool("no-mdns"), Timeout: c.Duration("timeout"),
			})
			if c.Bool("json") {
				if err := doctor.WriteJSON(os.Stdout, checks); err != nil {
					return err
				}
			} else {
				doctor.WriteText(os.Stdout, checks)
			}
			if doctor.Failed(checks) {
				return cli.Exit("", 1)
			}
			return nil
		},
	}, false)
}
