// Package datadir is the one owner of a node's data directory: every file
// and folder a node (or a rendezvous) keeps there is named here, and every
// package that reads or writes there is handed a Dir.
//
//	identity.key   the node's Ed25519 key (mode 0600)
//	api-token      the local API token (mode 0600)
//	db/            the meetings' logs and keys (Badger)
//	files/<id>/    files shared in each meeting, by SHA-256
//	recordings/<id>/<start>/   this node's recordings of each meeting
package datadir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/libp2p/go-libp2p/core/crypto"
)

// ErrUnusable says the data dir cannot be created, read or written.
var ErrUnusable = errors.New("data dir unusable")

// Dir is a data directory.
type Dir string

// Path is the directory itself.
func (d Dir) Path() string { return string(d) }

// KeyFile is the node's identity key.
func (d Dir) KeyFile() string { return filepath.Join(string(d), "identity.key") }

// TokenFile is the local API token.
func (d Dir) TokenFile() string { return filepath.Join(string(d), "api-token") }

// NameFile holds the display name set on the Home page (replacing the configured one).
func (d Dir) NameFile() string { return filepath.Join(string(d), "name") }

// DB is the Badger directory of the meetings' logs and keys.
func (d Dir) DB() string { return filepath.Join(string(d), "db") }

// Files holds the files shared in meetings, one folder per meeting.
func (d Dir) Files() string { return filepath.Join(string(d), "files") }

// Recordings holds this node's recordings of one meeting, one folder per
// recording.
func (d Dir) Recordings(meetingID string) string {
	return filepath.Join(string(d), "recordings", meetingID)
}

// Make creates the directory (mode 0700) if it is not there.
func (d Dir) Make() error {
	if err := os.MkdirAll(string(d), 0o700); err != nil {
		return fmt.Errorf("%w: %w", ErrUnusable, err)
	}
	return nil
}

// Key reads the node's Ed25519 key, creating the directory and the key
// (mode 0600) on first use.
func (d Dir) Key() (crypto.PrivKey, error) {
	if err := d.Make(); err != nil {
		return nil, err
	}
	path := d.KeyFile()
	raw, err := os.ReadFile(path)
	if err == nil {
		k, err := crypto.UnmarshalPrivateKey(raw)
		if err != nil {
			return nil, fmt.Errorf("%w: identity key %s: %w", ErrUnusable, path, err)
		}
		return k, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %w", ErrUnusable, err)
	}
	k, _, err := crypto.GenerateEd25519Key(nil)
	if err != nil {
		return nil, err
	}
	raw, err = crypto.MarshalPrivateKey(k)
	if err != nil {
		return nil, err
	}
	// Write to a temp file and rename so a crash never leaves half a key.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, raw, 0o600); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnusable, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnusable, err)
	}
	return k, nil
}
