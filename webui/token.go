package webui

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

const (
	tokenBytes     = 32 // random bytes in a new token (hex-encoded in the file)
	minTokenLength = 16 // shortest token accepted from an existing file
)

// LoadToken returns the API token stored at path. When the file does not
// exist it creates it (and its directory) with a new random token, mode 0600.
func LoadToken(path string) (string, error) {
	tok, err := readToken(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return tok, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("create API token directory: %w", err)
	}
	buf := make([]byte, tokenBytes)
	_, _ = rand.Read(buf) // crypto/rand.Read never fails
	tok = hex.EncodeToString(buf)

	if err := publishToken(path, tok); errors.Is(err, fs.ErrExist) {
		return readToken(path) // another process created it first
	} else if err != nil {
		return "", err
	}
	return tok, nil
}

// publishToken writes tok to a temporary file and links it to path, so that
// path never exists half-written; it fails with fs.ErrExist if path exists.
func publishToken(path, tok string) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".api-token-*")
	if err != nil {
		return fmt.Errorf("create API token file: %w", err)
	}
	tmp := f.Name()
	defer func() { _ = os.Remove(tmp) }()
	_, werr := f.WriteString(tok + "\n")
	cerr := f.Chmod(0o600)
	serr := f.Sync()
	err = errors.Join(werr, cerr, serr, f.Close())
	if err != nil {
		return fmt.Errorf("write API token file %s: %w", path, err)
	}
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return err
		}
		return fmt.Errorf("create API token file %s: %w", path, err)
	}
	return nil
}

func readToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read API token file: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if len(tok) < minTokenLength {
		return "", fmt.Errorf("API token in %s is shorter than %d characters; delete the file to get a new one", path, minTokenLength)
	}
	for _, c := range tok {
		if c <= ' ' || c > '~' {
			return "", fmt.Errorf("API token in %s holds characters other than printable ASCII; delete the file to get a new one", path)
		}
	}
	return tok, nil
}
