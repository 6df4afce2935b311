package mesh

import (
	"net/netip"

	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
)

// Sites. Nodes that share a LAN form a site: an office behind one WAN link.
// A meeting larger than MeshMax has one media relay per site (relay.go), so
// each stream crosses each WAN link once, not once per viewer. A node's site
// is Config.Site when set, else the /24 of its first private IPv4 listen
// address (the LAN mDNS reaches); with neither (loopback only) it is "",
// one site for everyone. Each node says its site in its heartbeats.

// site is this node's site now (a laptop that moves changes it).
func (m *Mesh) site() string {
	if m.cfg.Site != "" {
		return m.cfg.Site
	}
	if m.host == nil {
		return ""
	}
	return siteOf(m.host.Addrs())
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
		addr, ok := netip.AddrFromSlice(ip)
		if !ok {
			continue
		}
		if addr = addr.Unmap(); addr.Is4() && addr.IsPrivate() {
			p, _ := addr.Prefix(24)
			return p.String()
		}
	}
	return ""
}
