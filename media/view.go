package media

// The page tells its node the size of every video tile it shows ("view"); the node
// sends each of its receivers of a simulcast camera the smallest layer at least as high
// as the tile (sink.viewH, forwarder.sizeLayer). A node passes its page's view on to the
// nodes it receives from, which choose the layer for their link the same way: in a mesh
// every other node, with a relay only the relay. The relay itself passes nothing on: it
// receives every layer of each publisher, to serve receivers of different needs.

// tileHeights maps "<peer>/<source>" to the largest height a tile shows it at.
func tileHeights(tiles []ViewTile) map[string]int32 {
	hs := make(map[string]int32, len(tiles))
	for _, t := range tiles {
		k := t.Peer + "/" + t.Source
		hs[k] = max(hs[k], int32(t.H))
	}
	return hs
}

// viewHeight is the height hs gives sk: 0 for a track the page shows no tile of
// (hidden: the lowest layer does), -1 without a view (the highest layer).
func viewHeight(hs map[string]int32, sk *sink) int32 {
	if hs == nil {
		return -1
	}
	return hs[sk.f.origin+"/"+slotSource[sk.f.slot]]
}

// setView keeps the heights of the last view for the sinks added later and applies them.
func (o *outSet) setView(hs map[string]int32) {
	o.mu.Lock()
	o.heights = hs
	o.mu.Unlock()
	for _, sk := range o.sinks() {
		sk.viewH.Store(viewHeight(hs, sk))
	}
}

// onView takes the page's view: for the browser's own sinks, and passed on to the links
// this node receives over.
func (m *meeting) onView(tiles []ViewTile) {
	m.e.mu.Lock()
	m.view = tiles
	b := m.browser
	var links []*peerLink
	if m.relay != m.self {
		for _, l := range m.links {
			links = append(links, l)
		}
	}
	m.e.mu.Unlock()
	if b != nil {
		b.out.setView(tileHeights(tiles))
	}
	for _, l := range links {
		l.logErr(l.neg.send(Signal{Type: TypeView, Tiles: tiles}))
	}
}

// onPeerView takes a peer's view for what this node sends it on l.
func (l *peerLink) onPeerView(tiles []ViewTile) {
	hs := tileHeights(tiles)
	l.m.e.mu.Lock()
	l.heights = hs
	for _, sk := range l.out {
		if sk != nil {
			sk.viewH.Store(viewHeight(hs, sk))
		}
	}
	l.m.e.mu.Unlock()
	l.extras.setView(hs)
}

// sendView gives a link that just connected the page's last view (one opened after it
// came, or rebuilt).
func (m *meeting) sendView(l *peerLink) {
	m.e.mu.Lock()
	tiles, relay := m.view, m.relay
	m.e.mu.Unlock()
	if tiles != nil && relay != m.self {
		l.logErr(l.neg.send(Signal{Type: TypeView, Tiles: tiles}))
	}
}
