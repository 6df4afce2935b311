//go:build race

package loadtest

// minDelivery: the race detector slows every packet's path through six nodes
// and their participants several times over on one machine; the floor that
// holds for the real build (race_off_test.go) is left to the command's test.
const minDelivery = 0.5

// minLayerDelivery is the same for a simulcast camera layer: a receiver the relay moves
// to another layer in the window is counted against the layer it ends on.
const minLayerDelivery = 0.5
