package media

// MeetingStats is the media topology of a meeting as this node sees it (GET /api/meetings/{id}/media).
type MeetingStats struct {
	MeetingID       string       `json:"meetingId"`
	Mode            string       `json:"mode"`            // "mesh" or "relay"
	Relay           string       `json:"relay,omitempty"` // the relay's peer ID
	Self            string       `json:"self"`
	Browser         string       `json:"browser"` // browser PeerConnection state, "none" without one
	Links           []LinkStats  `json:"links"`
	TracksSent      []TrackStats `json:"tracksSent"`
	TracksReceived  []TrackStats `json:"tracksReceived"`
	TracksToBrowser []TrackStats `json:"tracksToBrowser"` // what this node sends its own page
	// Talking is how many microphones this node forwards talk now; LoudestOnly, that
	// more than 10 do, so pages get only the loudest (media/PROTOCOL.md).
	Talking     int  `json:"talking"`
	LoudestOnly bool `json:"loudestOnly,omitempty"`
}

// LinkStats describes the link to one other node.
type LinkStats struct {
	PeerID string `json:"peerId"`
	// Status is what a person is shown: connecting (a first link), connected, or
	// reconnecting (a link that was up, or one rebuilt after the last was torn down).
	Status      string `json:"status"`
	State       string `json:"state"`    // PeerConnection state: new, connecting, connected, disconnected, failed, closed
	ICEState    string `json:"iceState"` // ICE connection state
	Offerer     bool   `json:"offerer"`
	ICERestarts int64  `json:"iceRestarts"`
	Rebuilds    int64  `json:"rebuilds"` // links to this peer torn down and opened anew
}

// stats describes the link; it takes Engine.mu.
func (l *peerLink) stats() LinkStats {
	l.m.e.mu.Lock()
	rebuilds := l.m.lost[l.peer]
	l.m.e.mu.Unlock()
	return LinkStats{PeerID: l.peer, Status: l.status(), State: l.pc.ConnectionState().String(),
		ICEState: l.pc.ICEConnectionState().String(), Offerer: l.offerer, ICERestarts: l.restarts.Load(), Rebuilds: rebuilds}
}

// TrackStats describes one forwarded track: for tracks sent, PeerID is the node it goes
// to; for tracks received, the node it comes from.
type TrackStats struct {
	PeerID           string `json:"peerId"`
	Kind             string `json:"kind"`
	Source           string `json:"source"`
	Codec            string `json:"codec"`
	Packets          uint64 `json:"packets"`
	Bytes            uint64 `json:"bytes"`
	BitrateBps       uint64 `json:"bitrateBps"`
	Dropped          uint64 `json:"dropped,omitempty"`
	KeyframeRequests uint64 `json:"keyframeRequests,omitempty"`
	// Origin is the participant the track comes from; for a simulcast camera sent,
	// Layer is the RID of the layer sent now and Switches the layer switches so far.
	Origin   string `json:"origin"`
	Layer    string `json:"layer,omitempty"`
	Switches int64  `json:"switches,omitempty"`
	// Held: a microphone sent that loudest-N holds back from its receiver now.
	Held bool `json:"held,omitempty"`
}

// Stats returns the meeting's *MeetingStats (JSON-encodable), or nil for an unknown meeting.
func (e *Engine) Stats(meetingID string) any {
	e.mu.Lock()
	m := e.meetings[meetingID]
	if m == nil {
		e.mu.Unlock()
		return nil
	}
	st := &MeetingStats{MeetingID: m.id, Mode: "mesh", Relay: m.relay, Self: m.self, Browser: "none",
		Links: []LinkStats{}, TracksSent: []TrackStats{}, TracksReceived: []TrackStats{}, TracksToBrowser: []TrackStats{}}
	if m.relay != "" {
		st.Mode = "relay"
	}
	links := make([]*peerLink, 0, len(m.links))
	for _, l := range m.links {
		links = append(links, l)
	}
	b := m.browser
	st.Talking, st.LoudestOnly = m.loud.state()
	type sent struct {
		peer string
		sk   *sink
	}
	var sends []sent
	var recvs []*forwarder
	for _, l := range links {
		for _, sk := range l.out {
			if sk != nil {
				sends = append(sends, sent{l.peer, sk})
			}
		}
		for _, f := range l.remote {
			if f != nil {
				recvs = append(recvs, f)
			}
		}
		recvs = append(recvs, l.extraRemote...)
	}
	e.mu.Unlock()
	for _, l := range links {
		for _, sk := range l.extras.sinks() {
			sends = append(sends, sent{l.peer, sk})
		}
	}

	if b != nil {
		st.Browser = b.pc.ConnectionState().String()
	}
	for _, l := range links {
		st.Links = append(st.Links, l.stats())
	}
	for _, s := range sends {
		st.TracksSent = append(st.TracksSent, s.sk.stats(s.peer))
	}
	if b != nil {
		for _, sk := range b.out.sinks() {
			st.TracksToBrowser = append(st.TracksToBrowser, sk.stats(""))
		}
	}
	for _, f := range recvs {
		st.TracksReceived = append(st.TracksReceived, TrackStats{PeerID: f.origin, Kind: f.slot.kind().String(),
			Source: slotSource[f.slot], Codec: f.codec.MimeType, Packets: f.packets.Load(),
			Bytes: f.bytes.Load(), BitrateBps: f.bitrate.Load(), KeyframeRequests: f.plis.Load(), Origin: f.origin})
	}
	return st
}

// stats describes what sk sends to peer.
func (sk *sink) stats(peer string) TrackStats {
	f := sk.f
	rate := f.bitrate.Load()
	if l := sk.rw.layer.Load(); l > 0 { // simulcast: the layer sent, not all of them
		if ly := f.layers[l-1].Load(); ly != nil {
			rate = ly.bitrate.Load()
		}
	}
	return TrackStats{PeerID: peer, Kind: f.slot.kind().String(), Source: slotSource[f.slot],
		Codec: f.codec.MimeType, Packets: sk.packets.Load(), Bytes: sk.bytes.Load(),
		BitrateBps: rate, Dropped: sk.dropped.Load(), Origin: f.origin,
		Layer: sk.layerRIDSent(), Switches: sk.rw.switches.Load(),
		Held: !f.video && sk.to != "" && !f.audio.Load().hears(sk.to)}
}
