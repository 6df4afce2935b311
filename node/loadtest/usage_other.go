//go:build !unix

package loadtest

import "time"

// selfCPU is not measured here: the report's CPU figures read 0.
func selfCPU() time.Duration { return 0 }
