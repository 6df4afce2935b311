//go:build !race

package loadtest

// minDelivery is the share of what the nodes should forward that must arrive.
const minDelivery = 0.99
