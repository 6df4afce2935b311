package mesh

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	"github.com/libp2p/go-libp2p/x/rate"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
)

// resources is libp2p's default resource manager, except that connections
// through the circuit relays (the rendezvous servers) are not held to its 8
// connections per IP address, nor to its 0.2 new ones a second after 16: a
// circuit counts against the relay's address, and an office whose firewall
// lets only the rendezvous through (TCP 443) reaches every other participant
// by a circuit, so the ninth was refused (TestThreeSitesTLS443).
func resources(relays []peer.AddrInfo) (network.ResourceManager, error) {
	limits := rcmgr.DefaultLimits
	libp2p.SetDefaultServiceLimits(&limits)
	v4 := slices.Clone(rcmgr.DefaultNetworkPrefixLimitV4)
	v6 := slices.Clone(rcmgr.DefaultNetworkPrefixLimitV6)
	// libp2p's connection rate limits (unexported), loopback and relays free.
	rates := &rate.Limiter{
		NetworkPrefixLimits: []rate.PrefixLimit{{Prefix: netip.MustParsePrefix("127.0.0.0/8")}, {Prefix: netip.MustParsePrefix("::1/128")}},
		SubnetRateLimiter: rate.SubnetLimiter{
			IPv4SubnetLimits: []rate.SubnetLimit{{PrefixLength: 32, Limit: rate.Limit{RPS: 0.2, Burst: 16}}},
			IPv6SubnetLimits: []rate.SubnetLimit{
				{PrefixLength: 56, Limit: rate.Limit{RPS: 0.2, Burst: 16}},
				{PrefixLength: 48, Limit: rate.Limit{RPS: 0.5, Burst: 80}},
			},
			GracePeriod: time.Minute,
		},
	}
	for _, pi := range relays {
		var ips []net.IP
		for _, a := range pi.Addrs {
			ips = append(ips, relayIPs(a)...)
		}
		for _, ip := range ips {
			addr, ok := netip.AddrFromSlice(ip)
			if !ok {
				continue
			}
			addr = addr.Unmap()
			prefix := netip.PrefixFrom(addr, addr.BitLen())
			lim := rcmgr.NetworkPrefixLimit{Network: prefix, ConnCount: 4 * MaxCapacity}
			rates.NetworkPrefixLimits = append(rates.NetworkPrefixLimits, rate.PrefixLimit{Prefix: prefix})
			if addr.Is4() {
				v4 = append(v4, lim)
			} else {
				v6 = append(v6, lim)
			}
		}
	}
	return rcmgr.NewResourceManager(rcmgr.NewFixedLimiter(limits.AutoScale()),
		rcmgr.WithNetworkPrefixLimit(v4, v6), rcmgr.WithConnRateLimiters(rates))
}

// relayIPs is a's IP address, or those its DNS name (/dns, /dns4, /dns6) resolves to at
// start, so that a rendezvous named by DNS is exempt too (at the addresses it had then).
func relayIPs(a ma.Multiaddr) []net.IP {
	if ip, err := manet.ToIP(a); err == nil {
		return []net.IP{ip}
	}
	for _, code := range []int{ma.P_DNS, ma.P_DNS4, ma.P_DNS6} {
		if host, err := a.ValueForProtocol(code); err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			ips, _ := net.DefaultResolver.LookupIP(ctx, "ip", host)
			return ips
		}
	}
	return nil
}
