package media

import (
	"net"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/net/ipv4"
)

// batchSize is the most datagrams one recvmmsg or sendmmsg moves.
const batchSize = 32

// batchConn is the media socket as the ICE UDP mux sees it. Reads take every datagram
// already queued in one recvmmsg and hand them out one by one; writes go out at once
// (sendto) unless some goroutine has corked the socket, in which case they are queued and
// sent together (sendmmsg) at the next uncork, or when the batch is full. A sink corks
// around a run of queued packets, so one syscall carries them; RTCP written meanwhile by
// others waits at most that long.
type batchConn struct {
	conn *net.UDPConn
	pc   *ipv4.PacketConn

	rmu   sync.Mutex
	rmsgs []ipv4.Message
	rn    int // messages in rmsgs from the last recvmmsg
	ri    int // next one to hand out

	wmu    sync.Mutex
	corked int
	wmsgs  []ipv4.Message
	waddrs []net.UDPAddr
	waps   []netip.AddrPort
	wn     int // queued messages

	gso    bool   // UDP generic segmentation offload works (Linux)
	gsobuf []byte // a run of datagrams, concatenated
	gsooob []byte
}

func newBatchConn(conn *net.UDPConn) *batchConn {
	c := &batchConn{conn: conn, pc: ipv4.NewPacketConn(conn),
		rmsgs: make([]ipv4.Message, batchSize), wmsgs: make([]ipv4.Message, batchSize),
		waddrs: make([]net.UDPAddr, batchSize), waps: make([]netip.AddrPort, batchSize),
		gso: gsoSupported(conn), gsobuf: make([]byte, 0, batchSize*1500)}
	for i := range batchSize {
		c.rmsgs[i].Buffers = [][]byte{make([]byte, receiveMTU)}
		c.wmsgs[i].Buffers = [][]byte{make([]byte, 0, receiveMTU)}
		c.waddrs[i].IP = make(net.IP, 0, net.IPv6len)
		c.wmsgs[i].Addr = &c.waddrs[i]
	}
	return c
}

// receiveMTU is the largest datagram read or queued; pion reads with the same size.
const receiveMTU = 8192

// ReadFromAddrPort (ice.AddrPortReaderWriter) returns the next datagram.
func (c *batchConn) ReadFromAddrPort(b []byte) (int, netip.AddrPort, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	for c.ri >= c.rn {
		n, err := c.pc.ReadBatch(c.rmsgs, 0)
		if err != nil {
			c.rn, c.ri = 0, 0
			return 0, netip.AddrPort{}, err
		}
		c.rn, c.ri = n, 0
	}
	m := &c.rmsgs[c.ri]
	c.ri++
	n := copy(b, m.Buffers[0][:m.N])
	var ap netip.AddrPort
	if ua, ok := m.Addr.(*net.UDPAddr); ok {
		ap = ua.AddrPort()
		ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	return n, ap, nil
}

func (c *batchConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, ap, err := c.ReadFromAddrPort(b)
	if err != nil {
		return 0, nil, err
	}
	return n, net.UDPAddrFromAddrPort(ap), nil
}

// WriteToAddrPort (ice.AddrPortReaderWriter) sends b now, or queues a copy while corked.
// A queued datagram's error is not reported (UDP is lossy anyway).
func (c *batchConn) WriteToAddrPort(b []byte, addr netip.AddrPort) (int, error) {
	c.wmu.Lock()
	if c.corked == 0 || len(b) > receiveMTU {
		if c.wn > 0 { // keep order
			c.flushLocked()
		}
		c.wmu.Unlock()
		return c.conn.WriteToUDPAddrPort(b, addr)
	}
	m := &c.wmsgs[c.wn]
	m.Buffers[0] = append(m.Buffers[0][:0], b...)
	ua := &c.waddrs[c.wn]
	a := addr.Addr().Unmap()
	if a.Is4() {
		a4 := a.As4()
		ua.IP = append(ua.IP[:0], a4[:]...)
	} else {
		a16 := a.As16()
		ua.IP = append(ua.IP[:0], a16[:]...)
	}
	ua.Port = int(addr.Port())
	c.waps[c.wn] = netip.AddrPortFrom(a, addr.Port())
	c.wn++
	if c.wn == batchSize {
		c.flushLocked()
	}
	c.wmu.Unlock()
	return len(b), nil
}

func (c *batchConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	ua, ok := addr.(*net.UDPAddr)
	if !ok {
		return c.conn.WriteTo(b, addr)
	}
	return c.WriteToAddrPort(b, ua.AddrPort())
}

// flushLocked sends the queued datagrams; one that fails is dropped. With GSO a run of
// datagrams of one size (the last may be shorter) to one address goes out as one
// datagram the kernel splits, so it crosses the stack once.
func (c *batchConn) flushLocked() {
	ms := c.wmsgs[:c.wn]
	i := 0
	for i < len(ms) {
		j := i + 1
		if c.gso {
			seg := len(ms[i].Buffers[0])
			for j < len(ms) && c.waps[j] == c.waps[i] && len(ms[j-1].Buffers[0]) == seg &&
				len(ms[j].Buffers[0]) <= seg && (j-i+1)*seg <= 65000 {
				j++
			}
			if j-i > 1 {
				if c.sendGSO(ms[i:j], c.waps[i], seg) {
					i = j
					continue
				}
				c.gso = false
			}
		}
		c.sendBatch(ms[i:j])
		i = j
	}
	c.wn = 0
}

func (c *batchConn) sendBatch(ms []ipv4.Message) {
	for len(ms) > 0 {
		n, err := c.pc.WriteBatch(ms, 0)
		if err != nil && n <= 0 {
			n = 1
		}
		ms = ms[n:]
	}
}

func (c *batchConn) sendGSO(ms []ipv4.Message, addr netip.AddrPort, seg int) bool {
	b := c.gsobuf[:0]
	for k := range ms {
		b = append(b, ms[k].Buffers[0]...)
	}
	c.gsobuf = b
	c.gsooob = appendSegmentSize(c.gsooob[:0], seg)
	_, _, err := c.conn.WriteMsgUDPAddrPort(b, c.gsooob, addr)
	return err == nil
}

// cork queues this socket's writes until the matching uncork.
func (c *batchConn) cork() {
	c.wmu.Lock()
	c.corked++
	c.wmu.Unlock()
}

// uncork sends everything queued so far, whoever queued it.
func (c *batchConn) uncork() {
	c.wmu.Lock()
	c.corked--
	if c.wn > 0 {
		c.flushLocked()
	}
	c.wmu.Unlock()
}

func (c *batchConn) Close() error                       { return c.conn.Close() }
func (c *batchConn) LocalAddr() net.Addr                { return c.conn.LocalAddr() }
func (c *batchConn) SetDeadline(t time.Time) error      { return c.conn.SetDeadline(t) }
func (c *batchConn) SetReadDeadline(t time.Time) error  { return c.conn.SetReadDeadline(t) }
func (c *batchConn) SetWriteDeadline(t time.Time) error { return c.conn.SetWriteDeadline(t) }
