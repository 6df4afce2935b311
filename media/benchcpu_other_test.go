//go:build !linux

package media

import "testing"

func isolateCPUs(testing.TB) ([]string, func()) { return nil, func() {} }
