//go:build !race

package loadtest

// minDelivery is the share of what the nodes should forward that must arrive.
const minDelivery = 0.99

// minLayerDelivery is the same for a simulcast camera layer: a receiver the relay moves
// to another layer in the window is counted against the layer it ends on.
const minLayerDelivery = 0.95
