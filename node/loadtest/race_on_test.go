//go:build race

package loadtest

// minDelivery: the race detector slows every packet's path through six nodes
// and their participants several times over on one machine; the floor that
// holds for the real build (race_off_test.go) is left to the command's test.
const minDelivery = 0.5

// minLayerDelivery is the same for a simulcast camera layer none of whose streams the
// relay moved in the window.
const minLayerDelivery = 0.5

// maxSwitchedShare: the share of video streams the relay may move between layers in
// the window. Under the race detector the relay drops packets for want of CPU, its
// receivers report the loss and the estimate moves them down and up: that loss is
// real, so switching is the right answer and not counted here.
const maxSwitchedShare = 1.0
