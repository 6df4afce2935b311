package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/urfave/cli/v2"

	"meshmeet/node"
	"meshmeet/webui/api"
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

// call sends one API request, decodes the answer into the API's type T
// (webui/api) and prints it.
func call[T any](c *cli.Context, method, path string, body any, show func(T)) error {
	cl, err := node.NewClient(c.String("api"), dataDir(c))
	if err != nil {
		return err
	}
	var out T
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

// arg is the one argument, a meeting ID.
func arg(c *cli.Context, what string) (string, error) {
	if c.NArg() != 1 {
		return "", cli.Exit(fmt.Sprintf("usage: %s <%s>", c.Command.HelpName, what), 2)
	}
	return c.Args().First(), nil
}

// none is the type of an answer without a body.
type none = struct{}

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
					return call(c, http.MethodPost, api.RouteMeetings, body, func(v api.Created) {
						fmt.Printf("created %s\njoin link: %s\n", v.Meeting.ID, v.JoinURL)
					})
				},
			},
			{
				Name: "list", Usage: "list the meetings this node knows", Flags: apiFlags(),
				Action: func(c *cli.Context) error {
					return call(c, http.MethodGet, api.RouteMeetings, nil, func(v []api.Meeting) {
						for _, m := range v {
							fmt.Printf("%s  %-9s %s\n", m.ID, m.Status, m.Title)
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
					return call[api.Meeting](c, http.MethodGet, api.Path(api.RouteMeeting, id), nil, nil)
				},
			},
			{
				Name: "media", Usage: "show this node's media links in a meeting (mesh or relay, each link's state)", ArgsUsage: "<meeting-id>", Flags: apiFlags(),
				Action: func(c *cli.Context) error {
					id, err := arg(c, "meeting-id")
					if err != nil {
						return err
					}
					return call(c, http.MethodGet, api.Path(api.RouteMedia, id), nil, func(m api.MediaStats) {
						fmt.Print(m.Mode)
						if m.Relay != "" {
							fmt.Printf(" through %s", m.Relay)
						}
						fmt.Println()
						for _, l := range m.Links {
							fmt.Printf("  %v  %v\n", l.PeerID, l.State)
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
					// A wait in the lobby answers api.Waiting, whose fields a Meeting has too.
					return call(c, http.MethodPost, api.RouteJoin, api.JoinRequest{JoinURL: c.Args().First()}, func(m api.Meeting) {
						if m.Status == api.StatusWaiting {
							fmt.Printf("waiting in the lobby of %s: the host or a moderator must admit you\n", m.ID)
							return
						}
						fmt.Printf("joined %s (%s)\n", m.ID, m.Title)
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
					return call(c, http.MethodGet, api.Path(api.RouteLobby, id), nil, func(v []api.LobbyEntry) {
						for _, p := range v {
							fmt.Printf("%s  %s (%s)\n", p.PeerID, p.Name, p.Fingerprint)
						}
					})
				},
			},
			peerAction("admit", api.RouteAdmit, "let a waiting person in (host or moderator)", "admitted"),
			peerAction("deny", api.RouteDeny, "turn a waiting person away for good (host or moderator)", "denied"),
			peerAction("remove", api.RouteRemove, "take a participant out of the meeting (host, or moderator for a participant)", "removed"),
			peerAction("mute", api.RouteMute, "ask a participant's page to turn their microphone off (host, or moderator for a participant)", "mute requested"),
			{
				Name: "record", Usage: "start or stop this node's recording of a meeting (host or moderator; the meeting must allow recording)",
				ArgsUsage: "<meeting-id> on|off", Flags: apiFlags(),
				Action: func(c *cli.Context) error {
					if c.NArg() != 2 || c.Args().Get(1) != "on" && c.Args().Get(1) != "off" {
						return cli.Exit("usage: meshmeet meeting record <meeting-id> on|off", 2)
					}
					on := c.Args().Get(1) == "on"
					return call(c, http.MethodPost, api.Path(api.RouteRecording, c.Args().Get(0)),
						api.RecordingRequest{On: &on}, func(api.Meeting) { fmt.Println("recording", c.Args().Get(1)) })
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
					return call(c, http.MethodPatch, api.Path(api.RouteMeeting, id), body, func(m api.Meeting) {
						fmt.Printf("updated %s: %s, %v min\n", m.ID, m.Title, m.Duration)
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
					return call(c, http.MethodPost, api.Path(api.RouteExtend, c.Args().Get(0)),
						api.ExtendRequest{Minutes: &minutes}, func(m api.Meeting) {
							if m.EndsAt != nil {
								fmt.Println("ends at", m.EndsAt.Format(time.RFC3339))
							}
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
					return call(c, http.MethodGet, api.Path(api.RouteRecordings, id), nil, func(m api.Recordings) {
						fmt.Printf("in %s:\n", m.Dir)
						for _, f := range m.Files {
							fmt.Printf("  %s  %d bytes\n", f.Path, f.Size)
						}
					})
				},
			},
			simple("leave", "leave a meeting", api.RouteLeave),
			simple("end", "end a meeting for everyone (host only)", api.RouteEnd),
			exportCommand(),
			deleteCommand(),
		},
	}
}

func simple(name, usage, route string) *cli.Command {
	return &cli.Command{
		Name: name, Usage: usage, ArgsUsage: "<meeting-id>", Flags: apiFlags(),
		Action: func(c *cli.Context) error {
			id, err := arg(c, "meeting-id")
			if err != nil {
				return err
			}
			return call(c, http.MethodPost, api.Path(route, id), nil, func(none) { fmt.Println("ok") })
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
					return call(c, http.MethodPost, api.Path(api.RouteMessages, c.Args().Get(0)),
						api.MessageRequest{Text: c.Args().Get(1)}, func(api.Message) { fmt.Println("sent") })
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
					return call(c, http.MethodGet, api.Path(api.RouteMessages, id)+"?limit="+strconv.Itoa(c.Int("limit")), nil, func(v []api.Message) {
						for _, m := range v {
							fmt.Printf("%s  %s: %s\n", m.Time.Format(time.RFC3339Nano), m.Name, m.Text)
							if f := m.File; f != nil {
								fmt.Printf("    file %s, %d bytes, sha256 %s\n", f.Name, f.Size, f.SHA256)
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
func peerAction(name, route, usage, done string) *cli.Command {
	return &cli.Command{
		Name: name, Usage: usage, ArgsUsage: "<meeting-id> <peer-id>", Flags: apiFlags(),
		Action: func(c *cli.Context) error {
			if c.NArg() != 2 {
				return cli.Exit("usage: meshmeet meeting "+name+" <meeting-id> <peer-id>", 2)
			}
			return call(c, http.MethodPost, api.Path(route, c.Args().Get(0)),
				api.PeerRequest{PeerID: c.Args().Get(1)}, func(none) { fmt.Println(done) })
		},
	}
}
