package media

import (
	"net"
	"unsafe"

	"golang.org/x/sys/unix"
)

// gsoSupported reports whether the kernel accepts UDP_SEGMENT on conn's socket.
func gsoSupported(conn *net.UDPConn) bool {
	rc, err := conn.SyscallConn()
	if err != nil {
		return false
	}
	ok := false
	_ = rc.Control(func(fd uintptr) {
		_, err := unix.GetsockoptInt(int(fd), unix.IPPROTO_UDP, unix.UDP_SEGMENT)
		ok = err == nil
	})
	return ok
}

// appendSegmentSize appends a UDP_SEGMENT control message: split into seg-byte datagrams.
func appendSegmentSize(b []byte, seg int) []byte {
	start := len(b)
	b = append(b, make([]byte, unix.CmsgSpace(2))...)
	h := (*unix.Cmsghdr)(unsafe.Pointer(&b[start]))
	h.Level = unix.IPPROTO_UDP
	h.Type = unix.UDP_SEGMENT
	h.SetLen(unix.CmsgLen(2))
	*(*uint16)(unsafe.Pointer(&b[start+unix.CmsgLen(0)])) = uint16(seg)
	return b
}
