package media

import (
	"net"
	"net/netip"
	"sync"
	"time"
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
	ip4  bool // an AF_INET socket

	rmu sync.Mutex
	rv  *msgVec
	rn  int // messages in rv from the last recvmmsg
	ri  int // next one to hand out

	wmu    sync.Mutex
	corked int
	wv     *msgVec
	wbufs  [][]byte // queued datagrams (each with capacity queueMTU)
	waps   []netip.AddrPort
	wn     int // queued messages

	gso    bool   // UDP generic segmentation offload works (Linux)
	gsobuf []byte // a run of datagrams, concatenated
	gsooob []byte
}

func newBatchConn(conn *net.UDPConn) (*batchConn, error) {
	rv, err := newMsgVec(conn, receiveMTU)
	if err != nil {
		return nil, err
	}
	wv, err := newMsgVec(conn, 0)
	if err != nil {
		return nil, err
	}
	la, _ := conn.LocalAddr().(*net.UDPAddr)
	c := &batchConn{conn: conn, ip4: la != nil && la.IP.To4() != nil, rv: rv, wv: wv,
		wbufs: make([][]byte, batchSize), waps: make([]netip.AddrPort, batchSize),
		gso: gsoSupported(conn), gsobuf: make([]byte, 0, batchSize*1500)}
	for i := range c.wbufs {
		c.wbufs[i] = make([]byte, 0, queueMTU)
	}
	return c, nil
}

// receiveMTU is the largest datagram read; pion reads with the same size.
const receiveMTU = 8192

// queueMTU is the largest datagram queued while corked: what pion sends (its RTP MTU is
// 1200, SRTP adds a tag); a larger one goes out at once.
const queueMTU = 1500

// ReadFromAddrPort (ice.AddrPortReaderWriter) returns the next datagram.
func (c *batchConn) ReadFromAddrPort(b []byte) (int, netip.AddrPort, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	for c.ri >= c.rn {
		n, err := c.rv.recv()
		if err != nil {
			c.rn, c.ri = 0, 0
			return 0, netip.AddrPort{}, err
		}
		c.rn, c.ri = n, 0
	}
	i := c.ri
	c.ri++
	return copy(b, c.rv.bufs[i][:c.rv.size(i)]), c.rv.addr(i), nil
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
	if c.corked == 0 || len(b) > queueMTU {
		if c.wn > 0 { // keep order
			c.flushLocked()
		}
		c.wmu.Unlock()
		return c.conn.WriteToUDPAddrPort(b, addr)
	}
	c.wbufs[c.wn] = append(c.wbufs[c.wn][:0], b...)
	c.waps[c.wn] = netip.AddrPortFrom(addr.Addr().Unmap(), addr.Port())
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
// datagram the kernel splits, so it crosses the stack once; the others go out together
// in one sendmmsg.
func (c *batchConn) flushLocked() {
	bufs, aps := c.wbufs[:c.wn], c.waps[:c.wn]
	plain := 0 // bufs[plain:i] wait for one sendmmsg
	i := 0
	for i < len(bufs) {
		j := i + 1
		if c.gso {
			seg := len(bufs[i])
			for j < len(bufs) && aps[j] == aps[i] && len(bufs[j-1]) == seg &&
				len(bufs[j]) <= seg && (j-i+1)*seg <= 65000 {
				j++
			}
			if j-i > 1 {
				if plain < i {
					c.wv.send(bufs[plain:i], aps[plain:i], c.ip4)
				}
				if c.sendGSO(bufs[i:j], aps[i], seg) {
					i, plain = j, j
					continue
				}
				c.gso = false
				plain = i
			}
		}
		i = j
	}
	if plain < len(bufs) {
		c.wv.send(bufs[plain:], aps[plain:], c.ip4)
	}
	c.wn = 0
}

func (c *batchConn) sendGSO(bufs [][]byte, addr netip.AddrPort, seg int) bool {
	b := c.gsobuf[:0]
	for _, d := range bufs {
		b = append(b, d...)
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
