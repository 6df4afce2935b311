//go:build unix

package loadtest

import (
	"syscall"
	"time"
)

// selfCPU is this process's CPU time so far (getrusage).
func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
