package rendezvous

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pion/logging"
	"github.com/pion/turn/v5"
)

// TURNConfig turns on a TURN relay (pion/turn) for the media of nodes that
// cannot reach each other directly (NATs, firewalls between sites). Nodes get
// short-lived credentials from the rendezvous protocol itself (TURN REST
// style: HMAC of "expiry:peerID" under a secret only this process knows), so
// no password is configured anywhere.
type TURNConfig struct {
	// Listen is the UDP address, e.g. "0.0.0.0:3478" (TCP on the same port).
	Listen string
	// TLSListen is the TCP address of TURN over TLS, e.g. "0.0.0.0:443", for
	// sites whose firewalls let only HTTPS out; "" for none.
	TLSListen string
	// TLSCert is its certificate; none: a self-signed one made at start,
	// whose fingerprint nodes get with their credentials and pin.
	TLSCert *tls.Certificate
	// PublicIP is the address nodes reach the relay at; relayed addresses use it.
	PublicIP net.IP
	// CredentialTTL is how long handed-out credentials stay valid.
	CredentialTTL time.Duration
	// MaxAllocationsPerPeer caps one node's concurrent relay allocations.
	MaxAllocationsPerPeer int
	// AllowLoopback lets the relay send to loopback addresses, which it
	// otherwise refuses (with unspecified, multicast and link-local ones) so
	// that nobody uses it to reach services on the server itself. Only for
	// tests on one machine.
	AllowLoopback bool
}

// DefaultTURNConfig listens on the standard TURN port of every address.
func DefaultTURNConfig(publicIP net.IP) *TURNConfig {
	return &TURNConfig{Listen: "0.0.0.0:3478", PublicIP: publicIP, CredentialTTL: 24 * time.Hour, MaxAllocationsPerPeer: 64}
}

func (c *TURNConfig) validate() error {
	switch {
	case c.PublicIP == nil || c.PublicIP.IsUnspecified():
		return fmt.Errorf("%w: TURN needs the public IP nodes reach it at", ErrInvalidConfig)
	case c.CredentialTTL <= 0 || c.MaxAllocationsPerPeer <= 0:
		return fmt.Errorf("%w: TURN CredentialTTL and MaxAllocationsPerPeer must be positive", ErrInvalidConfig)
	}
	return nil
}

// turnRelay is a running TURN server, on UDP and on TCP (the same port), for
// sites whose firewalls let no UDP out.
type turnRelay struct {
	cfg    *TURNConfig
	srv    *turn.Server
	urls   []string // udp, tcp, then tls
	secret string
	pin    string // SHA-256 of the TLS certificate, hex; "" without TLS

	mu    sync.Mutex
	count map[string]int // allocations per peer ID
}

// listenBoth opens UDP and TCP on the same port. With port 0 the system picks a free UDP
// port, which may be taken for TCP: then it tries another.
func listenBoth(addr string) (net.PacketConn, net.Listener, error) {
	host, port, _ := net.SplitHostPort(addr)
	for try := 0; ; try++ {
		conn, err := net.ListenPacket("udp4", addr)
		if err != nil {
			return nil, nil, fmt.Errorf("turn: listen %s: %w", addr, err)
		}
		tcp := net.JoinHostPort(host, strconv.Itoa(conn.LocalAddr().(*net.UDPAddr).Port))
		ln, err := net.Listen("tcp4", tcp)
		if err == nil {
			return conn, ln, nil
		}
		_ = conn.Close()
		if port != "0" || try == 20 {
			return nil, nil, fmt.Errorf("turn: listen tcp %s: %w", tcp, err)
		}
	}
}

func startTURN(cfg *TURNConfig, log *slog.Logger) (*turnRelay, error) {
	conn, ln, err := listenBoth(cfg.Listen)
	if err != nil {
		return nil, err
	}
	host, _, _ := net.SplitHostPort(cfg.Listen)
	port := strconv.Itoa(conn.LocalAddr().(*net.UDPAddr).Port)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	t := &turnRelay{cfg: cfg, secret: base64.StdEncoding.EncodeToString(key), count: map[string]int{}}
	at := net.JoinHostPort(cfg.PublicIP.String(), port)
	t.urls = []string{"turn:" + at + "?transport=udp", "turn:" + at + "?transport=tcp"}
	listeners := []net.Listener{ln}
	if cfg.TLSListen != "" {
		tl, pin, err := listenTLS(cfg)
		if err != nil {
			_ = conn.Close()
			_ = ln.Close()
			return nil, err
		}
		_, tport, _ := net.SplitHostPort(tl.Addr().String())
		t.urls = append(t.urls, "turns:"+net.JoinHostPort(cfg.PublicIP.String(), tport)+"?transport=tcp")
		t.pin = pin
		listeners = append(listeners, tl)
	}
	lf := &logging.DefaultLoggerFactory{Writer: slogWriter{log.With("component", "turn")},
		DefaultLogLevel: logging.LogLevelWarn, ScopeLevels: map[string]logging.LogLevel{}}
	relays := &turn.RelayAddressGeneratorStatic{RelayAddress: cfg.PublicIP, Address: host}
	t.srv, err = turn.NewServer(turn.ServerConfig{
		Realm:         "meshmeet",
		LoggerFactory: lf,
		AuthHandler:   turn.LongTermTURNRESTAuthHandler(t.secret, lf.NewLogger("turn")),
		QuotaHandler:  t.allow,
		EventHandler: turn.EventHandler{
			OnAllocationCreated: func(_, _ net.Addr, _, user, _ string, _ net.Addr, _ int) { t.add(user, 1) },
			OnAllocationDeleted: func(_, _ net.Addr, _, user, _ string) { t.add(user, -1) },
		},
		PacketConnConfigs: []turn.PacketConnConfig{{PacketConn: conn, RelayAddressGenerator: relays, PermissionHandler: t.mayRelayTo}},
		ListenerConfigs:   listenerConfigs(listeners, relays, t.mayRelayTo),
	})
	if err != nil {
		_ = conn.Close()
		for _, l := range listeners {
			_ = l.Close()
		}
		return nil, fmt.Errorf("turn: %w", err)
	}
	return t, nil
}

// credentials for peer p, valid for the configured TTL.
func (t *turnRelay) credentials(p string) (*wireTURN, error) {
	user, pass, err := turn.GenerateLongTermTURNRESTCredentials(t.secret, p, t.cfg.CredentialTTL)
	if err != nil {
		return nil, err
	}
	return &wireTURN{URLs: t.urls, Username: user, Credential: pass, TTL: int64(t.cfg.CredentialTTL / time.Second), TLSPin: t.pin}, nil
}

// mayRelayTo refuses peers on this machine or that are no unicast host.
func (t *turnRelay) mayRelayTo(_ net.Addr, ip net.IP) bool {
	switch {
	case ip.IsLoopback():
		return t.cfg.AllowLoopback
	case ip.IsUnspecified(), ip.IsMulticast(), ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast(), ip.IsInterfaceLocalMulticast():
		return false
	}
	return true
}

// allow is the quota check; user is the peer ID part of "expiry:peerID".
func (t *turnRelay) allow(user, _ string, _ net.Addr) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.count[user] < t.cfg.MaxAllocationsPerPeer
}

func (t *turnRelay) add(p string, d int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.count[p] += d; t.count[p] <= 0 {
		delete(t.count, p)
	}
}

func (t *turnRelay) close() error { return t.srv.Close() }

// slogWriter takes pion's formatted log lines (warnings and errors: bad
// credentials, quota refusals) into slog at debug level: they are what
// strangers can cause, not the operator's business.
type slogWriter struct{ log *slog.Logger }

func (w slogWriter) Write(b []byte) (int, error) {
	w.log.Debug(strings.TrimSpace(string(b)))
	return len(b), nil
}
