package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"meshmeet/node"
	"meshmeet/webui/api"
)

func shareCommand() *cli.Command {
	return &cli.Command{
		Name: "share", Usage: "share a file in a meeting's chat (up to 64 MiB)", ArgsUsage: "<meeting-id> <file>", Flags: apiFlags(),
		Action: func(c *cli.Context) error {
			if c.NArg() != 2 {
				return cli.Exit("usage: meshmeet chat share <meeting-id> <file>", 2)
			}
			cl, err := node.NewClient(c.String("api"), dataDir(c))
			if err != nil {
				return err
			}
			msg, err := cl.ShareFile(c.Context, c.Args().Get(0), c.Args().Get(1))
			if err != nil {
				return cli.Exit(err.Error(), 1)
			}
			fmt.Printf("shared %s (%d bytes), sha256 %s\n", msg.File.Name, msg.File.Size, msg.File.SHA256)
			return nil
		},
	}
}

func downloadCommand() *cli.Command {
	return &cli.Command{
		Name: "download", Usage: "save a file shared in a meeting (by its sha256, as chat history shows it)",
		ArgsUsage: "<meeting-id> <sha256>",
		Flags:     append(apiFlags(), &cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "where to write it (default: its name, in this directory)"}),
		Action: func(c *cli.Context) error {
			if c.NArg() != 2 {
				return cli.Exit("usage: meshmeet chat download <meeting-id> <sha256> [--out PATH]", 2)
			}
			id, sha := c.Args().Get(0), c.Args().Get(1)
			cl, err := node.NewClient(c.String("api"), dataDir(c))
			if err != nil {
				return err
			}
			out := c.String("out")
			if out == "" {
				if out, err = sharedName(c, cl, id, sha); err != nil {
					return err
				}
			}
			// Never overwrite: a file of that name may be the user's own.
			f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
			if err != nil {
				return cli.Exit(err.Error(), 1)
			}
			if err := cl.DownloadFile(c.Context, id, sha, f); err != nil {
				f.Close()
				os.Remove(out)
				return cli.Exit(err.Error(), 1)
			}
			if err := f.Close(); err != nil {
				return err
			}
			fmt.Println("saved", out)
			return nil
		},
	}
}

// sharedName finds the file's name in the meeting's chat.
func sharedName(c *cli.Context, cl *node.Client, id, sha string) (string, error) {
	var msgs []api.Message
	if err := cl.Do(c.Context, http.MethodGet, api.Path(api.RouteMessages, id)+"?limit=1000", nil, &msgs); err != nil {
		return "", cli.Exit(err.Error(), 1)
	}
	for _, m := range msgs {
		if m.File != nil && m.File.SHA256 == sha {
			return filepath.Base(m.File.Name), nil
		}
	}
	return "", cli.Exit("no such file in the meeting's last 1000 messages; name one with --out", 1)
}
