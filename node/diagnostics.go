package node

import (
	"context"

	"meshmeet/mesh"
)

// diagnostics is what `meshmeet doctor` asks a running node
// (GET /api/node/diagnostics): where it keeps its data and media, and how
// far the clocks of the nodes it is connected to are from its own.
type diagnostics struct {
	DataDir   string             `json:"dataDir"`
	MediaAddr string             `json:"mediaAddr"`
	Clock     []mesh.ClockOffset `json:"clock"`
}

func (b *backend) Diagnostics(ctx context.Context) (any, error) {
	clock, err := b.n.mesh.ClockOffsets(ctx)
	if err != nil {
		return nil, apiErr(err)
	}
	return diagnostics{DataDir: b.n.cfg.DataDir.Path(), MediaAddr: b.n.MediaAddr(), Clock: clock}, nil
}
