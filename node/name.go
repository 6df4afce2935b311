package node

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"meshmeet/mesh/datadir"
	"meshmeet/mesh/eventlog"
	"meshmeet/webui/api"
)

// savedName is the display name a person set on the Home page, which
// replaces the configured one (--name, or the account name) from then on;
// "" when none was set.
func savedName(dir datadir.Dir) (string, error) {
	b, err := os.ReadFile(dir.NameFile())
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read display name: %w", err)
	}
	name := strings.TrimSpace(string(b))
	if err := eventlog.ValidName(name); err != nil {
		return "", fmt.Errorf("display name in %s: %w", dir.NameFile(), err)
	}
	return name, nil
}

// SetName changes the display name and keeps it in the data dir.
func (b *backend) SetName(ctx context.Context, name string) (api.Node, error) {
	// Kept first, then used: a name that could not be kept is not shown either.
	if err := eventlog.ValidName(name); err != nil {
		return api.Node{}, apiErr(err)
	}
	b.n.nameMu.Lock()
	defer b.n.nameMu.Unlock()
	dir := datadir.Dir(b.n.cfg.DataDir)
	if err := writeFileSync(dir.NameFile(), []byte(name+"\n")); err != nil {
		return api.Node{}, fmt.Errorf("keep display name: %w", err)
	}
	if err := b.n.mesh.SetName(name); err != nil {
		return api.Node{}, apiErr(err)
	}
	b.n.log.Info("display name changed", "name", name)
	return b.Node(ctx)
}

// writeFileSync replaces path with data, on disk before it returns.
func writeFileSync(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
