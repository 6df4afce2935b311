package doctor

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/discovery/mdns"
	"github.com/libp2p/go-libp2p/p2p/protocol/ping"
	"github.com/pion/turn/v5"

	"meshmeet/media"
	"meshmeet/rendezvous"
)

// newHost is a throwaway libp2p host with a fresh key: doctor never uses
// the node's identity (the node may be running with it).
func newHost(listen ...string) (host.Host, error) {
	if len(listen) == 0 {
		return libp2p.New(libp2p.NoListenAddrs)
	}
	return libp2p.New(libp2p.ListenAddrStrings(listen...))
}

// checkRendezvous dials each rendezvous server and measures its round
// trip, then asks for TURN credentials and allocates a relay with them over
// UDP, TCP and TLS.
func checkRendezvous(ctx context.Context, cfg Config) []Check {
	turnSkipped := func(why string) []Check {
		return []Check{skipped("turn-udp", why), skipped("turn-tcp", why), skipped("turn-tls", why)}
	}
	if len(cfg.Rendezvous) == 0 {
		return append([]Check{skipped("rendezvous", "No --rendezvous is set: nodes meet only on this LAN (mDNS) and through --peer.")},
			turnSkipped("TURN relays come from a rendezvous server; none is set.")...)
	}
	servers, err := rendezvous.ParseServers(cfg.Rendezvous)
	if err != nil {
		return append([]Check{{Name: "rendezvous", Status: StatusFail, Detail: fmt.Sprintf("The --rendezvous address is not valid: %v.", err),
			Hint: "Copy one of the full addresses (with /p2p/) that `meshmeet rendezvous` prints."}}, turnSkipped("The rendezvous address is not valid.")...)
	}
	h, err := newHost()
	if err != nil {
		return []Check{{Name: "rendezvous", Status: StatusFail, Detail: fmt.Sprintf("libp2p could not start: %v.", err)}}
	}
	defer h.Close()
	var out []Check
	var reached []peer.AddrInfo
	for _, s := range servers {
		c := Check{Name: "rendezvous"}
		rtt, err := reach(ctx, h, s, cfg.Timeout)
		if err != nil {
			c.Status, c.Detail = StatusFail, fmt.Sprintf("The rendezvous server %s cannot be reached at %v: %v.", s.ID, s.Addrs, err)
			c.Hint = "Check that it runs (its health endpoint, or `systemctl status meshmeet-rendezvous`) and that this site's firewall lets its TCP/QUIC port out."
		} else {
			c.Status, c.LatencyMs = StatusOK, ms(rtt)
			c.Detail = fmt.Sprintf("The rendezvous server %s answers at %v in %v.", s.ID, s.Addrs, rtt.Round(100*time.Microsecond))
			if rtt > 300*time.Millisecond {
				c.Status, c.Hint = StatusWarn, "That round trip is long: joining meetings across sites will be slow."
			}
			reached = append(reached, s)
		}
		out = append(out, c)
	}
	if len(reached) == 0 {
		return append(out, turnSkipped("No rendezvous server could be reached.")...)
	}
	tctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	servs, err := rendezvous.NewClient(h, reached, nil).TURN(tctx)
	if errors.Is(err, rendezvous.ErrNoTURN) {
		c := Check{Status: StatusWarn, Detail: "The rendezvous offers no TURN relay (it was started without --turn-ip).",
			Hint: "Nodes behind strict NATs or firewalls that block UDP between sites will get no media; start the rendezvous with --turn-ip."}
		return append(out, named(c, "turn-udp"), named(c, "turn-tcp"), named(c, "turn-tls"))
	}
	if err != nil {
		return append(out, Check{Name: "turn-udp", Status: StatusFail, Detail: fmt.Sprintf("The rendezvous gave no TURN credentials: %v.", err)})
	}
	return append(out, checkTURN(servs, cfg.Timeout)...)
}

func named(c Check, name string) Check { c.Name = name; return c }

// reach connects to s and pings it; the ping's round trip, or the
// connection's time when the server does not answer pings.
func reach(ctx context.Context, h host.Host, s peer.AddrInfo, timeout time.Duration) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	if err := h.Connect(ctx, s); err != nil {
		return 0, err
	}
	took := time.Since(start)
	select {
	case r := <-ping.Ping(ctx, h, s.ID):
		if r.Error == nil {
			return r.RTT, nil
		}
	case <-ctx.Done():
	}
	return took, nil
}

// checkTURN allocates a relay on every URL the servers offer, by transport.
func checkTURN(servs []rendezvous.TURNServer, timeout time.Duration) []Check {
	results := map[string]Check{}
	for _, s := range servs {
		for _, u := range s.URLs {
			tr := transportOf(u)
			name := "turn-" + tr
			if prev, ok := results[name]; ok && prev.Status == StatusOK {
				continue
			}
			start := time.Now()
			err := allocate(u, tr, s.Username, s.Credential, s.TLSPin, timeout)
			c := Check{Name: name, Status: StatusOK, LatencyMs: ms(time.Since(start)),
				Detail: fmt.Sprintf("A relay was allocated at %s in %v.", u, time.Since(start).Round(100*time.Microsecond))}
			if err != nil {
				c = Check{Name: name, Status: StatusFail, Detail: fmt.Sprintf("No relay could be allocated at %s: %v.", u, err),
					Hint: turnHints[tr]}
			}
			results[name] = c
		}
	}
	var out []Check
	for _, tr := range []string{"udp", "tcp", "tls"} {
		c, ok := results["turn-"+tr]
		if !ok {
			c = skipped("turn-"+tr, "TURN over "+strings.ToUpper(tr)+" is not offered by this rendezvous.")
		}
		out = append(out, c)
	}
	return out
}

var turnHints = map[string]string{
	"udp": "Let UDP to the TURN port (3478 by default) and to the relay ports out through this site's firewall; TCP is the fallback.",
	"tcp": "Let TCP to the TURN port (3478 by default) out through this site's firewall; this is the last resort where UDP is blocked.",
	"tls": "Let TCP to the TURN over TLS port (443 by default) out through this site's firewall; where only HTTPS gets out, this is the way.",
}

// transportOf is udp, tcp or tls for a turn:/turns: URL.
func transportOf(u string) string {
	switch {
	case strings.HasPrefix(u, "turns:"):
		return "tls"
	case strings.Contains(u, "transport=tcp"):
		return "tcp"
	}
	return "udp"
}

func allocate(u, tr, user, pass, pin string, timeout time.Duration) error {
	addr := rendezvous.TURNAddr(u)
	var conn net.PacketConn
	switch tr {
	case "udp":
		// The socket's family must be the relay's: a dual-stack socket
		// asks an IPv4 relay for an allocation it cannot give (508).
		network := "udp"
		if host, _, _ := net.SplitHostPort(addr); net.ParseIP(host).To4() != nil {
			network = "udp4"
		}
		uc, err := net.ListenPacket(network, ":0")
		if err != nil {
			return err
		}
		conn = uc
	case "tcp", "tls":
		d := &net.Dialer{Timeout: timeout}
		var nc net.Conn
		var err error
		if tr == "tls" {
			// The rendezvous's own certificate, pinned as nodes do.
			nc, err = tls.DialWithDialer(d, "tcp", addr, media.PinnedTLS(pin))
		} else {
			nc, err = d.Dial("tcp", addr)
		}
		if err != nil {
			return err
		}
		conn = turn.NewSTUNConn(nc)
	}
	defer conn.Close()
	c, err := turn.NewClient(&turn.ClientConfig{TURNServerAddr: addr, STUNServerAddr: addr, Username: user, Password: pass,
		Realm: "meshmeet", Conn: conn, RTO: timeout / 8})
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Listen(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() {
		relay, err := c.Allocate()
		if err == nil {
			err = relay.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(timeout):
		return errors.New("no answer within " + timeout.String())
	}
}

// checkMDNS: two throwaway hosts look for each other by mDNS, which shows
// whether multicast works on this machine's interfaces; other meshmeet
// nodes that answer are counted.
func checkMDNS(ctx context.Context, cfg Config) Check {
	if !cfg.MDNS {
		return skipped("mdns", "mDNS is off (--no-mdns): nodes on this LAN are found only through a rendezvous or --peer.")
	}
	a, err := newHost("/ip4/0.0.0.0/tcp/0")
	if err != nil {
		return Check{Name: "mdns", Status: StatusFail, Detail: fmt.Sprintf("libp2p could not start: %v.", err)}
	}
	defer a.Close()
	b, err := newHost("/ip4/0.0.0.0/tcp/0")
	if err != nil {
		return Check{Name: "mdns", Status: StatusFail, Detail: fmt.Sprintf("libp2p could not start: %v.", err)}
	}
	defer b.Close()
	found := make(chan peer.ID, 64)
	sa := mdns.NewMdnsService(a, "meshmeet", notifee(found))
	sb := mdns.NewMdnsService(b, "meshmeet", notifee(nil))
	for _, s := range []mdns.Service{sa, sb} {
		if err := s.Start(); err != nil {
			return Check{Name: "mdns", Status: StatusWarn, Detail: fmt.Sprintf("mDNS could not start: %v.", err),
				Hint: "Use --rendezvous or --peer to find nodes."}
		}
		defer s.Close()
	}
	others := map[peer.ID]bool{}
	sawSelf := false
	deadline := time.After(min(cfg.Timeout, 3*time.Second))
	for {
		select {
		case p := <-found:
			switch p {
			case b.ID():
				sawSelf = true
			case a.ID():
			default:
				others[p] = true
			}
			continue
		case <-deadline:
		case <-ctx.Done():
		}
		break
	}
	if !sawSelf {
		return Check{Name: "mdns", Status: StatusWarn,
			Detail: "mDNS queries got no answer, not even from this machine: multicast looks blocked (a firewall, a VPN, or a network that filters it).",
			Hint:   "Allow UDP 5353 to 224.0.0.251, or let nodes meet through --rendezvous or --peer."}
	}
	return Check{Name: "mdns", Status: StatusOK,
		Detail: fmt.Sprintf("mDNS works on this machine's interfaces; %d other meshmeet nodes answered on this network.", len(others))}
}

type notifee chan peer.ID

func (n notifee) HandlePeerFound(pi peer.AddrInfo) {
	if n == nil {
		return
	}
	select {
	case n <- pi.ID:
	default:
	}
}
