//go:build race

package mesh

// raceEnabled: the race detector multiplies memory, so RSS bounds do not apply.
const raceEnabled = true
