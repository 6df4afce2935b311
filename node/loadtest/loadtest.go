// Package loadtest runs one meeting of synthetic participants through real nodes and
// measures what they receive: `meshmeet loadtest`.
//
// Every participant has a node of its own (in this process: loopback, Badger in a
// temporary directory, found through a rendezvous server that runs here too) and talks
// to it as a meeting page does: the events WebSocket carries the media signalling, and
// one pion PeerConnection publishes the test clips (VP8 camera, Opus microphone) and
// receives everyone else. The first participant creates the meeting and joins first,
// so in a relayed meeting its node is the relay; with Config.RelayCommand that node is
// a `meshmeet node` process of its own, so its CPU and memory are measured alone.
//
// Counting is exact: publishing pauses at both ends of the measured window until what
// is in flight has arrived, so a packet counts as sent and received in the same window.
// Expected is what the node should forward to each receiver: every other participant's
// microphone, and the cameras of last-N's selection (nobody speaks, as the clips carry
// no audio level: the N in the meeting longest), in the layer the receiver gets.
//
// The cameras send three simulcast layers, as a page's do: the participants say so in
// their hello, answer with encodings q, h and f and mark each layer's packets with its
// mid and RID (media.RIDStamper). Each participant's page shows every other camera in a
// tile, small (160x90: the q layer) for a share of them (Config.SmallTiles), else large
// (640x360: f), and tells its node so in a view.
//
// A new subscriber's first frame (Report.FirstFrame) runs from the moment a receiver
// could take a camera, the later of its node's offer listing the camera (a node offers
// a track once its first packets came from the relay: the link is up, the track is
// there) and its page's PeerConnection being connected, to the end of the first
// keyframe the page gets on it. The node starts the page's track with the last keyframe
// it forwarded when that is at most two frames old (media's gop.go), else asks upstream
// for one when the track is bound (PLI rate-limited per layer), the relay in turn asks
// the publisher's node, which asks the page: a synthetic participant answers a PLI as an
// encoder does, its next frame on that layer is the clip's first, a keyframe.
// Report.FirstFrameStages splits the time into signalling, first packet and keyframe.
//
// The relay's uplink budget (Report.Relay.UplinkBudgetMbps) is what the other nodes
// should get from it in the window, counted as its uplink is (payload and a 12-byte
// header): for each receiver but the relay's own participant, the selected cameras
// other than its own at the layer it gets, and every other microphone. With the
// clips (payload and header per stream: q 84 kbit/s, h 259, f 570, Opus 49) and the
// defaults at 50 participants (last-N 9, ten talkers, every other page small tiles)
// that is 221 q + 212 f camera streams and 481 microphones: about 163 Mbit/s; a run
// reports it from what was really sent, as the clips' pacing slips on a loaded machine.
//
// What the participants cost. The relay is a process of its own; the other nodes and
// the participants share this one. Profiles of it (`meshmeet --cpuprofile F loadtest`)
// at 30 and 50 participants on the project's 2-core VM showed, beside the media path:
// base58 encoding of peer IDs in the nodes' views, listed every 250 ms by each node's
// media bridge and relay loop (8 % at 30; mesh now caches the text form); GossipSub
// verifying every signed heartbeat on every node (10 to 12 % at 50 while they join;
// with a PresenceTimeout the in-process nodes beat every quarter of it, 5 s, not 2 s);
// GC (about 10 %: `meshmeet loadtest` runs at GOGC 400, the relay at the default); and
// the microphones: fifty open ones make 2450 audio streams, 122,500 packets a second
// into the pages, over five times what last-N's cameras make, so by default only
// Talkers publish one, as in a meeting that size (which also keeps the count right
// once nodes forward only the loudest microphones). Starved nodes also answer late,
// and the default link timers then restart and rebuild links faster than they come
// up: LenientLinks. And forty-eight nodes joining at once took the relay for gone
// before its first heartbeat reached them and moved it (five runs in five, at 20 to
// 50): mesh now judges a relay gone by silence only on a node that has heard the
// meeting for the presence timeout. Not taken: publishing from the node itself (the hidden
// --synthetic-media) sends a one-layer fake VP8 payload, so neither layers nor first
// frames could be told, and saves only the publishing hop, a tenth of the packet
// handling; several participant nodes per extra process divide the same two cores and
// add none. The participants' nodes stay real nodes: only intervals and timeouts change.
package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"meshmeet/media"
	"meshmeet/mesh"
	"meshmeet/mesh/eventlog"
)

var (
	// ErrConfig: the configuration cannot run.
	ErrConfig = errors.New("load test configuration")
	// ErrClips: the test clips are missing or unreadable.
	ErrClips = errors.New("load test clips")
	// ErrSetup: the meeting did not come together.
	ErrSetup = errors.New("load test setup")
)

// Config configures a Run. Start from DefaultConfig.
type Config struct {
	// Participants is the meeting's size (at least 2).
	Participants int
	// Duration is the measured window, after every participant has joined and seen
	// a first frame of each camera it should (or Settle has passed).
	Duration time.Duration
	// RelayOnly makes the meeting relayed whatever its size (mesh limit 1).
	RelayOnly bool
	// LastN is the meeting's last-N (0: the default, eventlog.DefaultLastN).
	LastN int
	// Muted is how many participants (the last to join) publish no microphone;
	// negative: all but the first Talkers (DefaultConfig), as a large meeting has a
	// few talkers.
	Muted int
	// SmallTiles is the share (0 to 1) of participants whose page shows every other
	// camera in a 160x90 tile, spread evenly over the joining order (0.5: every
	// other one, from the second): they should get the q layer. The others' tiles
	// are 640x360, for the f layer.
	SmallTiles float64
	// ClipDir holds the clips (the repository's testdata/): the VP8 layers
	// 640x360, 320x180 and 160x90 and the Opus clip.
	ClipDir string
	// PresenceTimeout, when set, is the nodes' silence after which a participant
	// counts as gone (0: the nodes' default, 6 s), and every node's media links are
	// lenient (LenientLinks); the in-process nodes then send a heartbeat every quarter
	// of it (the relay its default). On a machine too loaded for many nodes' heartbeats
	// and consent checks, the defaults take starved nodes for dead, re-elect the relay
	// and rebuild links faster than they can come up; what is measured here is
	// forwarding. DefaultConfig: 20 s.
	PresenceTimeout time.Duration
	// Settle bounds the wait for the meeting to form before measuring.
	Settle time.Duration
	// RelayCommand, when set, runs the first participant's node (the relay) as
	// RelayCommand + "node …", e.g. {"/usr/bin/meshmeet"}; else it runs in this process.
	RelayCommand []string
	// Logger receives the nodes' logs; nil discards them.
	Logger *slog.Logger
}

// Talkers is how many participants publish a microphone by default (Config.Muted
// negative). Ten: a meeting of fifty has a few people talking, not fifty open
// microphones, and the loudest-microphone forwarding of the nodes (when more than ten
// talk) would make "every other microphone" the wrong expectation.
const Talkers = 10

// LenientLinks gives media links the patience of a machine too loaded for fifty nodes:
// pion's default consent timeouts (5 s without an answer, 25 s) and keepalive instead
// of 1.2 s, 8 s and 400 ms, and 15 s, not 3 s, before an unanswered or disconnected
// link restarts ICE, 20 s, not 5 s, before one stuck in DTLS is rebuilt. At 50
// participants with the defaults the relay rebuilt its links over 200 times in a run
// and a quarter of them never came up: starved nodes answer late, and each restart or
// rebuild is more work for them. The relay gets the same (`meshmeet node
// --lenient-links`).
func LenientLinks(c *media.Config) {
	c.ICEDisconnectedTimeout, c.ICEFailedTimeout, c.ICEKeepalive = 5*time.Second, 25*time.Second, 2*time.Second
	c.RestartAfter, c.StuckAfter = 15*time.Second, 20*time.Second
}

// DefaultConfig is a small run: six participants, ten seconds, at most Talkers with a
// microphone.
func DefaultConfig() Config {
	return Config{Participants: 6, Duration: 10 * time.Second, ClipDir: "testdata", Settle: 2 * time.Minute, SmallTiles: 0.5, Muted: -1,
		PresenceTimeout: 20 * time.Second}
}

func (c *Config) validate() error {
	switch {
	case c.Participants < 2 || c.Participants > eventlog.MaxCapacity:
		return fmt.Errorf("%w: participants must be 2 to %d", ErrConfig, eventlog.MaxCapacity)
	case c.Duration <= 0 || c.Settle <= 0:
		return fmt.Errorf("%w: duration and settle must be positive", ErrConfig)
	case c.PresenceTimeout < 0:
		return fmt.Errorf("%w: presence timeout must not be negative", ErrConfig)
	case c.LastN < 0 || c.Muted > c.Participants:
		return fmt.Errorf("%w: lastN must be 0 or more, muted at most the participants", ErrConfig)
	case !(c.SmallTiles >= 0 && c.SmallTiles <= 1):
		return fmt.Errorf("%w: the share of small tiles must be 0 to 1", ErrConfig)
	}
	if c.Muted < 0 {
		c.Muted = max(0, c.Participants-Talkers)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return nil
}

// run is one load test's state.
type run struct {
	cfg     Config
	cl      *clips
	id      string // the meeting
	hosts   []*host
	ps      []*participant
	gate    sync.RWMutex
	paused  atomic.Bool
	relays  []string // the relays the first node has named, in order
	online  int      // the live participants the first node saw last
	linksUp int      // the first node's connected links when it was last asked
}

// Run starts the nodes and participants, measures for cfg.Duration and tears
// everything down.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cl, err := loadClips(cfg.ClipDir)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	dir, err := os.MkdirTemp("", "meshmeet-loadtest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	r := &run{cfg: cfg, cl: cl}
	defer r.close()
	if err := r.start(ctx, dir); err != nil {
		return nil, err
	}
	return r.measure(ctx)
}

// start brings up the rendezvous and the nodes, creates the meeting on the first and
// joins it there, then has all the others join at once.
func (r *run) start(ctx context.Context, dir string) error {
	log := r.cfg.Logger
	rdv, err := startRendezvous(ctx, filepath.Join(dir, "rendezvous"), log)
	if err != nil {
		return err
	}
	meshMax := mesh.DefaultConfig().MeshMax
	if r.cfg.RelayOnly {
		meshMax = 1
	}
	n := r.cfg.Participants
	r.hosts = make([]*host, n)
	names := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8) // node start-up is CPU-bound (keys, Badger)
	for i := range n {
		names[i] = fmt.Sprintf("p%02d", i+1)
		d := filepath.Join(dir, names[i])
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if i == 0 && len(r.cfg.RelayCommand) > 0 {
				r.hosts[i], errs[i] = startProcess(ctx, r.cfg.RelayCommand, d, names[i], rdv, meshMax, r.cfg.PresenceTimeout)
			} else {
				cfg := nodeConfig(d, names[i], rdv, meshMax, log.With("node", names[i]))
				// Forty-nine nodes joining at once on two cores take longer than a
				// person's join to reach a member: the meeting has Settle to form.
				cfg.Mesh.JoinTimeout = max(cfg.Mesh.JoinTimeout, r.cfg.Settle)
				if r.cfg.PresenceTimeout > 0 {
					cfg.Mesh.PresenceTimeout = r.cfg.PresenceTimeout
					// Each heartbeat is signed and every node verifies every one:
					// 50 nodes at the default 2 s were a tenth of the process's CPU.
					cfg.Mesh.HeartbeatInterval = r.cfg.PresenceTimeout / 4
					LenientLinks(&cfg.Media)
				}
				r.hosts[i], errs[i] = startNode(ctx, cfg)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	settings := map[string]any{"maxParticipants": max(n, 50)}
	if r.cfg.LastN > 0 {
		settings["lastN"] = r.cfg.LastN
	}
	var created struct {
		Meeting mesh.MeetingView `json:"meeting"`
		JoinURL string           `json:"joinUrl"`
	}
	if err := r.hosts[0].api.Do(ctx, http.MethodPost, "/api/meetings", map[string]any{"title": "Load test", "settings": settings}, &created); err != nil {
		return fmt.Errorf("create the meeting: %w", err)
	}
	r.id = created.Meeting.ID
	r.ps = make([]*participant, n)
	for i, h := range r.hosts {
		r.ps[i] = &participant{name: names[i], peerID: h.self, api: h.api, id: r.id, cl: r.cl,
			mic: i < n-r.cfg.Muted, gate: &r.gate, paused: &r.paused}
	}
	r.setViews()
	join := func(i int) error {
		body := map[string]string{"joinUrl": created.JoinURL}
		if err := r.hosts[i].api.Do(ctx, http.MethodPost, "/api/meetings/join", body, nil); err != nil {
			return fmt.Errorf("%s joins: %w", names[i], err)
		}
		return r.ps[i].connect(ctx)
	}
	if err := join(0); err != nil { // the longest in: the relay
		return err
	}
	// Enough to elect the relay join first: a node that joins with everyone else at
	// once may not see the first participant live yet and elect itself, and the
	// node measured would not be the relay.
	first := min(n, meshMax+1)
	joinAll := func(from, to int) error {
		for i := from; i < to; i++ {
			wg.Go(func() { errs[i] = join(i) })
		}
		wg.Wait()
		return errors.Join(errs...)
	}
	if err := joinAll(1, first); err != nil {
		return err
	}
	if first > meshMax {
		if err := r.awaitRelay(ctx); err != nil {
			return err
		}
	}
	return joinAll(first, n)
}

// Tile sizes of the participants' pages: small shows the q layer, large the f one.
const (
	smallW, smallH = 160, 90
	largeW, largeH = 640, 360
)

// smallTiles says whether participant i of n shows small tiles: share of them, spread
// evenly over the joining order.
func smallTiles(i int, share float64) bool {
	return int(float64(i+1)*share) > int(float64(i)*share)
}

// setViews gives every participant the view its page sends: a camera tile of every
// other participant, all small or all large.
func (r *run) setViews() {
	for i, p := range r.ps {
		w, h := largeW, largeH
		if smallTiles(i, r.cfg.SmallTiles) {
			w, h = smallW, smallH
		}
		p.view = make([]media.ViewTile, 0, len(r.ps)-1)
		for _, o := range r.ps {
			if o != p {
				p.view = append(p.view, media.ViewTile{Peer: o.peerID, Source: "camera", W: w, H: h})
			}
		}
	}
}

// awaitRelay waits for the meeting's relay, and fails unless it is the first node.
func (r *run) awaitRelay(ctx context.Context) error {
	for deadline := time.Now().Add(r.cfg.Settle); time.Now().Before(deadline); {
		if _, _, err := r.selected(ctx); err != nil {
			return err
		}
		if len(r.relays) > 0 {
			if cur := r.relays[len(r.relays)-1]; cur != r.hosts[0].self {
				return fmt.Errorf("%w: the relay was elected on %s, not on the first participant's node (run again)", ErrSetup, r.nameOf(cur))
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	return fmt.Errorf("%w: no relay elected within %v", ErrSetup, r.cfg.Settle)
}

func (r *run) nameOf(peerID string) string {
	for i, h := range r.hosts {
		if h.self == peerID {
			return r.ps[i].name
		}
	}
	return peerID
}

// selected is whose cameras the nodes forward: last-N of the live participants by
// the time they joined, as node.mediaBridge.lastN picks them when nobody speaks;
// nil for everyone's.
func (r *run) selected(ctx context.Context) (map[string]bool, bool, error) {
	var st media.MeetingStats
	if err := r.hosts[0].api.Do(ctx, http.MethodGet, "/api/meetings/"+r.id+"/media", nil, &st); err != nil {
		return nil, false, err
	}
	var ps []mesh.ParticipantView
	if err := r.hosts[0].api.Do(ctx, http.MethodGet, "/api/meetings/"+r.id+"/participants", nil, &ps); err != nil {
		return nil, false, err
	}
	ps = slices.DeleteFunc(ps, func(p mesh.ParticipantView) bool { return p.LeftAt != nil || !p.Online })
	r.online = len(ps)
	r.linksUp = 0
	for _, l := range st.Links {
		if l.State == "connected" {
			r.linksUp++
		}
	}
	if st.Relay != "" && (len(r.relays) == 0 || r.relays[len(r.relays)-1] != st.Relay) {
		r.relays = append(r.relays, st.Relay)
	}
	relayed := st.Mode == "relay"
	lastN := r.cfg.LastN
	if lastN == 0 {
		lastN = eventlog.DefaultLastN
	}
	if !relayed || len(ps) <= lastN {
		return nil, relayed, nil
	}
	slices.SortStableFunc(ps, func(a, b mesh.ParticipantView) int { return a.JoinedAt.Compare(b.JoinedAt) })
	sel := map[string]bool{}
	for _, p := range ps[:lastN] {
		sel[p.PeerID] = true
	}
	return sel, relayed, nil
}

// settled reports whether every participant gets every microphone and a first frame
// of every selected camera.
func (r *run) settled(sel map[string]bool) bool {
	for _, rx := range r.ps {
		got := rx.received()
		for _, tx := range r.ps {
			if tx == rx {
				continue
			}
			if tx.mic && got[peerKey(tx.peerID, "audio")].packets == 0 {
				return false
			}
			if (sel == nil || sel[tx.peerID]) && got[peerKey(tx.peerID, "video")].firstFrame.IsZero() {
				return false
			}
		}
	}
	return true
}

func (r *run) close() {
	for _, p := range r.ps {
		if p != nil {
			p.close()
		}
	}
	var wg sync.WaitGroup
	for _, h := range r.hosts {
		if h != nil {
			wg.Go(h.close)
		}
	}
	wg.Wait()
}
