package mesh

import (
	"net"
	"net/netip"

	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
)

// Sites. Nodes that share a LAN form a site: an office behind one WAN link.
// A meeting larger than MeshMax has one media relay per site (relay.go), so
// each stream crosses each WAN link once, not once per viewer. A node's site
// is Config.Site when set, else the /24 of the private IPv4 address it sends
// from towards the internet (its LAN's, not a container bridge's), else of
// its first private IPv4 listen address; with none (loopback only) it is "",
// one site for everyone. Each node says its site in its heartbeats.

// site is this node's site now (a laptop that moves changes it).
func (m *Mesh) site() string {
	if m.cfg.Site != "" {
		return m.cfg.Site
	}
	if s := routedSite(); s != "" {
		return s
	}
	if m.host == nil {
		return ""
	}
	return siteOf(m.host.Addrs())
}

// routedSite is the /24 of the source address the kernel picks for the
// default route, if private; "" without one. Connecting a UDP socket sends
// nothing.
func routedSite() string {
	c, err := net.Dial("udp4", "192.0.2.1:9") // TEST-NET-1: never answered, never sent to
	if err != nil {
		return ""
	}
	defer c.Close()
	ap, err := netip.ParseAddrPort(c.LocalAddr().String())
	if err != nil {
		return ""
	}
	return privateSite(ap.Addr())
}

// privateSite is the /24 of addr when it is a private IPv4 address, else "".
func privateSite(addr netip.Addr) string {
	if addr = addr.Unmap(); !addr.Is4() || !addr.IsPrivate() {
		return ""
	}
	p, _ := addr.Prefix(24)
	return p.String()
}

// siteOf is the /24 of the first private IPv4 address among addrs, or "".
func siteOf(addrs []ma.Multiaddr) string {
	for _, a := range addrs {
		if isRelayed(a) {
			continue
		}
		ip, err := manet.ToIP(a)
		if err != nil {
			continue
		}
		if addr, ok := netip.AddrFromSlice(ip); ok {
			if s := privateSite(addr); s != "" {
				return s
			}
		}
	}
	return ""
}
