//go:build !linux

package media

import (
	"testing"
	"time"
)

func isolateCPUs(testing.TB) ([]string, func()) { return nil, func() {} }

func stolenTime() time.Duration { return 0 }
