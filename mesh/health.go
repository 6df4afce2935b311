package mesh

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	msmux "github.com/multiformats/go-multistream"
)

// Two faults a node cannot see from inside, which its peers show it:
//
// Clock skew. Peers drop events stamped more than maxClockSkew ahead of
// their own clock, so a node whose clock runs fast would post into silence.
// Every Config.ClockCheck the node measures its clock against its peers'
// (clockcheck.go, the median of their offsets); beyond clockSkewLimit it
// says so in Info, and while it is ahead by more than clockAheadLimit, every
// event it would sign is refused with ErrClockSkew instead of vanishing.
//
// A twin. A data dir copied to a second machine makes two nodes with one
// identity (peer ID). They cannot reach each other (libp2p does not dial
// its own ID, and gossip never returns a message to its origin), but a
// third node can be connected to both: each process draws a random
// instance ID at start, and a node with two connections to one peer ID asks
// each connection for its instance (instanceProtocol), telling it the
// instances it saw on the others. The node behind each connection learns
// that another instance answers to its identity; all three log it and the
// twins' Info shows it.

// clockSkewLimit is the clock offset from the peers' median beyond which
// this node warns; clockAheadLimit, how far ahead of it this node refuses
// to sign events: the peers' bound, less a margin for the measurement.
const (
	clockSkewLimit  = maxClockSkew / 2
	clockAheadLimit = maxClockSkew - 5*time.Second
)

// instanceProtocol: the asker writes a frame (sync.go's framing) of
// {"v":1,"seen":[instance IDs seen for the answerer's peer ID on other
// connections]}, the answerer writes {"v":1,"instance":"<its ID>"}.
const instanceProtocol = "/meshmeet/instance/1.0.0"

const (
	maxInstanceFrame = 512
	maxInstancesSeen = 4
	// twinWindow is how long a twin, once seen, is reported.
	twinWindow = time.Minute
	// twinCheck is how often peers with several connections are probed,
	// and the clock measured until some peer answered.
	twinCheck = 5 * time.Second
)

// ClockStatus is this node's clock measured against its peers'.
type ClockStatus struct {
	// OffsetMs is the median of the peers' clocks minus this node's:
	// negative when this node's clock is ahead.
	OffsetMs float64   `json:"offsetMs"`
	Peers    int       `json:"peers"` // how many peers answered (0: unknown)
	Checked  time.Time `json:"checked,omitzero"`
	// Skewed says the offset is beyond clockSkewLimit either way; Ahead,
	// that this node's clock is so far ahead that peers would drop what it
	// posts, so it does not post.
	Skewed bool `json:"skewed"`
	Ahead  bool `json:"ahead"`
}

// IdentityClash says another running node uses this node's identity.
type IdentityClash struct {
	Since      time.Time `json:"since"`
	Last       time.Time `json:"last"`
	ReportedBy []string  `json:"reportedBy"` // the peers that saw both
}

// health is this node's view of its clock and of twins of identities.
type health struct {
	once     sync.Once
	instance string

	mu       sync.Mutex
	clock    ClockStatus
	checking bool
	clash    *IdentityClash
	twins    map[peer.ID]time.Time // peers this node saw answer as two instances
}

// instanceID is this process's random instance ID.
func (h *health) instanceID() string {
	h.once.Do(func() {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		h.instance = hex.EncodeToString(b)
	})
	return h.instance
}

// clockLoop measures the clock against the peers every Config.ClockCheck
// (every twinCheck until a peer answered), and looks for twins.
func (m *Mesh) clockLoop(ctx context.Context) {
	t := time.NewTicker(min(twinCheck, m.cfg.ClockCheck))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if st := m.ClockStatus(); st.Peers == 0 || time.Since(st.Checked) >= m.cfg.ClockCheck {
			m.checkClock(ctx)
		}
		m.checkTwins(ctx)
	}
}

// checkClock measures this node's clock against its connected peers'.
func (m *Mesh) checkClock(ctx context.Context) {
	h := &m.health
	h.mu.Lock()
	busy := h.checking
	h.checking = true
	h.mu.Unlock()
	if busy {
		return
	}
	defer func() {
		h.mu.Lock()
		h.checking = false
		h.mu.Unlock()
	}()
	offs, err := m.ClockOffsets(ctx)
	if err != nil || len(offs) == 0 {
		return
	}
	ms := make([]float64, len(offs))
	for i, o := range offs {
		ms[i] = o.OffsetMs
	}
	slices.Sort(ms)
	median := ms[len(ms)/2]
	if len(ms)%2 == 0 {
		median = (ms[len(ms)/2-1] + ms[len(ms)/2]) / 2
	}
	limit := float64(clockSkewLimit.Milliseconds())
	st := ClockStatus{OffsetMs: median, Peers: len(ms), Checked: time.Now().UTC(), Skewed: median > limit || median < -limit,
		Ahead: median < -float64(clockAheadLimit.Milliseconds())}
	h.mu.Lock()
	was := h.clock.Skewed
	h.clock = st
	h.mu.Unlock()
	switch {
	case st.Skewed && !was:
		m.log.Warn("this computer's clock is off from its peers': set it right (automatic time)", "offsetMs", -median, "peers", len(ms))
	case !st.Skewed && was:
		m.log.Info("this computer's clock agrees with its peers' again", "offsetMs", -median)
	}
}

// clockErr is ErrClockSkew while this node's clock is too far ahead of its
// peers' for them to take what it signs; it then measures again soon, so
// a clock set right is noticed.
func (m *Mesh) clockErr() error {
	h := &m.health
	h.mu.Lock()
	st := h.clock
	h.mu.Unlock()
	if !st.Ahead {
		return nil
	}
	if time.Since(st.Checked) > 2*time.Second {
		m.spawn(m.checkClock)
	}
	ahead := time.Duration(-st.OffsetMs) * time.Millisecond
	return fmt.Errorf("%w: it is %s ahead of the other nodes' clocks, which drop what is stamped more than %s ahead; set it right (automatic time) and try again",
		ErrClockSkew, ahead.Round(time.Second), maxClockSkew)
}

// ClockStatus is this node's clock against its peers', as last measured.
func (m *Mesh) ClockStatus() ClockStatus {
	m.health.mu.Lock()
	defer m.health.mu.Unlock()
	return m.health.clock
}

// IdentityClash reports another node running with this node's identity,
// nil when none was seen within twinWindow.
func (m *Mesh) IdentityClash() *IdentityClash {
	h := &m.health
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.clash == nil || time.Since(h.clash.Last) > twinWindow {
		return nil
	}
	c := *h.clash
	c.ReportedBy = slices.Clone(c.ReportedBy)
	return &c
}

type instanceRequest struct {
	V    int      `json:"v"`
	Seen []string `json:"seen"`
}

type instanceAnswer struct {
	V        int    `json:"v"`
	Instance string `json:"instance"`
}

func validInstance(s string) bool {
	b, err := hex.DecodeString(s)
	return err == nil && len(b) == 8
}

// decodeInstanceRequest parses a request from untrusted bytes.
func decodeInstanceRequest(raw []byte) (instanceRequest, error) {
	var r instanceRequest
	if err := decodeSmall(raw, maxInstanceFrame, "instance request", &r); err != nil {
		return r, err
	}
	if r.V != probeVersion || len(r.Seen) > maxInstancesSeen || slices.ContainsFunc(r.Seen, func(s string) bool { return !validInstance(s) }) {
		return r, fmt.Errorf("%w: instance request fields", ErrInvalid)
	}
	return r, nil
}

// decodeInstanceAnswer parses an answer from untrusted bytes.
func decodeInstanceAnswer(raw []byte) (string, error) {
	var a instanceAnswer
	if err := decodeSmall(raw, maxInstanceFrame, "instance answer", &a); err != nil {
		return "", err
	}
	if a.V != probeVersion || !validInstance(a.Instance) {
		return "", fmt.Errorf("%w: instance answer fields", ErrInvalid)
	}
	return a.Instance, nil
}

// handleInstance answers with this process's instance; instances the
// asker saw elsewhere for this identity reveal a twin.
func (m *Mesh) handleInstance(s network.Stream) {
	from := s.Conn().RemotePeer()
	r, ok := readAsked(m, s, maxInstanceFrame, decodeInstanceRequest)
	if !ok {
		return
	}
	self := m.health.instanceID()
	out, _ := json.Marshal(instanceAnswer{V: probeVersion, Instance: self})
	_ = writeFrame(s, out)
	if slices.ContainsFunc(r.Seen, func(i string) bool { return i != self }) {
		m.twinOfSelf(from)
	}
}

// twinOfSelf notes that peer from saw another node with this identity.
func (m *Mesh) twinOfSelf(from peer.ID) {
	h := &m.health
	now := time.Now().UTC()
	h.mu.Lock()
	fresh := h.clash == nil || now.Sub(h.clash.Last) > twinWindow
	if fresh {
		h.clash = &IdentityClash{Since: now}
	}
	h.clash.Last = now
	if !slices.Contains(h.clash.ReportedBy, from.String()) && len(h.clash.ReportedBy) < 8 {
		h.clash.ReportedBy = append(h.clash.ReportedBy, from.String())
	}
	h.mu.Unlock()
	if fresh {
		m.log.Error("another node is running with this node's identity (was the data dir copied to another computer?); give each computer its own data dir",
			"peerId", m.self.String(), "seenBy", from.String())
	}
}

// checkTwins asks every connection to a peer with several for its
// instance, telling each what the others answered.
func (m *Mesh) checkTwins(ctx context.Context) {
	for _, p := range m.host.Network().Peers() {
		conns := m.host.Network().ConnsToPeer(p)
		if len(conns) < 2 {
			continue
		}
		var seen []string
		for round := 0; round < 2; round++ { // the second round tells the first answers of the later ones
			for _, c := range conns {
				inst, err := m.askInstance(ctx, c, seen)
				if err != nil || slices.Contains(seen, inst) || len(seen) == maxInstancesSeen {
					continue
				}
				seen = append(seen, inst)
			}
			if len(seen) < 2 {
				break
			}
		}
		if len(seen) < 2 {
			continue
		}
		m.health.mu.Lock()
		if m.health.twins == nil {
			m.health.twins = map[peer.ID]time.Time{}
		}
		last, known := m.health.twins[p]
		m.health.twins[p] = time.Now()
		m.health.mu.Unlock()
		if !known || time.Since(last) > twinWindow {
			m.log.Warn("two nodes run with one identity (a copied data dir?); both were told", "peer", p.String(), "instances", len(seen))
		}
	}
}

// askInstance asks the node behind one connection for its instance.
func (m *Mesh) askInstance(ctx context.Context, c network.Conn, seen []string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	s, err := c.NewStream(ctx)
	if err != nil {
		return "", err
	}
	defer s.Close()
	defer context.AfterFunc(ctx, func() { _ = s.Reset() })()
	if err := msmux.SelectProtoOrFail(protocol.ID(instanceProtocol), s); err != nil {
		_ = s.Reset()
		return "", err
	}
	_ = s.SetProtocol(instanceProtocol)
	req, _ := json.Marshal(instanceRequest{V: probeVersion, Seen: append([]string{}, seen...)})
	if err := writeFrame(s, req); err != nil {
		return "", err
	}
	raw, err := readFrame(s, maxInstanceFrame)
	if err != nil && err != io.EOF {
		return "", err
	}
	return decodeInstanceAnswer(raw)
}
