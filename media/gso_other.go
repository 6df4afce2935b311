//go:build !linux

package media

import "net"

func gsoSupported(*net.UDPConn) bool { return false }

func appendSegmentSize(b []byte, _ int) []byte { return b }
