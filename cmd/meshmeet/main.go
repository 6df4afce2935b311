// Command meshmeet runs a meshmeet node or rendezvous server and talks to a
// running node's local API.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v2"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newApp().RunContext(ctx, os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "meshmeet:", err)
		var ec cli.ExitCoder
		if errors.As(err, &ec) {
			os.Exit(ec.ExitCode())
		}
		os.Exit(1)
	}
}

// newApp is the whole command line; the man page and shell completions are
// generated from it.
func newApp() *cli.App {
	return &cli.App{
		Name:                 "meshmeet",
		Usage:                "videoconferencing with no central server",
		Description:          "Every employee runs a node and uses it from a browser on 127.0.0.1; nodes find each other on the LAN (mDNS), through rendezvous servers or known peers. Every flag is also an environment variable (--data-dir is MESHMEET_DATA_DIR) and, for node and rendezvous, a key of the --config file.",
		Version:              versionLine(),
		EnableBashCompletion: true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "log-level", Value: "info", Usage: "debug, info, warn or error", EnvVars: []string{"MESHMEET_LOG_LEVEL"}},
			&cli.StringFlag{Name: "cpuprofile", Hidden: true, Usage: "write a CPU profile of the command's run to this file (for measurements)"},
		},
		Before: startProfile,
		After:  stopProfile,
		Commands: []*cli.Command{
			nodeCommand(), rendezvousCommand(), idCommand(), meetingCommand(), chatCommand(),
			doctorCommand(), loadtestCommand(), completionCommand(), manCommand(),
		},
	}
}
