package rendezvous

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/protocol/identify"
)

const (
	// identifyWait bounds the wait for identify before a registration is
	// stored, so the peerstore holds the addresses the peer announced.
	identifyWait = 5 * time.Second
	// errorLinger bounds the delivery of a last error before a reset.
	errorLinger = 2 * time.Second
)

// handleStream serves one rendezvous stream: requests and responses in turn
// until the client closes its side. A malformed or oversized frame gets an
// error and a reset.
func (s *Server) handleStream(st network.Stream) {
	h, ctx, ok := s.startHandler()
	if !ok {
		_ = st.Reset()
		return
	}
	defer s.handlers.Done()

	p := st.Conn().RemotePeer()
	r := bufio.NewReader(st)
	for {
		_ = st.SetReadDeadline(time.Now().Add(s.cfg.StreamIdleTimeout))
		body, err := readFrame(r, maxRequestSize)
		if errors.Is(err, io.EOF) {
			_ = st.Close()
			return
		}
		if err != nil {
			s.reject(st, p, err)
			return
		}
		var resp response
		if !s.limits.allow(p, time.Now()) {
			s.log.Debug("request rate limited", "peerId", p.String())
			resp = errorResponse(ErrRateLimited)
		} else {
			req, err := decodeRequest(body, s.cfg.MaxNamespaceLen)
			switch {
			case errors.Is(err, ErrMalformed) || errors.Is(err, ErrMessageTooLarge):
				s.reject(st, p, err)
				return
			case err != nil: // well-formed but invalid: answer and go on
				resp = errorResponse(err)
			default:
				resp = s.handle(ctx, h, st, r, req)
			}
		}
		_ = st.SetWriteDeadline(time.Now().Add(s.cfg.StreamIdleTimeout))
		if err := writeFrame(st, resp); err != nil {
			s.log.Debug("response write failed", "peerId", p.String(), "err", err)
			_ = st.Reset()
			return
		}
	}
}

// reject answers a misbehaving stream with an error and ends it. A reset
// right after the write would discard the unsent error (QUIC and yamux drop
// data not yet delivered on reset), so the error goes out with our FIN, then
// we drain the peer's side, bounded in time and bytes. A peer that then
// closes its side gets a clean close (the error reaches it); one that keeps
// sending or stalls is reset.
func (s *Server) reject(st network.Stream, p peer.ID, err error) {
	s.log.Debug("stream rejected", "peerId", p.String(), "err", err)
	_ = st.SetDeadline(time.Now().Add(errorLinger))
	if writeFrame(st, errorResponse(err)) == nil && st.CloseWrite() == nil {
		n, err := io.CopyN(io.Discard, st, maxRequestSize)
		if n < maxRequestSize && errors.Is(err, io.EOF) {
			_ = st.Close()
			return
		}
	}
	_ = st.Reset()
}

func errorResponse(err error) response {
	return response{V: wireVersion, Status: statusError, Code: errorCode(err), Error: err.Error()}
}

// handle executes one valid request from the peer of st (r reads st).
func (s *Server) handle(ctx context.Context, h host.Host, st network.Stream, r *bufio.Reader, req request) response {
	c := st.Conn()
	p := c.RemotePeer()
	switch req.Type {
	case typeRegister:
		ttl := s.grantTTL(req.TTL)
		waitIdentify(ctx, h, c)
		if err := s.store.register(req.NS, p, observedAddrs(h, p), ttl); err != nil {
			return errorResponse(err)
		}
		s.log.Debug("peer registered", "peerId", p.String(), "ttl", ttl)
		return response{V: wireVersion, Status: statusOK, TTL: int64(ttl / time.Second)}
	case typeUnregister:
		s.store.unregister(req.NS, p)
		return response{V: wireVersion, Status: statusOK}
	case typeDiscover:
		limit := s.cfg.MaxDiscoverLimit
		if req.Limit > 0 && req.Limit < limit {
			limit = req.Limit
		}
		if req.Wait > 0 {
			if err := s.awaitNews(ctx, req, p, st, r); err != nil {
				return errorResponse(err)
			}
		}
		cookie := s.store.cookie(req.NS) // before the lookup: never newer than what it names
		bases := relayBases(h, c)
		found := s.store.discover(req.NS, p, limit)
		peers := make([]wirePeer, 0, len(found))
		for _, ai := range found {
			wp := wirePeer{ID: ai.ID.String()}
			for _, a := range append(ai.Addrs, circuitAddrs(bases, ai.ID)...) {
				wp.Addrs = append(wp.Addrs, a.String())
			}
			peers = append(peers, wp)
		}
		return response{V: wireVersion, Status: statusOK, Peers: peers, Cookie: cookie}
	case typeTURN:
		if s.turn == nil {
			return errorResponse(ErrNoTURN)
		}
		t, err := s.turn.credentials(p.String())
		if err != nil {
			return errorResponse(err)
		}
		return response{V: wireVersion, Status: statusOK, TURN: t}
	default: // decodeRequest admits no other type
		return errorResponse(ErrMalformed)
	}
}

// awaitNews holds a waiting DISCOVER until a registration newer than its
// cookie arrives under its namespace, its wait (capped) is over, or the
// server stops. Waiters are capped per peer and in all.
func (s *Server) awaitNews(ctx context.Context, req request, p peer.ID, st network.Stream, r *bufio.Reader) error {
	news, release, err := s.store.watch(req.NS, p, req.Cookie)
	if err != nil {
		s.log.Debug("waiting discover refused", "peerId", p.String(), "err", err)
		return err
	}
	defer release()
	wait := s.cfg.MaxWait
	if req.Wait < int64(wait/time.Second) {
		wait = time.Duration(req.Wait) * time.Second
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	gone, stop := watchGone(st, r)
	defer stop()
	select {
	case <-news:
	case <-t.C:
	case <-gone:
	case <-ctx.Done():
	}
	return nil
}

// watchGone reports a client that resets its stream (or breaks the
// protocol by sending before its answer) while its request waits, so its
// waiter slot frees at once rather than at the end of the wait. It peeks
// without consuming; stop ends the watch before r is read again.
func watchGone(st network.Stream, r *bufio.Reader) (<-chan struct{}, func()) {
	gone, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		_ = st.SetReadDeadline(time.Time{})
		var ne net.Error
		if _, err := r.Peek(1); !errors.Is(err, io.EOF) && !(errors.As(err, &ne) && ne.Timeout()) {
			close(gone) // reset, or bytes out of turn
		}
	}()
	return gone, func() {
		_ = st.SetReadDeadline(time.Now()) // unblocks the peek
		<-done
	}
}

// grantTTL turns a requested TTL in seconds into the granted duration.
func (s *Server) grantTTL(secs int64) time.Duration {
	if secs == 0 {
		return min(s.cfg.DefaultTTL, s.cfg.MaxTTL)
	}
	if secs >= int64(s.cfg.MaxTTL/time.Second) {
		return s.cfg.MaxTTL
	}
	return time.Duration(secs) * time.Second
}

// waitIdentify waits (bounded) until identify with the peer of c is done.
func waitIdentify(ctx context.Context, h host.Host, c network.Conn) {
	ider, ok := h.(interface{ IDService() identify.IDService })
	if !ok {
		return
	}
	t := time.NewTimer(identifyWait)
	defer t.Stop()
	select {
	case <-ider.IDService().IdentifyWait(c):
	case <-t.C:
	case <-ctx.Done():
	}
}
