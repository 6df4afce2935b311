package rendezvous

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

func isReset(err error) bool {
	var se *network.StreamError
	return errors.As(err, &se) || errors.Is(err, network.ErrReset)
}

func frame(body string) []byte {
	return append(binary.AppendUvarint(nil, uint64(len(body))), body...)
}

// TestMalformedEndsStream sends bad frames on a raw stream: each gets an
// error answer, the stream is ended (reset if the peer goes on), and the
// server keeps serving.
func TestMalformedEndsStream(t *testing.T) {
	srv := startServer(t, nil)
	info := serverInfo(t, srv, nil)
	h := newHost(t)
	ctx := testCtx(t)
	if err := h.Connect(ctx, info); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		raw      []byte
		wantCode string
	}{
		{"oversize length", binary.AppendUvarint(nil, maxRequestSize+1), codeTooLarge},
		{"huge length", binary.AppendUvarint(nil, 1<<62), codeTooLarge},
		{"empty frame", frame(""), codeMalformed},
		{"not json", frame("hello"), codeMalformed},
		{"unknown field", frame(`{"v":1,"type":"discover","ns":"a","extra":1}`), codeMalformed},
		{"wrong version", frame(`{"v":2,"type":"discover","ns":"a"}`), codeMalformed},
		{"unknown type", frame(`{"v":1,"type":"delete","ns":"a"}`), codeMalformed},
		{"trailing data", frame(`{"v":1,"type":"discover","ns":"a"}{}`), codeMalformed},
		{"wrong field type", frame(`{"v":1,"type":"discover","ns":1}`), codeMalformed},
		{"ttl in discover", frame(`{"v":1,"type":"discover","ns":"a","ttl":5}`), codeMalformed},
		{"bad varint", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, codeMalformed},
	}
	// A peer that keeps sending after a bad frame is reset after a bounded
	// drain, without waiting for it to close.
	flood := append(frame("garbage"), make([]byte, 4*maxRequestSize)...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := h.NewStream(ctx, info.ID, ProtocolID)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			_ = st.SetDeadline(time.Now().Add(testTimeout))
			if _, err := st.Write(tt.raw); err != nil {
				t.Fatal(err)
			}
			_ = st.CloseWrite()
			r := bufio.NewReader(st)
			body, err := readFrame(r, maxResponseSize)
			if err != nil {
				t.Fatalf("no error answer: %v", err)
			}
			resp, err := decodeResponse(body)
			if err == nil || resp.Code != tt.wantCode {
				t.Fatalf("answer %+v (%v), want code %s", resp, err, tt.wantCode)
			}
			// The server ended the stream: nothing more comes.
			if rest, _ := io.ReadAll(r); len(rest) != 0 {
				t.Fatalf("%d more bytes after the error", len(rest))
			}
		})
	}

	t.Run("flood", func(t *testing.T) {
		st, err := h.NewStream(ctx, info.ID, ProtocolID)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		_ = st.SetDeadline(time.Now().Add(testTimeout))
		go func() { _, _ = st.Write(flood) }() // may fail once reset
		r := bufio.NewReader(st)
		body, err := readFrame(r, maxResponseSize)
		switch {
		case err != nil && isReset(err):
			// The reset can overtake the error answer (QUIC drops unread
			// data on reset) when the server drains faster than we read:
			// the stream is ended either way, which is what matters.
		case err != nil:
			t.Fatalf("neither an error answer nor a reset: %v", err)
		default:
			if _, err := decodeResponse(body); !errors.Is(err, ErrMalformed) {
				t.Fatalf("answer %v, want ErrMalformed", err)
			}
		}
		// Without our FIN the server still ends the stream, by a reset.
		if _, err := io.ReadAll(r); err != nil && !isReset(err) {
			t.Fatalf("read after error: %v", err)
		}
		eventually(t, "stream reset", func() bool {
			_, err := st.Write([]byte{0})
			return err != nil
		})
	})

	// The server is still healthy, for this peer too.
	c := NewClient(h, []peer.AddrInfo{info}, nil)
	if err := c.Register(ctx, "ns", 0); err != nil {
		t.Fatalf("register after abuse: %v", err)
	}
	if _, err := NewClient(newHost(t), []peer.AddrInfo{info}, nil).Discover(ctx, "ns", 0); err != nil {
		t.Fatalf("discover after abuse: %v", err)
	}
}

// TestSeveralRequestsOnOneStream checks a well-behaved stream may carry
// several requests, and an invalid namespace does not end it.
func TestSeveralRequestsOnOneStream(t *testing.T) {
	srv := startServer(t, nil)
	info := serverInfo(t, srv, nil)
	h := newHost(t)
	ctx := testCtx(t)
	if err := h.Connect(ctx, info); err != nil {
		t.Fatal(err)
	}
	st, err := h.NewStream(ctx, info.ID, ProtocolID)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r := bufio.NewReader(st)
	steps := []struct {
		req     request
		wantErr error
	}{
		{request{V: 1, Type: typeRegister, NS: "ns", TTL: 60}, nil},
		{request{V: 1, Type: typeRegister, NS: "bad ns"}, ErrInvalidNamespace},
		{request{V: 1, Type: typeDiscover, NS: "ns"}, nil},
		{request{V: 1, Type: typeUnregister, NS: "ns"}, nil},
	}
	for i, s := range steps {
		if err := writeFrame(st, s.req); err != nil {
			t.Fatal(err)
		}
		body, err := readFrame(r, maxResponseSize)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		resp, err := decodeResponse(body)
		if !errors.Is(err, s.wantErr) && (s.wantErr != nil || err != nil) {
			t.Fatalf("step %d: %v, want %v", i, err, s.wantErr)
		}
		if s.req.Type == typeRegister && err == nil && resp.TTL != 60 {
			t.Fatalf("granted ttl %d, want 60", resp.TTL)
		}
	}
}
