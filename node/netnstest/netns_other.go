//go:build !linux

package netnstest

import (
	"context"
	"errors"
	"net"
	"testing"
)

// LAN is a network namespace; there are none here.
type LAN struct {
	Name string
	IP   string
}

// NewLAN skips the test: network namespaces are Linux only.
func NewLAN(t testing.TB, addr string) LAN {
	t.Skip("network namespaces are Linux only")
	return LAN{}
}

// Exec is never reached (NewLAN skips).
func (l LAN) Exec() []string { return nil }

// DialContext is never reached (NewLAN skips).
func (l LAN) DialContext(context.Context, string, string) (net.Conn, error) {
	return nil, errors.New("network namespaces are Linux only")
}

// Rerun skips the test: network namespaces are Linux only.
func Rerun(t *testing.T, addr string) bool {
	t.Skip("network namespaces are Linux only")
	return false
}
