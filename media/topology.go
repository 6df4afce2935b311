package media

// The topology of a meeting's media. In a mesh every node links to every other. A larger
// meeting has a relay per site (SetSites): a node links only to its site's relay, and a
// site relay links to every node of its site and to every other site relay. A relay
// forwards what a node of its site sends to every other link, and what another relay
// sends only to the nodes of its site, so each stream crosses each WAN link once.

// role is what a link is for, as the topology says.
type role int

const (
	roleNone   role = iota // no link
	roleMesh               // a mesh: each sends its own tracks
	roleSends              // to this node's relay
	roleServes             // from this relay to a node of its site
	roleRelays             // between two site relays: both send extras
)

// roleOf is the link self has to peer when via gives each node the relay its media goes
// through (empty: a mesh).
func roleOf(via map[string]string, self, peer string) role {
	if len(via) == 0 {
		return roleMesh
	}
	relay := func(p string) bool { return via[p] == p }
	switch {
	case relay(self) && relay(peer):
		return roleRelays
	case relay(self) && via[peer] == self:
		return roleServes
	case via[self] == peer:
		return roleSends
	}
	return roleNone
}

// offers says whether self offers first on a link of role r to peer: the relay towards
// its site's nodes, else the smaller peer ID.
func (r role) offers(self, peer string) bool {
	switch r {
	case roleServes:
		return true
	case roleSends:
		return false
	}
	return self < peer
}

// relays says whether self relays (forwards other nodes' tracks) on a link of role r.
func (r role) relays() bool { return r == roleServes || r == roleRelays }

// forwards says whether a relay sends what it receives on a link of role from on a link
// of role to: a node of its site's tracks to every other link, another relay's to the
// nodes of its site only.
func forwards(from, to role) bool {
	return from == roleServes && to.relays() || from == roleRelays && to == roleServes
}
