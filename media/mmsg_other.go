//go:build !linux

package media

import (
	"net"
	"net/netip"
)

// msgVec without recvmmsg/sendmmsg: one datagram per system call.
type msgVec struct {
	conn *net.UDPConn
	bufs [][]byte
	n    int
	from netip.AddrPort
}

func newMsgVec(conn *net.UDPConn, bufSize int) (*msgVec, error) {
	v := &msgVec{conn: conn}
	if bufSize > 0 {
		v.bufs = [][]byte{make([]byte, bufSize)}
	}
	return v, nil
}

func (v *msgVec) recv() (int, error) {
	n, from, err := v.conn.ReadFromUDPAddrPort(v.bufs[0])
	if err != nil {
		return 0, err
	}
	v.n, v.from = n, from
	return 1, nil
}

func (v *msgVec) size(int) int            { return v.n }
func (v *msgVec) addr(int) netip.AddrPort { return v.from }

func (v *msgVec) send(bufs [][]byte, addrs []netip.AddrPort, _ bool) {
	for i := range bufs {
		_, _ = v.conn.WriteToUDPAddrPort(bufs[i], addrs[i])
	}
}
