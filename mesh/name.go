package mesh

import "meshmeet/mesh/eventlog"

// Name is this node's display name now.
func (m *Mesh) Name() string { return *m.name.Load() }

// SetName changes the display name others see from now on: in the
// meetings and lobbies this node enters next (a meeting's log keeps the
// name each member joined with) and in its heartbeats.
func (m *Mesh) SetName(name string) error {
	if err := eventlog.ValidName(name); err != nil {
		return err
	}
	m.name.Store(&name)
	return nil
}
