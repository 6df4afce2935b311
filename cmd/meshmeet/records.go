package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/urfave/cli/v2"

	"meshmeet/node"
	"meshmeet/webui/api"
)

func exportCommand() *cli.Command {
	return &cli.Command{
		Name: "export", Usage: "write a meeting's record: participants, chat (files by name and SHA-256) and activity",
		ArgsUsage: "<meeting-id>",
		Flags: append(apiFlags(),
			&cli.StringFlag{Name: "format", Value: "md", Usage: "md, html or json"},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "write to this file (never overwritten) instead of standard output"},
		),
		Action: func(c *cli.Context) error {
			format, out := c.String("format"), c.String("out")
			// urfave/cli stops at the first argument; the spelling
			// puts the flags after the ID, so read them there too.
			fs := flag.NewFlagSet("export", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			fs.StringVar(&format, "format", format, "")
			fs.StringVar(&out, "out", out, "")
			fs.StringVar(&out, "o", out, "")
			if c.NArg() < 1 || fs.Parse(c.Args().Tail()) != nil || fs.NArg() > 0 {
				return cli.Exit("usage: meshmeet meeting export <meeting-id> [--format md|html|json] [--out PATH]", 2)
			}
			cl, err := node.NewClient(c.String("api"), dataDir(c))
			if err != nil {
				return err
			}
			var w io.Writer = os.Stdout
			if out != "" {
				f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
				if err != nil {
					return cli.Exit(err.Error(), 1)
				}
				defer f.Close()
				w = f
			}
			if err := cl.ExportMeeting(c.Context, c.Args().First(), format, w); err != nil {
				if out != "" {
					os.Remove(out)
				}
				return cli.Exit(err.Error(), 1)
			}
			if out != "" {
				fmt.Fprintln(os.Stderr, "saved", out)
			}
			return nil
		},
	}
}

func deleteCommand() *cli.Command {
	return &cli.Command{
		Name:      "delete",
		Usage:     "delete this node's copy of a meeting: it leaves, and its history, files and recordings here are removed (other members keep theirs; its link joins it again)",
		ArgsUsage: "<meeting-id>", Flags: apiFlags(),
		Action: func(c *cli.Context) error {
			id, err := arg(c, "meeting-id")
			if err != nil {
				return err
			}
			return call(c, http.MethodDelete, api.Path(api.RouteMeeting, id), nil, func(none) { fmt.Println("deleted", c.Args().First()) })
		},
	}
}
