package rendezvous

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/protocol/circuitv2/client"
	ma "github.com/multiformats/go-multiaddr"
)

// defaultRequestTimeout bounds one request to one server when the caller's
// context has no deadline.
const defaultRequestTimeout = 30 * time.Second

// Client talks to a set of rendezvous servers on behalf of a libp2p host.
// It is safe for concurrent use and holds no goroutines between calls.
type Client struct {
	h       host.Host
	servers []peer.AddrInfo
	log     *slog.Logger

	mu      sync.Mutex
	cookies map[string]map[peer.ID]uint64 // by namespace, then server: what Watch has seen
}

// NewClient returns a Client for h and the given servers. A nil logger
// discards logs.
func NewClient(h host.Host, servers []peer.AddrInfo, logger *slog.Logger) *Client {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var own []peer.AddrInfo
	for _, s := range servers {
		if s.ID != h.ID() {
			own = append(own, peer.AddrInfo{ID: s.ID, Addrs: append([]ma.Multiaddr(nil), s.Addrs...)})
		}
	}
	return &Client{h: h, servers: own, log: logger, cookies: map[string]map[peer.ID]uint64{}}
}

// Servers returns the servers the client uses.
func (c *Client) Servers() []peer.AddrInfo {
	return append([]peer.AddrInfo(nil), c.servers...)
}

// Register registers the host under ns with every server for ttl (rounded
// up to whole seconds; 0 asks for the server's default, and servers cap it).
// It succeeds if at least one server accepted.
func (c *Client) Register(ctx context.Context, ns string, ttl time.Duration) error {
	if ttl < 0 {
		return fmt.Errorf("register: %w: %v", ErrInvalidTTL, ttl)
	}
	secs := int64(math.Ceil(ttl.Seconds()))
	req := request{V: wireVersion, Type: typeRegister, NS: ns, TTL: secs}
	_, err := c.all(ctx, req)
	if err != nil {
		return fmt.Errorf("register: %w", err)
	}
	return nil
}

// Unregister removes the host from ns on every server. It succeeds if at
// least one server answered.
func (c *Client) Unregister(ctx context.Context, ns string) error {
	req := request{V: wireVersion, Type: typeUnregister, NS: ns}
	if _, err := c.all(ctx, req); err != nil {
		return fmt.Errorf("unregister: %w", err)
	}
	return nil
}

// Discover returns the peers registered under ns, merged across servers,
// without the host itself; at most limit of them if limit > 0. Each peer's
// addresses are those the servers observed plus circuit addresses through
// the servers' relays. It succeeds if at least one server answered.
func (c *Client) Discover(ctx context.Context, ns string, limit int) ([]peer.AddrInfo, error) {
	if limit < 0 {
		return nil, fmt.Errorf("discover: %w: negative limit", ErrMalformed)
	}
	req := request{V: wireVersion, Type: typeDiscover, NS: ns, Limit: limit}
	resps, err := c.all(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("discover: %w", err)
	}
	return c.merge(resps, limit), nil
}

// Watch is Discover that waits for news: the first call of a namespace
// answers at once; each later one answers once a peer registered under ns
// on some server since the previous answer (a long poll, at most wait and
// the server's cap), with every peer registered there. Register first:
// waiting discoverers learn of each new registration the moment the server
// stores it.
func (c *Client) Watch(ctx context.Context, ns string, limit int, wait time.Duration) ([]peer.AddrInfo, error) {
	if limit < 0 || wait <= 0 {
		return nil, fmt.Errorf("watch: %w: negative limit or no wait", ErrMalformed)
	}
	if len(c.servers) == 0 {
		return nil, fmt.Errorf("watch: %w", ErrNoServers)
	}
	ctx, cancel := context.WithTimeout(ctx, wait+defaultRequestTimeout/3)
	defer cancel() // the slower servers' requests end with the first news
	type answer struct {
		srv  peer.ID
		sent uint64
		resp response
		err  error
	}
	answers := make(chan answer, len(c.servers))
	for _, srv := range c.servers {
		c.mu.Lock()
		cookie, seen := c.cookies[ns][srv.ID]
		c.mu.Unlock()
		req := request{V: wireVersion, Type: typeDiscover, NS: ns, Limit: limit, Cookie: cookie}
		if seen { // the first call of a namespace asks what is there now
			req.Wait = int64(math.Ceil(wait.Seconds()))
		}
		go func() {
			resp, err := c.roundTrip(ctx, srv, req)
			answers <- answer{srv.ID, cookie, resp, err}
		}()
	}
	var (
		resps []response
		errs  []error
	)
	for range c.servers {
		a := <-answers
		if a.err != nil {
			errs = append(errs, fmt.Errorf("server %s: %w", a.srv, a.err))
			if len(resps) > 0 {
				break // news came, and the rest were cancelled
			}
			continue
		}
		resps = append(resps, a.resp)
		c.mu.Lock()
		if c.cookies[ns] == nil {
			c.cookies[ns] = map[peer.ID]uint64{}
		}
		c.cookies[ns][a.srv] = a.resp.Cookie
		c.mu.Unlock()
		if a.resp.Cookie != a.sent {
			cancel()
		}
	}
	if len(resps) == 0 {
		return nil, fmt.Errorf("watch: %w", errors.Join(errs...))
	}
	return c.merge(resps, limit), nil
}

// merge unites the peers of several servers' answers, without the host
// itself; at most limit of them if limit > 0.
func (c *Client) merge(resps []response, limit int) []peer.AddrInfo {
	var out []peer.AddrInfo
	index := make(map[peer.ID]int)
	for _, resp := range resps {
		for _, wp := range resp.Peers {
			ai, err := parseWirePeer(wp)
			if err != nil {
				c.log.Debug("discovered peer ignored", "err", err)
				continue
			}
			if ai.ID == c.h.ID() {
				continue
			}
			if i, ok := index[ai.ID]; ok {
				out[i].Addrs = mergeAddrs(out[i].Addrs, ai.Addrs)
				continue
			}
			if limit > 0 && len(out) >= limit {
				continue
			}
			index[ai.ID] = len(out)
			out = append(out, ai)
		}
	}
	return out
}

// Reserve reserves a relay slot on every server (circuit relay v2), which a
// node needs to be reachable through the circuit addresses Discover hands
// out. It returns the earliest expiry; reserve again before it, or let
// libp2p.EnableAutoRelayWithStaticRelays keep reservations instead. It
// succeeds if at least one server granted a slot.
func (c *Client) Reserve(ctx context.Context) (time.Time, error) {
	if len(c.servers) == 0 {
		return time.Time{}, fmt.Errorf("reserve: %w", ErrNoServers)
	}
	var (
		mu       sync.Mutex
		earliest time.Time
		errs     []error
		wg       sync.WaitGroup
	)
	for _, srv := range c.servers {
		wg.Go(func() {
			rctx, cancel := withDefaultTimeout(ctx)
			defer cancel()
			rsvp, err := client.Reserve(rctx, c.h, srv)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("server %s: %w", srv.ID, err))
				return
			}
			if earliest.IsZero() || rsvp.Expiration.Before(earliest) {
				earliest = rsvp.Expiration
			}
		})
	}
	wg.Wait()
	if earliest.IsZero() {
		return time.Time{}, fmt.Errorf("reserve: %w", errors.Join(errs...))
	}
	for _, err := range errs {
		c.log.Warn("relay reservation failed", "err", err)
	}
	return earliest, nil
}

// TURNServer is a TURN relay and credentials for it from a rendezvous server.
type TURNServer struct {
	URLs       []string
	Username   string
	Credential string
	Expires    time.Time
	// TLSPin is the SHA-256 (hex) of the certificate its turns: URL must
	// present; "" when it has none.
	TLSPin string
}

// TURN asks every server for credentials to its TURN relay; servers without
// one are skipped. It fails (ErrNoTURN among the causes) if none has one.
func (c *Client) TURN(ctx context.Context) ([]TURNServer, error) {
	resps, err := c.all(ctx, request{V: wireVersion, Type: typeTURN})
	if err != nil {
		return nil, err
	}
	var out []TURNServer
	for _, r := range resps {
		t := r.TURN
		if t == nil || validTURN(t) != nil {
			c.log.Warn("rendezvous server sent unusable TURN credentials")
			continue
		}
		out = append(out, TURNServer{URLs: t.URLs, Username: t.Username, Credential: t.Credential,
			Expires: time.Now().Add(time.Duration(t.TTL) * time.Second), TLSPin: t.TLSPin})
	}
	if len(out) == 0 {
		return nil, ErrNoTURN
	}
	return out, nil
}

// validTURN bounds what a server may send: a few turn:/turns: URLs and
// short credentials with a positive lifetime.
func validTURN(t *wireTURN) error {
	if len(t.URLs) == 0 || len(t.URLs) > 4 || len(t.Username) > 256 || len(t.Credential) > 256 || t.TTL <= 0 {
		return ErrMalformed
	}
	if pin, err := hex.DecodeString(t.TLSPin); t.TLSPin != "" && (err != nil || len(pin) != sha256.Size) {
		return ErrMalformed
	}
	for _, u := range t.URLs {
		if len(u) > 256 || !strings.HasPrefix(u, "turn:") && !strings.HasPrefix(u, "turns:") {
			return ErrMalformed
		}
	}
	return nil
}

// all sends req to every server concurrently and returns the successful
// responses; it fails only if none succeeded.
func (c *Client) all(ctx context.Context, req request) ([]response, error) {
	if len(c.servers) == 0 {
		return nil, ErrNoServers
	}
	var (
		mu    sync.Mutex
		resps []response
		errs  []error
		wg    sync.WaitGroup
	)
	for _, srv := range c.servers {
		wg.Go(func() {
			resp, err := c.roundTrip(ctx, srv, req)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("server %s: %w", srv.ID, err))
				return
			}
			resps = append(resps, resp)
		})
	}
	wg.Wait()
	if len(resps) == 0 {
		return nil, errors.Join(errs...)
	}
	for _, err := range errs {
		c.log.Warn("rendezvous server request failed", "type", req.Type, "err", err)
	}
	return resps, nil
}

// roundTrip connects to srv if needed and sends one request on a new stream.
func (c *Client) roundTrip(ctx context.Context, srv peer.AddrInfo, req request) (response, error) {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	if c.h.Network().Connectedness(srv.ID) != network.Connected {
		if err := c.h.Connect(ctx, srv); err != nil {
			return response{}, fmt.Errorf("connect: %w", err)
		}
	}
	st, err := c.h.NewStream(ctx, srv.ID, ProtocolID)
	if err != nil {
		return response{}, fmt.Errorf("open stream: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { _ = st.Reset() })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		_ = st.SetDeadline(dl)
	}
	if err := writeFrame(st, req); err != nil {
		_ = st.Reset()
		return response{}, err
	}
	if req.Wait == 0 {
		// A waiting request keeps its side open: the server frees the
		// wait as soon as this stream is reset (a cancelled watch).
		_ = st.CloseWrite()
	}
	body, err := readFrame(bufio.NewReader(st), maxResponseSize)
	if err != nil {
		_ = st.Reset()
		return response{}, fmt.Errorf("read response: %w", err)
	}
	_ = st.Close()
	return decodeResponse(body)
}

func withDefaultTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, defaultRequestTimeout)
}

// parseWirePeer turns a wire peer into an AddrInfo, skipping bad addresses.
func parseWirePeer(wp wirePeer) (peer.AddrInfo, error) {
	id, err := peer.Decode(wp.ID)
	if err != nil {
		return peer.AddrInfo{}, fmt.Errorf("%w: peer id: %w", ErrMalformed, err)
	}
	ai := peer.AddrInfo{ID: id}
	for _, s := range wp.Addrs {
		if len(ai.Addrs) >= maxAddrsPerPeer+maxRelayBases {
			break
		}
		if a, err := ma.NewMultiaddr(s); err == nil {
			ai.Addrs = append(ai.Addrs, a)
		}
	}
	return ai, nil
}

func mergeAddrs(have, more []ma.Multiaddr) []ma.Multiaddr {
outer:
	for _, a := range more {
		for _, h := range have {
			if h.Equal(a) {
				continue outer
			}
		}
		have = append(have, a)
	}
	return have
}

// TURNAddr is the host:port of a turn: or turns: URL.
func TURNAddr(u string) string {
	addr, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(u, "turns:"), "turn:"), "?")
	return addr
}
