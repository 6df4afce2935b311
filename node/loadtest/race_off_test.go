//go:build !race

package loadtest

// minDelivery is the share of what the nodes should forward that must arrive.
const minDelivery = 0.99

// minLayerDelivery is the same for a simulcast camera layer none of whose streams the
// relay moved in the window.
const minLayerDelivery = 0.95

// maxSwitchedShare: the share of video streams the relay may move between layers in
// the window.
const maxSwitchedShare = 0.5
