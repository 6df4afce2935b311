package media

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"
)

func udp4(t *testing.T) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func addrPort(c *net.UDPConn) netip.AddrPort { return c.LocalAddr().(*net.UDPAddr).AddrPort() }

func datagram(from string, i, size int) []byte {
	b := bytes.Repeat([]byte{byte(i)}, size)
	copy(b, fmt.Sprintf("%s%03d", from, i))
	return b
}

// TestBatchConnRead: a burst larger than one recvmmsg from two senders comes out whole,
// in order per sender, each with its sender's address.
func TestBatchConnRead(t *testing.T) {
	bc, err := newBatchConn(udp4(t))
	if err != nil {
		t.Fatal(err)
	}
	a, b := udp4(t), udp4(t)
	const n = batchSize + 9
	for i := range n {
		if _, err := a.WriteToUDPAddrPort(datagram("a", i, 100+i*10), addrPort(bc.conn)); err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			_, _ = b.WriteToUDPAddrPort(datagram("b", i, 50), addrPort(bc.conn))
		}
	}
	_ = bc.SetReadDeadline(time.Now().Add(5 * time.Second))
	next := map[netip.AddrPort]int{}
	buf := make([]byte, receiveMTU)
	for got := 0; got < n+(n+2)/3; got++ {
		k, from, err := bc.ReadFromAddrPort(buf)
		if err != nil {
			t.Fatalf("after %d datagrams: %v", got, err)
		}
		var want []byte
		switch from {
		case addrPort(a):
			want = datagram("a", next[from], 100+next[from]*10)
			next[from]++
		case addrPort(b):
			want = datagram("b", next[from]*3, 50)
			next[from]++
		default:
			t.Fatalf("datagram from %v", from)
		}
		if !bytes.Equal(buf[:k], want) {
			t.Fatalf("from %v got %q…, want %q…", from, buf[:min(k, 8)], want[:8])
		}
	}
}

// TestBatchConnCorkedWrites: datagrams queued while corked (GSO runs, mixed destinations,
// one the socket cannot reach) all arrive, in order per destination, at the uncork; with
// GSO and with sendmmsg alone.
func TestBatchConnCorkedWrites(t *testing.T) {
	for _, gso := range []bool{true, false} {
		t.Run(fmt.Sprint("gso=", gso), func(t *testing.T) { corkedWrites(t, gso) })
	}
}

func corkedWrites(t *testing.T, gso bool) {
	bc, err := newBatchConn(udp4(t))
	if err != nil {
		t.Fatal(err)
	}
	if gso && !bc.gso {
		t.Skip("no UDP GSO here")
	}
	bc.gso = gso
	a, b := udp4(t), udp4(t)
	var wantA, wantB [][]byte
	bc.cork()
	for i := range 12 {
		d := datagram("a", i, 1100)
		if i == 11 {
			d = datagram("a", i, 300) // a shorter last segment ends the run
		}
		wantA = append(wantA, d)
		_, _ = bc.WriteToAddrPort(d, addrPort(a))
		if i%4 == 0 {
			d := datagram("b", i, 200+i)
			wantB = append(wantB, d)
			_, _ = bc.WriteToAddrPort(d, addrPort(b))
		}
	}
	// An IPv6 destination on this IPv4 socket is dropped without harming the rest.
	_, _ = bc.WriteToAddrPort([]byte("v6"), netip.MustParseAddrPort("[2001:db8::1]:9"))
	wantB = append(wantB, datagram("b", 99, 77))
	_, _ = bc.WriteToAddrPort(wantB[len(wantB)-1], addrPort(b))

	_ = a.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if _, _, err := a.ReadFromUDPAddrPort(make([]byte, 10)); err == nil {
		t.Fatal("a datagram left while corked")
	}
	bc.uncork()
	for _, c := range []struct {
		conn *net.UDPConn
		want [][]byte
	}{{a, wantA}, {b, wantB}} {
		_ = c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, receiveMTU)
		for i, want := range c.want {
			k, from, err := c.conn.ReadFromUDPAddrPort(buf)
			if err != nil {
				t.Fatalf("%v: datagram %d: %v", addrPort(c.conn), i, err)
			}
			if from != addrPort(bc.conn) || !bytes.Equal(buf[:k], want) {
				t.Fatalf("%v: datagram %d is %q… (%d bytes) from %v, want %q… (%d)", addrPort(c.conn), i,
					buf[:min(k, 4)], k, from, want[:4], len(want))
			}
		}
	}
	// Uncorked, a write goes out at once.
	if _, err := bc.WriteToAddrPort([]byte("now"), addrPort(a)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	if k, _, err := a.ReadFromUDPAddrPort(buf); err != nil || string(buf[:k]) != "now" {
		t.Fatalf("uncorked write: %q, %v", buf[:k], err)
	}
}
