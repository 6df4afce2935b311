package media

import (
	"net"
	"net/netip"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mmsghdr is struct mmsghdr of recvmmsg(2) and sendmmsg(2).
type mmsghdr struct {
	hdr unix.Msghdr
	n   uint32
	_   [4]byte
}

// msgVec moves up to batchSize datagrams per system call. Its headers, address buffers
// and callbacks are allocated once, so a call allocates nothing (x/net/ipv4 allocates an
// address per datagram read, a fifth of the receive path's allocations).
type msgVec struct {
	rc    syscall.RawConn
	hdrs  []mmsghdr
	iovs  []unix.Iovec
	names []unix.RawSockaddrInet6 // large enough for either family
	bufs  [][]byte                // receive buffers (recv only)

	k, n  int // messages passed to and handled by the last call
	errno syscall.Errno
	recvF func(fd uintptr) bool
	sendF func(fd uintptr) bool
}

// newMsgVec makes a vector for conn; with bufSize > 0 it owns receive buffers of that size.
func newMsgVec(conn *net.UDPConn, bufSize int) (*msgVec, error) {
	rc, err := conn.SyscallConn()
	if err != nil {
		return nil, err
	}
	v := &msgVec{rc: rc, hdrs: make([]mmsghdr, batchSize), iovs: make([]unix.Iovec, batchSize),
		names: make([]unix.RawSockaddrInet6, batchSize)}
	for i := range v.hdrs {
		v.hdrs[i].hdr.Iov = &v.iovs[i]
		v.hdrs[i].hdr.SetIovlen(1)
		v.hdrs[i].hdr.Name = (*byte)(unsafe.Pointer(&v.names[i]))
	}
	if bufSize > 0 {
		v.bufs = make([][]byte, batchSize)
		for i := range v.bufs {
			v.bufs[i] = make([]byte, bufSize)
			v.iovs[i].Base = &v.bufs[i][0]
		}
	}
	v.recvF, v.sendF = v.recvOnce, v.sendOnce
	return v, nil
}

// recv reads the datagrams already queued, waiting for the first; message i is then
// v.bufs[i][:v.size(i)] from v.addr(i).
func (v *msgVec) recv() (int, error) {
	for i := range v.hdrs {
		v.iovs[i].SetLen(len(v.bufs[i]))
		v.hdrs[i].hdr.Namelen = unix.SizeofSockaddrInet6
		v.hdrs[i].hdr.Flags = 0
	}
	v.k = len(v.hdrs)
	if err := v.rc.Read(v.recvF); err != nil {
		return 0, err
	}
	if v.errno != 0 {
		return 0, v.errno
	}
	return v.n, nil
}

func (v *msgVec) recvOnce(fd uintptr) bool {
	return v.call(fd, unix.SYS_RECVMMSG)
}

func (v *msgVec) sendOnce(fd uintptr) bool {
	return v.call(fd, unix.SYS_SENDMMSG)
}

// call makes the system call on the first v.k messages; false (EAGAIN) makes the runtime
// wait until the socket is ready and call again.
func (v *msgVec) call(fd uintptr, trap uintptr) bool {
	for {
		r, _, e := unix.Syscall6(trap, fd, uintptr(unsafe.Pointer(&v.hdrs[0])), uintptr(v.k), 0, 0, 0)
		switch e {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false
		}
		v.n, v.errno = int(r), e
		return true
	}
}

func (v *msgVec) size(i int) int { return int(v.hdrs[i].n) }

func (v *msgVec) addr(i int) netip.AddrPort {
	sa := &v.names[i]
	switch sa.Family {
	case unix.AF_INET:
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		return netip.AddrPortFrom(netip.AddrFrom4(sa4.Addr), swapPort(sa4.Port))
	case unix.AF_INET6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), swapPort(sa.Port))
	}
	return netip.AddrPort{}
}

// send sends bufs[i] to addrs[i], as many per call as the kernel takes; a datagram the
// kernel refuses is dropped.
func (v *msgVec) send(bufs [][]byte, addrs []netip.AddrPort, ip4 bool) {
	for len(bufs) > 0 {
		k := min(len(bufs), len(v.hdrs))
		for i := range k {
			v.iovs[i].Base = unsafe.SliceData(bufs[i])
			v.iovs[i].SetLen(len(bufs[i]))
			v.hdrs[i].hdr.Namelen = v.setAddr(i, addrs[i], ip4)
		}
		v.k = k
		n := 0
		if err := v.rc.Write(v.sendF); err == nil && v.errno == 0 {
			n = v.n
		}
		n = max(n, 1) // skip one that failed
		bufs, addrs = bufs[n:], addrs[n:]
	}
}

// setAddr writes addr as message i's destination: AF_INET on an IPv4 socket, else AF_INET6
// (IPv4-mapped for IPv4 addresses).
func (v *msgVec) setAddr(i int, addr netip.AddrPort, ip4 bool) uint32 {
	sa := &v.names[i]
	a := addr.Addr()
	switch {
	case !a.IsValid() || ip4 && !a.Unmap().Is4():
		return 0 // the kernel refuses it; send skips it
	case ip4:
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		*sa4 = unix.RawSockaddrInet4{Family: unix.AF_INET, Port: swapPort(addr.Port()), Addr: a.Unmap().As4()}
		return unix.SizeofSockaddrInet4
	}
	*sa = unix.RawSockaddrInet6{Family: unix.AF_INET6, Port: swapPort(addr.Port()), Addr: a.As16()}
	return unix.SizeofSockaddrInet6
}

// swapPort converts between host order and the network order of a sockaddr's port, both ways.
func swapPort(p uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(&p))
	return uint16(b[0])<<8 | uint16(b[1])
}
