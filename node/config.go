// Package node composes one participant's node: the mesh, the local web UI
// and API, and the storage under one data dir.
package node

import (
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"meshmeet/media"
	"meshmeet/mesh"
	"meshmeet/mesh/datadir"
)

// Config configures a Node.
type Config struct {
	// DataDir holds the identity key, the API token and the history.
	DataDir datadir.Dir
	// UIAddr is the local UI/API listen address (loopback).
	UIAddr string
	// Name is the display name shown to others.
	Name string
	// Rendezvous are rendezvous server multiaddrs (with /p2p/).
	Rendezvous []string
	// Mesh carries the peer-to-peer settings (listen addresses, peers,
	// mDNS, intervals); its DataDir, PrivKey, Name, Logger and Metrics are
	// filled in by the node.
	Mesh mesh.Config
	// Media carries the WebRTC settings (media UDP port, ICE servers); its
	// Signaller and Logger are filled in by the node.
	Media  media.Config
	Logger *slog.Logger
	// Version is reported by GET /api/node.
	Version string
	// RetentionDays, when above 0, deletes meetings (history, files,
	// recordings) whose last activity is more than that many days old.
	RetentionDays int
	// Now is the clock retention and exports read; nil is time.Now.
	Now func() time.Time
}

// DefaultConfig returns the settings `meshmeet node` starts with.
func DefaultConfig() Config {
	return Config{
		DataDir: DefaultDataDir(),
		UIAddr:  "127.0.0.1:7700",
		Name:    defaultName(),
		Mesh:    mesh.DefaultConfig(),
		Media:   media.DefaultConfig(),
		Version: "dev",
	}
}

// DefaultDataDir is $XDG_DATA_HOME/meshmeet, or ~/.local/share/meshmeet.
func DefaultDataDir() datadir.Dir {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return datadir.Dir(filepath.Join(d, "meshmeet"))
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "meshmeet-data"
	}
	return datadir.Dir(filepath.Join(home, ".local", "share", "meshmeet"))
}

func defaultName() string {
	if u := os.Getenv("USER"); u != "" && len(u) <= mesh.MaxName {
		return u
	}
	if h, err := os.Hostname(); err == nil && len(h) <= mesh.MaxName {
		return h
	}
	return ""
}
