package loadtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"text/tabwriter"
	"time"

	"meshmeet/media"
)

// Report is what a run measured (the --json output).
type Report struct {
	Participants int     `json:"participants"`
	Seconds      float64 `json:"seconds"`  // the measured window
	Topology     string  `json:"topology"` // "relay" or "mesh"
	LastN        int     `json:"lastN"`    // cameras forwarded (0: all)
	Mics         int     `json:"mics"`     // participants publishing a microphone
	// Simulcast: the nodes' offers took three layers, so the cameras sent them;
	// without it every camera sends (and every receiver gets) the full layer.
	Simulcast bool `json:"simulcast"`
	// SmallTiles: participants whose page shows every camera small (160x90, for the
	// q layer); the others show them large (640x360, for f).
	SmallTiles int `json:"smallTiles"`
	// Delivery per layer ("q", "h", "f") and for "audio": packets received over
	// packets that should have been forwarded to each receiver in the window.
	Delivery []Delivery `json:"delivery"`
	// DeliveryAll is the same over every stream.
	DeliveryAll float64 `json:"deliveryAll"`
	// FirstFrame: a new subscriber's first frame: from the moment a receiver could
	// take a camera it should get (subscribed: its node offers it, its page is
	// connected) to the end of the first keyframe on it, while everyone joined at once.
	FirstFrame Latency `json:"firstFrame"`
	// FirstFrameStages splits it (medians, ms): until the page's answer went out
	// (signalling), until the first packet came (the node binds the track and asks
	// upstream for a keyframe), until the first keyframe ended.
	FirstFrameStages Stages `json:"firstFrameStages"`
	// SettleSeconds: from the joins to every selected camera's first frame everywhere.
	SettleSeconds float64 `json:"settleSeconds"`
	// LayerSwitches: keyframes whose layer differs from the previous one on the same
	// track, over the whole run and in the window.
	LayerSwitches       int   `json:"layerSwitches"`
	LayerSwitchesWindow int   `json:"layerSwitchesWindow"`
	Relay               Usage `json:"relay"`
	// RelayChanges counts the times the meeting's relay changed (as the first node
	// saw it), from its first election to the window's end; Relays says whether the
	// relay at the end is the first participant's node, the one measured.
	RelayChanges int `json:"relayChanges"`
	// Online is how many participants the first node saw live at the window's end.
	Online       int  `json:"online"`
	RelayIsFirst bool `json:"relayIsFirst"`
	// Reconnects: media sessions started anew, as a page does, after the
	// PeerConnection to the node failed or the node closed it.
	Reconnects int64 `json:"reconnects"`
	// RelayLinks and RelayLinksUp: the relay's links to other nodes at the window's
	// end, and how many of them were connected.
	RelayLinks   int `json:"relayLinks"`
	RelayLinksUp int `json:"relayLinksUp"`
	// RelayLinksUpMin: the fewest the relay had connected, asked each second.
	RelayLinksUpMin int `json:"relayLinksUpMin"`
	// RelayLinkStates: the relay's links at the window's end by PeerConnection state,
	// with their ICE restarts and rebuilds: why links are down.
	RelayLinkStates  map[string]int `json:"relayLinkStates"`
	RelayICERestarts int64          `json:"relayIceRestarts"`
	RelayRebuilds    int64          `json:"relayRebuilds"`
	// Starved: receivers that got less than half of what they should have.
	Starved int `json:"starved"`
	// Worst is the receiver that got the smallest share of what it should have.
	Worst Worst `json:"worst"`
	// UDPRcvbufErrors: datagrams the kernel dropped in the window because a socket's
	// receive buffer was full (this network namespace, every process in it).
	UDPRcvbufErrors int64 `json:"udpRcvbufErrors"`
}

// Worst is one receiver's delivery.
type Worst struct {
	Name  string  `json:"name"`
	Ratio float64 `json:"ratio"`
}

// Delivery is one layer's delivery.
type Delivery struct {
	Layer   string `json:"layer"`
	Streams int    `json:"streams"` // receiver × sender pairs
	// Switched: of Streams, those moved to this layer from another in the window
	// (the relay's bandwidth estimate): each counts against the layer it ends on,
	// which makes the ratio approximate.
	Switched int     `json:"switched"`
	Received int64   `json:"received"`
	Expected int64   `json:"expected"`
	Ratio    float64 `json:"ratio"`
}

// Latency is a distribution in milliseconds.
type Latency struct {
	Count   int     `json:"count"`
	Missing int     `json:"missing"` // subscriptions with no first frame by the window's end
	P50     float64 `json:"p50Ms"`
	P95     float64 `json:"p95Ms"`
	Max     float64 `json:"maxMs"`
}

// Stages are the medians of a first frame's parts, in milliseconds.
type Stages struct {
	Answer   float64 `json:"answerMs"`
	Packet   float64 `json:"packetMs"`
	Keyframe float64 `json:"keyframeMs"`
}

// Usage is the relay's cost over the window.
type Usage struct {
	PeerID string `json:"peerId"`
	// Scope says whose CPU and memory these are: "process" (the relay's own) or
	// "whole load test" (in-process: every node and participant together).
	Scope      string  `json:"scope"`
	CPUCores   float64 `json:"cpuCores"`
	RSSMB      float64 `json:"rssMB"`
	HeapMB     float64 `json:"heapMB,omitempty"` // in-process only
	UplinkMbps float64 `json:"uplinkMbps"`       // RTP to the other nodes (headers and payload)
	// UplinkBudgetMbps is what the relay should send the other nodes in the window,
	// counted as UplinkMbps is: for every receiver but the relay's own participant, the
	// bytes its selected cameras sent in the layer it gets, and every other microphone's.
	UplinkBudgetMbps float64 `json:"uplinkBudgetMbps"`
	Dropped          uint64  `json:"dropped"` // packets its queues dropped in the window
	// LoadTestCPUCores is this process's CPU (all in-process nodes and participants).
	LoadTestCPUCores float64 `json:"loadTestCpuCores"`
}

// snap is the counters at one end of the window, taken while publishing is paused.
type snap struct {
	sent               [][4]int64
	sentB              [][4]int64 // bytes
	recv               []map[string]sub
	bytes              uint64 // the relay's RTP bytes to other nodes
	dropped            uint64
	udpErrs            int64
	links              int
	linksUp            int
	states             map[string]int
	restarts, rebuilds int64
}

// pause stops publishing and waits until what was sent has arrived: every selected
// stream's last packet (told by its signature, sig), or, for a
// stream whose last packet was lost, until no count has moved for drainQuiet.
func (r *run) pause(sel map[string]bool) {
	r.gate.Lock()
	r.paused.Store(true)
	r.gate.Unlock()
	byPeer := map[string]*participant{}
	for _, p := range r.ps {
		byPeer[p.peerID] = p
	}
	drained := func() (bool, int64) {
		done, n := true, int64(0)
		for _, rx := range r.ps {
			for _, s := range rx.received() {
				n += s.packets
				tx, l := byPeer[s.peer], len(layers)
				if s.kind == "video" {
					l = s.layer
				}
				if tx == nil || l < 0 || s.kind == "video" && sel != nil && !sel[s.peer] {
					continue
				}
				if last, ok := tx.lastSig(l); ok && s.lastSig != last {
					done = false
				}
			}
		}
		return done, n
	}
	_, last := drained()
	still := time.Now()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		done, n := drained()
		if n != last {
			last, still = n, time.Now()
		}
		if done || time.Since(still) >= drainQuiet {
			return
		}
	}
}

// drainQuiet is how long no count moves before a pause is taken as drained: well short
// of media's one second after which a simulcast layer without packets is off, lest the
// nodes move receivers to whichever layer comes back first when publishing resumes.
const drainQuiet = 300 * time.Millisecond

func (r *run) snapshot(ctx context.Context) (snap, error) {
	s := snap{sent: make([][4]int64, len(r.ps)), sentB: make([][4]int64, len(r.ps)), recv: make([]map[string]sub, len(r.ps))}
	for i, p := range r.ps {
		for j := range p.sent {
			s.sent[i][j], s.sentB[i][j] = p.sent[j].Load(), p.sentB[j].Load()
		}
		s.recv[i] = p.received()
	}
	s.udpErrs = udpRcvbufErrors()
	var st media.MeetingStats
	if err := r.hosts[0].api.Do(ctx, http.MethodGet, "/api/meetings/"+r.id+"/media", nil, &st); err != nil {
		return s, fmt.Errorf("relay stats: %w", err)
	}
	s.links, s.states = len(st.Links), map[string]int{}
	for _, l := range st.Links {
		if l.State == "connected" {
			s.linksUp++
		}
		s.states[l.State]++
		s.restarts, s.rebuilds = s.restarts+l.ICERestarts, s.rebuilds+l.Rebuilds
	}
	for _, t := range st.TracksSent {
		s.bytes += t.Bytes
		s.dropped += t.Dropped
	}
	return s, nil
}

// measure waits for the meeting to settle, then counts over the window.
func (r *run) measure(ctx context.Context) (*Report, error) {
	joined := time.Now()
	var sel map[string]bool
	var relayed bool
	for deadline := joined.Add(r.cfg.Settle); ; {
		var err error
		if sel, relayed, err = r.selected(ctx); err != nil {
			return nil, err
		}
		if r.settled(sel) || time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	settle := time.Since(joined)
	pid := 0
	if c := r.hosts[0].cmd; c != nil {
		pid = c.Process.Pid
	}

	r.pause(sel)
	s0, err := r.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	r.paused.Store(false)
	t0, cpu0, self0 := time.Now(), cpuOf(pid), cpuOf(0)
	linksMin := r.linksUp
	for end := t0.Add(r.cfg.Duration); time.Now().Before(end); {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(min(time.Second, time.Until(end))):
		}
		if _, _, err := r.selected(ctx); err != nil { // follows the relay
			return nil, err
		}
		linksMin = min(linksMin, r.linksUp)
	}
	cpu1, self1 := cpuOf(pid), cpuOf(0)
	window := time.Since(t0)
	rss, heap := rssMB(pid), 0.0
	if pid == 0 {
		heap = heapMB()
	}
	r.pause(sel)
	s1, err := r.snapshot(ctx)
	if err != nil {
		return nil, err
	}

	rep := &Report{Participants: len(r.ps), Seconds: window.Seconds(), Topology: "mesh",
		Simulcast: r.ps[0].simulcst.Load(), SettleSeconds: settle.Seconds()}
	if relayed {
		rep.Topology = "relay"
	}
	if sel != nil {
		rep.LastN = len(sel)
	}
	for i, p := range r.ps {
		if p.mic {
			rep.Mics++
		}
		if smallTiles(i, r.cfg.SmallTiles) {
			rep.SmallTiles++
		}
	}
	rep.Relay = Usage{PeerID: r.hosts[0].self, Scope: "process", CPUCores: (cpu1 - cpu0).Seconds() / window.Seconds(),
		RSSMB: rss, HeapMB: heap, LoadTestCPUCores: (self1 - self0).Seconds() / window.Seconds()}
	if s1.bytes >= s0.bytes && s1.dropped >= s0.dropped { // else links were rebuilt: their counts started again
		rep.Relay.UplinkMbps = float64(s1.bytes-s0.bytes) * 8 / window.Seconds() / 1e6
		rep.Relay.Dropped = s1.dropped - s0.dropped
	}
	if pid == 0 {
		rep.Relay.Scope = "whole load test"
	}
	rep.UDPRcvbufErrors = s1.udpErrs - s0.udpErrs
	rep.Online, rep.RelayLinks, rep.RelayLinksUp, rep.RelayLinksUpMin = r.online, s1.links, s1.linksUp, linksMin
	rep.RelayLinkStates, rep.RelayICERestarts, rep.RelayRebuilds = s1.states, s1.restarts, s1.rebuilds
	rep.RelayChanges, rep.RelayIsFirst = max(0, len(r.relays)-1), len(r.relays) > 0 && r.relays[len(r.relays)-1] == r.hosts[0].self
	for _, p := range r.ps {
		rep.Reconnects += p.reconnects.Load()
	}
	r.count(rep, sel, s0, s1)
	return rep, nil
}

// count fills in delivery, first frames and layer switches.
func (r *run) count(rep *Report, sel map[string]bool, s0, s1 snap) {
	names := append(layerNames(), "audio")
	by := make([]Delivery, len(names))
	for i := range by {
		by[i].Layer = names[i]
	}
	var ttff, answer, packet, key []float64
	ms := func(a, b time.Time) float64 { return float64(b.Sub(a).Microseconds()) / 1000 }
	var budget int64 // bytes the relay should send other nodes
	bytes := func(ti, l int) int64 { return s1.sentB[ti][l] - s0.sentB[ti][l] }
	rep.Worst.Ratio = 1
	for ri, rx := range r.ps {
		var got, want int64
		up := rx.connectedAt()
		for ti, tx := range r.ps {
			if tx == rx {
				continue
			}
			if tx.mic {
				k := peerKey(tx.peerID, "audio")
				d := &by[len(layers)]
				d.Streams++
				e, g := s1.sent[ti][len(layers)]-s0.sent[ti][len(layers)], s1.recv[ri][k].packets-s0.recv[ri][k].packets
				d.Expected, d.Received, want, got = d.Expected+e, d.Received+g, want+e, got+g
				if ri != 0 {
					budget += bytes(ti, len(layers))
				}
			}
			k := peerKey(tx.peerID, "video")
			a, b := s0.recv[ri][k], s1.recv[ri][k]
			if _, ok := s1.recv[ri][k]; !ok { // no track at all: it should have had the top layer
				b.layer = len(layers) - 1
			}
			rep.LayerSwitches += b.switches
			rep.LayerSwitchesWindow += b.switches - a.switches
			if sel != nil && !sel[tx.peerID] {
				continue
			}
			if start := subscribed(b.offered, up); b.firstFrame.IsZero() || start.IsZero() {
				rep.FirstFrame.Missing++
			} else {
				ttff = append(ttff, ms(start, b.firstFrame))
				if !b.answered.IsZero() && !b.firstPkt.IsZero() {
					a := later(b.answered, start)
					answer, packet, key = append(answer, ms(start, a)), append(packet, ms(a, later(b.firstPkt, a))), append(key, ms(later(b.firstPkt, a), b.firstFrame))
				}
			}
			l := b.layer
			if l < 0 { // nothing yet: it should have had the top layer
				l = len(layers) - 1
			}
			d := &by[l]
			d.Streams++
			if b.switches != a.switches {
				d.Switched++
			}
			e, g := s1.sent[ti][l]-s0.sent[ti][l], b.packets-a.packets
			d.Expected, d.Received, want, got = d.Expected+e, d.Received+g, want+e, got+g
			if ri != 0 {
				budget += bytes(ti, l)
			}
		}
		if want > 0 && 2*got < want {
			rep.Starved++
		}
		if want > 0 && (rep.Worst.Name == "" || float64(got)/float64(want) < rep.Worst.Ratio) {
			rep.Worst = Worst{Name: rx.name, Ratio: float64(got) / float64(want)}
		}
	}
	var rx, ex int64
	for _, d := range by {
		if d.Streams == 0 {
			continue
		}
		if d.Expected > 0 {
			d.Ratio = float64(d.Received) / float64(d.Expected)
		}
		rx, ex = rx+d.Received, ex+d.Expected
		rep.Delivery = append(rep.Delivery, d)
	}
	if ex > 0 {
		rep.DeliveryAll = float64(rx) / float64(ex)
	}
	rep.Relay.UplinkBudgetMbps = float64(budget) * 8 / rep.Seconds / 1e6
	rep.FirstFrameStages = Stages{Answer: median(answer), Packet: median(packet), Keyframe: median(key)}
	slices.Sort(ttff)
	rep.FirstFrame.Count = len(ttff)
	if len(ttff) > 0 {
		q := func(f float64) float64 { return ttff[min(len(ttff)-1, int(f*float64(len(ttff))))] }
		rep.FirstFrame.P50, rep.FirstFrame.P95, rep.FirstFrame.Max = q(0.5), q(0.95), ttff[len(ttff)-1]
	}
}

// subscribed is when a receiver became a new subscriber of a camera: when its node had
// the camera to give (the node offers a track once the first packets came from the
// relay, so its link to the relay is up) and the page could take it (its
// PeerConnection to the node connected), whichever came later. Before that the wait is
// for the page's or the node's own joining (ICE, DTLS), not for the camera.
func subscribed(offered, up time.Time) time.Time {
	if offered.IsZero() || up.IsZero() {
		return time.Time{}
	}
	return later(offered, up)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	return v[len(v)/2]
}

func layerNames() []string {
	out := make([]string, len(layers))
	for i, l := range layers {
		out[i] = l.rid
	}
	return out
}

// WriteTable prints the report for a person.
func (rep *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	sim := "no (every camera sends and every receiver gets the full layer)"
	if rep.Simulcast {
		sim = "yes (q, h, f)"
	}
	last := "all cameras"
	if rep.LastN > 0 {
		last = fmt.Sprintf("%d cameras", rep.LastN)
	}
	fmt.Fprintf(tw, "participants\t%d (%d with a microphone), %s, last-N %s\n", rep.Participants, rep.Mics, rep.Topology, last)
	fmt.Fprintf(tw, "simulcast\t%s\n", sim)
	fmt.Fprintf(tw, "tiles\t%d participants show every camera at 160x90, %d at 640x360\n", rep.SmallTiles, rep.Participants-rep.SmallTiles)
	fmt.Fprintf(tw, "window\t%.1f s after %.1f s to settle\n", rep.Seconds, rep.SettleSeconds)
	fmt.Fprintf(tw, "\nlayer\tstreams\treceived\texpected\tdelivery\n")
	for _, d := range rep.Delivery {
		sw := ""
		if d.Switched > 0 {
			sw = fmt.Sprintf(" (%d streams switched in the window: approximate)", d.Switched)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.2f %%%s\n", d.Layer, d.Streams, d.Received, d.Expected, 100*d.Ratio, sw)
	}
	fmt.Fprintf(tw, "all\t\t\t\t%.2f %%\n", 100*rep.DeliveryAll)
	fmt.Fprintf(tw, "worst receiver\t%s\t\t\t%.2f %% (%d got less than half)\n", rep.Worst.Name, 100*rep.Worst.Ratio, rep.Starved)
	fmt.Fprintf(tw, "UDP receive buffer drops\t%d\t\t\t(kernel, every process in this network namespace)\n", rep.UDPRcvbufErrors)
	f := rep.FirstFrame
	fmt.Fprintf(tw, "\nfirst frame\tp50 %.0f ms, p95 %.0f ms, max %.0f ms (%d subscriptions, %d without)\n", f.P50, f.P95, f.Max, f.Count, f.Missing)
	st := rep.FirstFrameStages
	fmt.Fprintf(tw, "  medians\t%.0f ms to the page's answer, %.0f ms more to the first packet, %.0f ms more to the keyframe's end\n", st.Answer, st.Packet, st.Keyframe)
	fmt.Fprintf(tw, "online\t%d participants, as the first node sees them\n", rep.Online)
	fmt.Fprintf(tw, "relay changes\t%d (the relay at the end is the first participant's node: %v)\n", rep.RelayChanges, rep.RelayIsFirst)
	fmt.Fprintf(tw, "relay links\t%d of %d connected at the end, %d at the fewest; by state %v, %d ICE restarts, %d rebuilt\n",
		rep.RelayLinksUp, rep.RelayLinks, rep.RelayLinksUpMin, rep.RelayLinkStates, rep.RelayICERestarts, rep.RelayRebuilds)
	fmt.Fprintf(tw, "reconnects\t%d media sessions started anew after a failure\n", rep.Reconnects)
	fmt.Fprintf(tw, "layer switches\t%d (%d in the window)\n", rep.LayerSwitches, rep.LayerSwitchesWindow)
	u := rep.Relay
	fmt.Fprintf(tw, "relay CPU\t%.2f cores (%s; the load test process: %.2f)\n", u.CPUCores, u.Scope, u.LoadTestCPUCores)
	fmt.Fprintf(tw, "relay memory\tRSS %.0f MB", u.RSSMB)
	if u.HeapMB > 0 {
		fmt.Fprintf(tw, ", heap %.0f MB", u.HeapMB)
	}
	fmt.Fprintf(tw, " (%s)\n", u.Scope)
	fmt.Fprintf(tw, "relay uplink\t%.1f Mbit/s to other nodes (budget %.1f: what they should get), %d packets dropped\n", u.UplinkMbps, u.UplinkBudgetMbps, u.Dropped)
	return tw.Flush()
}
