package media

import (
	"slices"
	"strings"
)

// The page tells its node the size of every video tile it shows ("view"); the node
// sends each of its receivers of a simulcast camera the smallest layer at least as high
// as the tile (sink.viewH, forwarder.sizeLayer). A node passes its page's view on to the
// nodes it receives from, which choose the layer for their link the same way: in a mesh
// every other node, with a relay only the relay. The relay itself passes no sizes on: it
// receives every layer of each publisher, to serve receivers of different needs.
//
// A view also says which cameras the page pins: those pass last-N for that receiver
// (sink.pinned), at its node toward the page and at the node that sends to it. Since a
// publisher left out by last-N sends its relay nothing, the relay sends each node it
// receives from a view of the tiles pinned by the others (relayPins): that node's own
// camera, or for another site's relay the cameras behind it.

// maxPins bounds the cameras one receiver's view pins past last-N: a hostile page or
// node cannot open every camera to itself.
const maxPins = 4

// tileHeights maps "<peer>/<source>" to the largest height a tile shows it at.
func tileHeights(tiles []ViewTile) map[string]int32 {
	hs := make(map[string]int32, len(tiles))
	for _, t := range tiles {
		k := t.Peer + "/" + t.Source
		hs[k] = max(hs[k], int32(t.H))
	}
	return hs
}

// tilePins is the set of peers whose camera tiles pins, the first limit of them.
func tilePins(tiles []ViewTile, limit int) map[string]bool {
	pins := map[string]bool{}
	for _, t := range tiles {
		if t.Pinned && t.Source == slotSource[slotCamera] && len(pins) < limit {
			pins[t.Peer] = true
		}
	}
	return pins
}

// viewHeight is the height hs gives sk: 0 for a track the page shows no tile of
// (hidden: the lowest layer does), -1 without a view (the highest layer).
func viewHeight(hs map[string]int32, sk *sink) int32 {
	if hs == nil {
		return -1
	}
	return hs[sk.f.origin+"/"+slotSource[sk.f.slot]]
}

// applyView gives sk the height and pin of its receiver's view.
func applyView(hs map[string]int32, pins map[string]bool, sk *sink) {
	sk.viewH.Store(viewHeight(hs, sk))
	sk.setPinned(sk.f.slot == slotCamera && pins[sk.f.origin])
}

// setView keeps the heights and pins of the last view for the sinks added later and
// applies them.
func (o *outSet) setView(hs map[string]int32, pins map[string]bool) {
	o.mu.Lock()
	o.heights, o.pins = hs, pins
	o.mu.Unlock()
	for _, sk := range o.sinks() {
		applyView(hs, pins, sk)
	}
}

// onView takes the page's view: for the browser's own sinks, and passed on to the links
// this node receives over (a relay: its pins only, relayPins).
func (m *meeting) onView(tiles []ViewTile) {
	m.e.mu.Lock()
	m.view = tiles
	b := m.browser
	isRelay := m.relay == m.self
	var links []*peerLink
	if !isRelay {
		for _, l := range m.links {
			links = append(links, l)
		}
	}
	m.e.mu.Unlock()
	if b != nil {
		b.out.setView(tileHeights(tiles), tilePins(tiles, maxPins))
	}
	for _, l := range links {
		l.logErr(l.neg.send(Signal{Type: TypeView, Tiles: tiles}))
	}
	if isRelay {
		m.relayPins()
	}
}

// onPeerView takes a peer's view for what this node sends it on l. A relay's view
// carries pins only (relayPins), for the cameras of all its receivers.
func (l *peerLink) onPeerView(tiles []ViewTile) {
	m := l.m
	m.e.mu.Lock()
	fromRelay := m.via[l.peer] == l.peer
	isRelay := m.relay == m.self
	hs := l.heights
	pins := tilePins(tiles, maxPins)
	if fromRelay {
		pins = tilePins(tiles, maxTrackMeta)
	} else {
		hs = tileHeights(tiles)
	}
	l.heights, l.pins = hs, pins
	for _, sk := range l.out {
		if sk != nil {
			applyView(hs, pins, sk)
		}
	}
	m.e.mu.Unlock()
	l.extras.setView(hs, pins)
	if isRelay {
		m.relayPins()
	}
}

// relayPins, on a relay, sends each link whose pins changed the cameras that its page
// and the other links pin, of the link's peer or (a site relay) behind it.
func (m *meeting) relayPins() {
	type send struct {
		l     *peerLink
		tiles []ViewTile
	}
	var sends []send
	m.e.mu.Lock()
	if m.relay == m.self {
		count := map[string]int{} // how many receivers pin each camera
		for p := range tilePins(m.view, maxPins) {
			count[p]++
		}
		for _, l := range m.links {
			for p := range l.pins {
				count[p]++
			}
		}
		// Each camera goes to the link of its publisher, or of its site's relay: one
		// pass over the pins, not over every link for each.
		want := map[*peerLink][]string{}
		for p, n := range count {
			hops := []string{p}
			if v := m.via[p]; v != p && v != m.self {
				hops = append(hops, v)
			}
			for _, hop := range hops {
				l := m.links[hop]
				if l != nil && p != m.self && (n > 1 || !l.pins[p]) { // not only its own pin
					want[l] = append(want[l], p)
				}
			}
		}
		for _, l := range m.links {
			pins := want[l]
			slices.Sort(pins)
			pins = pins[:min(len(pins), maxTrackMeta)] // what a view may carry
			key := strings.Join(pins, "|")
			if l.up.Load() && key != l.pinsSent {
				tiles := make([]ViewTile, 0, len(pins))
				for _, p := range pins {
					tiles = append(tiles, ViewTile{Peer: p, Source: slotSource[slotCamera], Pinned: true})
				}
				l.pinsSent = key
				sends = append(sends, send{l, tiles})
			}
		}
	}
	m.e.mu.Unlock()
	for _, s := range sends {
		s.l.logErr(s.l.neg.send(Signal{Type: TypeView, Tiles: s.tiles}))
	}
}

// sendView gives a link that just connected the page's last view (one opened after it
// came, or rebuilt); a relay, the pins it needs.
func (m *meeting) sendView(l *peerLink) {
	m.e.mu.Lock()
	tiles, relay := m.view, m.relay
	l.pinsSent = ""
	m.e.mu.Unlock()
	if relay == m.self {
		m.relayPins()
		return
	}
	if tiles != nil {
		l.logErr(l.neg.send(Signal{Type: TypeView, Tiles: tiles}))
	}
}
