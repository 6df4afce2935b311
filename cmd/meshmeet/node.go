package main

import (
	"crypto/tls"
	"fmt"
	"net"
	"strings"

	"github.com/pion/webrtc/v4"

	"github.com/urfave/cli/v2"

	"meshmeet/mesh/datadir"
	"meshmeet/node"
	"meshmeet/node/loadtest"
	"meshmeet/rendezvous"
)

func env(name string) []string { return []string{"MESHMEET_" + name} }

func dataDirFlag(def datadir.Dir) *cli.StringFlag {
	return &cli.StringFlag{Name: "data-dir", Value: def.Path(), Usage: "directory for the identity key, API token and history", EnvVars: env("DATA_DIR")}
}

// dataDir is the data dir the command was given.
func dataDir(c *cli.Context) datadir.Dir { return datadir.Dir(c.String("data-dir")) }

func nodeCommand() *cli.Command {
	d := node.DefaultConfig()
	return withConfig(&cli.Command{
		Name:  "node",
		Usage: "run this participant's node (UI and API on localhost)",
		Flags: []cli.Flag{
			dataDirFlag(d.DataDir),
			&cli.StringFlag{Name: "ui", Value: d.UIAddr, Usage: "local UI/API address (loopback only)", EnvVars: env("UI")},
			&cli.StringSliceFlag{Name: "listen", Value: cli.NewStringSlice(d.Mesh.ListenAddrs...), Usage: "libp2p listen multiaddr (repeatable)", EnvVars: env("LISTEN")},
			&cli.StringFlag{Name: "name", Value: d.Name, Usage: "display name shown to others (a name set on the Home page replaces it; see <data-dir>/name)", EnvVars: env("NAME")},
			&cli.StringSliceFlag{Name: "rendezvous", Usage: "rendezvous server multiaddr with /p2p/ (repeatable)", EnvVars: env("RENDEZVOUS")},
			&cli.StringSliceFlag{Name: "peer", Usage: "known node multiaddr with /p2p/ to dial (repeatable)", EnvVars: env("PEER")},
			&cli.BoolFlag{Name: "no-mdns", Usage: "do not look for nodes on the local network", EnvVars: env("NO_MDNS")},
			&cli.BoolFlag{Name: "no-relay", Usage: "never be elected to relay media in meetings larger than 6 (a weak uplink)", EnvVars: env("NO_RELAY")},
			&cli.StringFlag{Name: "site", Usage: "the site (office, LAN) this node is in: a large meeting has a media relay per site (default: the /24 of this machine's private IPv4 address)", EnvVars: env("SITE")},
			&cli.BoolFlag{Name: "synthetic-media", Hidden: true, Usage: "publish a synthetic camera and microphone in every meeting (for tests and measurements)", EnvVars: env("SYNTHETIC_MEDIA")},
			&cli.IntFlag{Name: "media-port", Value: d.Media.UDPPort, Usage: "the one UDP port all WebRTC media uses (0 = any free port)", EnvVars: env("MEDIA_PORT")},
			&cli.StringSliceFlag{Name: "ice-server", Usage: "STUN/TURN server for media across NATs: URL[,username,credential] (repeatable); rendezvous servers started with --turn-ip add theirs", EnvVars: env("ICE_SERVER")},
			&cli.IntFlag{Name: "mesh-max", Value: d.Mesh.MeshMax, Hidden: true, Usage: "largest meeting without a relay; every node of a meeting must use the same (for tests)", EnvVars: env("MESH_MAX")},
			&cli.DurationFlag{Name: "presence-timeout", Value: d.Mesh.PresenceTimeout, Hidden: true, Usage: "silence after which a participant counts as gone (for tests)", EnvVars: env("PRESENCE_TIMEOUT")},
			&cli.BoolFlag{Name: "lenient-links", Hidden: true, Usage: "media links as patient as a load test on a starved machine needs (loadtest.LenientLinks)"},
			&cli.IntFlag{Name: "retention-days", Usage: "delete meetings (history, files, recordings) whose last activity is older than this many days (0 = keep them)", EnvVars: env("RETENTION_DAYS")},
			&cli.BoolFlag{Name: "relay-only", Usage: "send media to other nodes only through TURN relays (they never see this machine's addresses)", EnvVars: env("RELAY_ONLY")},
			&cli.BoolFlag{Name: "turn-tls-only", Usage: "use only TURN over TLS relays (a firewall that lets only HTTPS out)", EnvVars: env("TURN_TLS_ONLY")},
		},
		Action: func(c *cli.Context) error {
			log, err := newLogger(c)
			if err != nil {
				return err
			}
			cfg := node.DefaultConfig()
			cfg.DataDir, cfg.UIAddr, cfg.Name = dataDir(c), c.String("ui"), c.String("name")
			cfg.Rendezvous, cfg.Logger, cfg.Version = c.StringSlice("rendezvous"), log, version
			cfg.Mesh.ListenAddrs, cfg.Mesh.Peers, cfg.Mesh.MDNS = c.StringSlice("listen"), c.StringSlice("peer"), !c.Bool("no-mdns")
			cfg.Mesh.NoRelay, cfg.Mesh.MeshMax, cfg.Mesh.Site = c.Bool("no-relay"), c.Int("mesh-max"), c.String("site")
			cfg.Mesh.PresenceTimeout = c.Duration("presence-timeout")
			cfg.Media.UDPPort, cfg.Media.RelayOnly, cfg.Media.TURNTLSOnly = c.Int("media-port"), c.Bool("relay-only"), c.Bool("turn-tls-only")
			cfg.RetentionDays, cfg.Media.Synthetic = c.Int("retention-days"), c.Bool("synthetic-media")
			if c.Bool("lenient-links") {
				loadtest.LenientLinks(&cfg.Media)
			}
			if cfg.Media.ICEServers, err = iceServers(c.StringSlice("ice-server")); err != nil {
				return err
			}
			n, err := node.New(cfg)
			if err != nil {
				return err
			}
			go func() {
				select {
				case <-n.Ready():
					info, _ := n.Mesh().Info()
					fmt.Printf("meshmeet node ready\n  UI:      %s\n  peer ID: %s\n  media:   udp %s\n", n.LoginURL(), info.PeerID, n.MediaAddr())
					for _, a := range info.Addresses {
						fmt.Printf("  listen:  %s\n", a)
					}
				case <-c.Done():
				}
			}()
			return n.Run(c.Context)
		},
	})
}

func rendezvousCommand() *cli.Command {
	d := rendezvous.DefaultConfig()
	return withConfig(&cli.Command{
		Name:  "rendezvous",
		Usage: "run a rendezvous server that helps nodes find each other across sites",
		Flags: []cli.Flag{
			dataDirFlag(node.DefaultDataDir() + "-rendezvous"),
			&cli.StringSliceFlag{Name: "listen", Value: cli.NewStringSlice(d.ListenAddrs...), Usage: "libp2p listen multiaddr (repeatable)", EnvVars: env("LISTEN")},
			&cli.StringFlag{Name: "turn-ip", Usage: "run a TURN relay for media and announce it at this IP (nodes get credentials from the rendezvous)", EnvVars: env("TURN_IP")},
			&cli.StringFlag{Name: "turn-listen", Value: "0.0.0.0:3478", Usage: "UDP address of the TURN relay (with --turn-ip)", EnvVars: env("TURN_LISTEN")},
			&cli.StringFlag{Name: "turn-tls-listen", Value: "0.0.0.0:443", Usage: "TCP address of TURN over TLS, for sites that let only HTTPS out (with --turn-ip; \"\" for none)", EnvVars: env("TURN_TLS_LISTEN")},
			&cli.StringFlag{Name: "turn-tls-cert", Usage: "certificate (PEM) for TURN over TLS; none: a self-signed one that nodes pin", EnvVars: env("TURN_TLS_CERT")},
			&cli.StringFlag{Name: "turn-tls-key", Usage: "its private key (PEM)", EnvVars: env("TURN_TLS_KEY")},
			&cli.StringFlag{Name: "health", Usage: "serve GET /healthz and GET /metrics (Prometheus) on this HOST:PORT, e.g. 127.0.0.1:9470", EnvVars: env("HEALTH")},
		},
		Action: func(c *cli.Context) error {
			log, err := newLogger(c)
			if err != nil {
				return err
			}
			key, err := dataDir(c).Key()
			if err != nil {
				return err
			}
			cfg := rendezvous.DefaultConfig()
			cfg.PrivKey, cfg.ListenAddrs, cfg.Logger = key, c.StringSlice("listen"), log
			if ipText := c.String("turn-ip"); ipText != "" {
				ip := net.ParseIP(ipText)
				if ip == nil {
					return cli.Exit(fmt.Sprintf("--turn-ip %q is not an IP address", ipText), 2)
				}
				cfg.TURN = rendezvous.DefaultTURNConfig(ip)
				cfg.TURN.Listen, cfg.TURN.TLSListen = c.String("turn-listen"), c.String("turn-tls-listen")
				if certFile, keyFile := c.String("turn-tls-cert"), c.String("turn-tls-key"); certFile != "" || keyFile != "" {
					cert, err := tls.LoadX509KeyPair(certFile, keyFile)
					if err != nil {
						return cli.Exit(fmt.Sprintf("--turn-tls-cert and --turn-tls-key: %v", err), 2)
					}
					cfg.TURN.TLSCert = &cert
				}
			}
			s, err := rendezvous.New(cfg)
			if err != nil {
				return err
			}
			if addr := c.String("health"); addr != "" {
				stop, err := serveHealth(c.Context, addr, s.HealthHandler())
				if err != nil {
					return err
				}
				defer stop()
			}
			go func() {
				select {
				case <-s.Ready():
					fmt.Println("meshmeet rendezvous ready; nodes use --rendezvous with one of:")
					for _, a := range s.Addrs() {
						fmt.Printf("  %s\n", a)
					}
					if us := s.TURNURLs(); len(us) > 0 {
						fmt.Printf("  TURN relay for media: %s (nodes get credentials from this server)\n", strings.Join(us, " "))
					}
				case <-c.Done():
				}
			}()
			return s.Run(c.Context)
		},
	})
}

func idCommand() *cli.Command {
	return &cli.Command{
		Name:  "id",
		Usage: "print the peer ID of a data dir (creating its key if there is none)",
		Flags: []cli.Flag{dataDirFlag(node.DefaultDataDir())},
		Action: func(c *cli.Context) error {
			key, err := dataDir(c).Key()
			if err != nil {
				return err
			}
			id, err := peerID(key)
			if err != nil {
				return err
			}
			fmt.Println(id)
			return nil
		},
	}
}

// iceServers parses --ice-server values: a STUN or TURN URL, optionally
// followed by ",username,credential".
func iceServers(specs []string) ([]webrtc.ICEServer, error) {
	var out []webrtc.ICEServer
	for _, spec := range specs {
		parts := strings.Split(spec, ",")
		if len(parts) != 1 && len(parts) != 3 {
			return nil, fmt.Errorf("--ice-server %q: want URL or URL,username,credential", spec)
		}
		if !strings.HasPrefix(parts[0], "stun:") && !strings.HasPrefix(parts[0], "turn:") && !strings.HasPrefix(parts[0], "turns:") {
			return nil, fmt.Errorf("--ice-server %q: URL must start with stun:, turn: or turns:", spec)
		}
		s := webrtc.ICEServer{URLs: []string{parts[0]}}
		if len(parts) == 3 {
			s.Username, s.Credential = parts[1], parts[2]
		}
		out = append(out, s)
	}
	return out, nil
}
