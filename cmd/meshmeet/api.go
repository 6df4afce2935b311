package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/urfave/cli/v2"

	"meshmeet/node"
)

func peerID(key crypto.PrivKey) (string, error) {
	id, err := peer.IDFromPrivateKey(key)
	return id.String(), err
}

func apiFlags() []cli.Flag {
	d := node.DefaultConfig()
	return []cli.Flag{
		dataDirFlag(d.DataDir),
		&cli.StringFlag{Name: "api", Value: "http://" + d.UIAddr, Usage: "the node's UI/API address", EnvVars: env("API")},
		&cli.BoolFlag{Name: "json", Usage: "print the raw JSON answer"},
	}
}

// call sends one API request and prints the answer.
func call(c *cli.Context, method, path string, body any, show func(any)) error {
	cl, err := node.NewClient(c.String("api"), dataDir(c))
	if err != nil {
		return err
	}
	var out any
	if err := cl.Do(c.Context, method, path, body, &out); err != nil {
		return cli.Exit(err.Error(), 1)
	}
	if c.Bool("json") || show == nil {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	show(out)
	return nil
}

func arg(c *cli.Context, what string) (string, error) {
	if c.NArg() != 1 {
		return "", cli.Exit(fmt.Sprintf("usage: %s <%s>", c.Command.HelpName, what), 2)
	}
	return url.PathEscape(c.Args().First()), nil
}

func meetingCommand() *cli.Command {
	return &cli.Command{
		Name:  "meeting",
		Usage: "create, list, show, join, leave and end meetings on the local node",
		Subcommands: []*cli.Command{
			{
				Name: "create", Usage: "create a meeting and print its join link",
				Flags: append(apiFlags(),
					&cli.StringFlag{Name: "title", Required: true, Usage: "title (up to 200 characters)"},
					&cli.StringFlag{Name: "description"},
					&cli.TimestampFlag{Name: "at", Layout: time.RFC3339, Usage: "scheduled time, RFC 3339"},
					&cli.IntFlag{Name: "duration", Value: 60, Usage: "minutes"},
					&cli.IntFlag{Name: "max-participants", Value: 50},
					&cli.BoolFlag{Name: "require-approval"},
					&cli.BoolFlag{Name: "enable-recording"},
					&cli.BoolFlag{Name: "disable-chat"},
					&cli.BoolFlag{Name: "auto-end", Usage: "end the meeting when its duration is up (counted from the first join; host or moderator can extend)"},
				),
				Action: func(c *cli.Context) error {
					body := map[string]any{
						"title": c.String("title"), "description": c.String("description"), "duration": c.Int("duration"),
						"settings": map[string]any{
							"maxParticipants": c.Int("max-participants"), "requireApproval": c.Bool("require-approval"),
							"enableRecording": c.Bool("enable-recording"), "enableChat": !c.Bool("disable-chat"),
							"autoEnd": c.Bool("auto-end"),
						},
					}
					if t := c.Timestamp("at"); t != nil {
						body["scheduledTime"] = t.UTC().Format(time.RFC3339)
					}
					return call(c, http.MethodPost, "/api/meetings", body, func(v any) {
						m := v.(map[string]any)
						fmt.Printf("created %s\njoin link: %s\n", m["meeting"].(map[string]any)["id"], m["joinUrl"])
					})
				},
			},
			{
				Name: "list", Usage: "list the meetings this node knows", Flags: apiFlags(),
				Action: func(c *cli.Context) error {
					return call(c, http.MethodGet, "/api/meetings", nil, func(v any) {
						for _, x := range v.([]any) {
							m := x.(map[string]any)
							fmt.Printf("%s  %-9s %s\n", m["id"], m["status"], m["title"])
						}
					})
				},
			},
			{
				Name: "show", Usage: "show one meeting with participants and roles", ArgsUsage: "<meeting-id>", Flags: apiFlags(),
				Action: func(c *cli.Context) error {
					id, err := arg(c, "meeting-id")
					if err != nil {
						return err
					}
					return call(c, http.MethodGet, "/api/meetings/"+id, nil, nil)
				},
			},
			{
				Name: "media", Usage: "show this node's media links in a meeting (mesh or relay, each link's state)", ArgsUsage: "<meeting-id>", Flags: apiFlags(),
				Action: func(c *cli.Context) error {
					id, err := arg(c, "meeting-id")
					if err != nil {
						return err
					}
					return call(c, http.MethodGet, "/api/meetings/"+id+"/media", nil, func(v any) {
						m, _ := v.(map[string]any)
						fmt.Printf("%v", m["mode"])
						if r, _ := m["relay"].(string); r != "" {
							fmt.Printf(" through %s", r)
						}
						fmt.Println()
						links, _ := m["links"].([]any)
						for _, x := range links {
							l, _ := x.(map[string]any)
							fmt.Printf("  %v  %v\n", l["peerId"], l["state"])
						}
					})
				},
			},
			{
				Name: "join", Usage: "join a meeting by its link", ArgsUsage: "<join-link>", Flags: apiFlags(),
				Action: func(c *cli.Context) error {
					if c.NArg() != 1 {
						return cli.Exit("usage: meshmeet meeting join <join-link>", 2)
					}
					return call(c, http.MethodPost, "/api/meetings/join", map[string]string{"joinUrl": c.Args().First()}, func(v any) {
						m := v.(map[string]any)
						if m["status"] == "waiting" {
							fmt.Printf("waiting in the lobby of %s: the host or a moderator must admit you\n", m["id"])
							return
						}
						fmt.Printf("joined %s (%s)\n", m["id"], m["title"])
					})
				},
			},
			{
				Name: "lobby", Usage: "list who waits to be admitted", ArgsUsage: "<meeting-id>", Flags: apiFlags(),
				Action: func(c *cli.Context) error {
					id, err := arg(c, "meeting-id")
					if err != nil {
						return err
					}
					return call(c, http.MethodGet, "/api/meetings/"+id+"/lobby", nil, func(v any) {
						for _, x := range v.([]any) {
							p := x.(map[string]any)
							fmt.Printf("%s  %s (%s)\n", p["peerId"], p["name"], p["fingerprint"])
						}
					})
				},
			},
			peerAction("admit", "let a waiting person in (host or moderator)", "admitted"),
			peerAction("deny", "turn a waiting person away for good (host or moderator)", "denied"),
			peerAction("remove", "take a participant out of the meeting (host, or moderator for a participant)", "removed"),
			peerAction("mute", "ask a participant's page to turn their microphone off (host, or moderator for a participant)", "mute requested"),
			{
				Name: "record", Usage: "start or stop this node's recording of a meeting (host or moderator; the meeting must allow recording)",
				ArgsUsage: "<meeting-id> on|off", Flags: apiFlags(),
				Action: func(c *cli.Context) error {
					if c.NArg() != 2 || c.Args().Get(1) != "on" && c.Args().Get(1) != "off" {
						return cli.Exit("usage: meshmeet meeting record <meeting-id> on|off", 2)
					}
					on := c.Args().Get(1) == "on"
					return call(c, http.MethodPost, "/api/meetings/"+url.PathEscape(c.Args().Get(0))+"/recording",
						map[string]bool{"on": on}, func(any) { fmt.Println("recording", c.Args().Get(1)) })
				},
			},
			{
				Name: "update", Usage: "edit a meeting (host only); only the flags given change",
				ArgsUsage: "<meeting-id>",
				Flags: append(apiFlags(),
					&cli.StringFlag{Name: "title"},
					&cli.StringFlag{Name: "description"},
					&cli.TimestampFlag{Name: "at", Layout: time.RFC3339, Usage: "scheduled time, RFC 3339"},
					&cli.IntFlag{Name: "duration", Usage: "minutes"},
					&cli.IntFlag{Name: "max-participants"},
				),
				Action: func(c *cli.Context) error {
					id, err := arg(c, "meeting-id")
					if err != nil {
						return err
					}
					body := map[string]any{}
					for _, f := range []string{"title", "description"} {
						if c.IsSet(f) {
							body[f] = c.String(f)
						}
					}
					if t := c.Timestamp("at"); t != nil {
						body["scheduledTime"] = t.UTC().Format(time.RFC3339)
					}
					if c.IsSet("duration") {
						body["duration"] = c.Int("duration")
					}
					if c.IsSet("max-participants") {
						body["settings"] = map[string]int{"maxParticipants": c.Int("max-participants")}
					}
					return call(c, http.MethodPatch, "/api/meetings/"+id, body, func(v any) {
						m := v.(map[string]any)
						fmt.Printf("updated %s: %s, %v min\n", m["id"], m["title"], m["duration"])
					})
				},
			},
			{
				Name: "extend", Usage: "add minutes to a meeting that ends by itself (host or moderator)",
				ArgsUsage: "<meeting-id> <minutes>", Flags: apiFlags(),
				Action: func(c *cli.Context) error {
					minutes, err := strconv.Atoi(c.Args().Get(1))
					if c.NArg() != 2 || err != nil {
						return cli.Exit("usage: meshmeet meeting extend <meeting-id> <minutes>", 2)
					}
					return call(c, http.MethodPost, "/api/meetings/"+url.PathEscape(c.Args().Get(0))+"/extend",
						map[string]int{"minutes": minutes}, func(v any) {
							fmt.Println("ends at", v.(map[string]any)["endsAt"])
						})
				},
			},
			{
				Name: "recordings", Usage: "list this node's recordings of a meeting", ArgsUsage: "<meeting-id>", Flags: apiFlags(),
				Action: func(c *cli.Context) error {
					id, err := arg(c, "meeting-id")
					if err != nil {
						return err
					}
					return call(c, http.MethodGet, "/api/meetings/"+id+"/recordings", nil, func(v any) {
						m := v.(map[string]any)
						fmt.Printf("in %s:\n", m["dir"])
						for _, x := range m["files"].([]any) {
							f := x.(map[string]any)
							fmt.Printf("  %s  %.0f bytes\n", f["path"], f["size"])
						}
					})
				},
			},
			simple("leave", "leave a meeting", "/leave"),
			simple("end", "end a meeting for everyone (host only)", "/end"),
			exportCommand(),
			deleteCommand(),
		},
	}
}

func simple(name, usage, suffix string) *cli.Command {
	return &cli.Command{
		Name: name, Usage: usage, ArgsUsage: "<meeting-id>", Flags: apiFlags(),
		Action: func(c *cli.Context) error {
			id, err := arg(c, "meeting-id")
			if err != nil {
				return err
			}
			return call(c, http.MethodPost, "/api/meetings/"+id+suffix, nil, func(any) { fmt.Println("ok") })
		},
	}
}

func chatCommand() *cli.Command {
	return &cli.Command{
		Name:  "chat",
		Usage: "send chat messages and read chat history",
		Subcommands: []*cli.Command{
			{
				Name: "send", Usage: "send a message", ArgsUsage: "<meeting-id> <text>", Flags: apiFlags(),
				Action: func(c *cli.Context) error {
					if c.NArg() != 2 {
						return cli.Exit("usage: meshmeet chat send <meeting-id> <text>", 2)
					}
					return call(c, http.MethodPost, "/api/meetings/"+url.PathEscape(c.Args().Get(0))+"/messages",
						map[string]string{"text": c.Args().Get(1)}, func(any) { fmt.Println("sent") })
				},
			},
			{
				Name: "history", Usage: "print a meeting's chat history", ArgsUsage: "<meeting-id>",
				Flags: append(apiFlags(), &cli.IntFlag{Name: "limit", Value: 1000}),
				Action: func(c *cli.Context) error {
					id, err := arg(c, "meeting-id")
					if err != nil {
						return err
					}
					return call(c, http.MethodGet, "/api/meetings/"+id+"/messages?limit="+strconv.Itoa(c.Int("limit")), nil, func(v any) {
						for _, x := range v.([]any) {
							m := x.(map[string]any)
							fmt.Printf("%s  %s: %s\n", m["time"], m["name"], m["text"])
							if f, ok := m["file"].(map[string]any); ok {
								fmt.Printf("    file %s, %.0f bytes, sha256 %s\n", f["name"], f["size"], f["sha256"])
							}
						}
					})
				},
			},
			shareCommand(),
			downloadCommand(),
		},
	}
}

// peerAction is "meeting admit", "deny", "remove" or "mute": POST {peerId} to the route of that name.
func peerAction(name, usage, done string) *cli.Command {
	return &cli.Command{
		Name: name, Usage: usage, ArgsUsage: "<meeting-id> <peer-id>", Flags: apiFlags(),
		Action: func(c *cli.Context) error {
			if c.NArg() != 2 {
				return cli.Exit("usage: meshmeet meeting "+name+" <meeting-id> <peer-id>", 2)
			}
			return call(c, http.MethodPost, "/api/meetings/"+url.PathEscape(c.Args().Get(0))+"/"+name,
				map[string]string{"peerId": c.Args().Get(1)}, func(any) { fmt.Println(done) })
		},
	}
}
