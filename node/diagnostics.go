package node

import (
	"context"

	"meshmeet/webui/api"
)

// Diagnostics is what `meshmeet doctor` asks a running node: where it keeps
// its data and media, and how far the clocks of its peers are from its own.
func (b *backend) Diagnostics(ctx context.Context) (api.Diagnostics, error) {
	clock, err := b.n.mesh.ClockOffsets(ctx)
	if err != nil {
		return api.Diagnostics{}, apiErr(err)
	}
	return api.Diagnostics{DataDir: b.n.cfg.DataDir.Path(), MediaAddr: b.n.MediaAddr(), Clock: each(clock, clockOffsetOf)}, nil
}
