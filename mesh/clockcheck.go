package mesh

import (
	"context"
	"encoding/binary"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// timeProtocol lets a node measure its clock against a peer's, as NTP does
// with one sample: the asker opens a stream, the peer writes its wall clock
// (Unix nanoseconds, 8 bytes big-endian) and closes. Clocks matter because
// every event is judged by its author's timestamp (time limits, ordering).
const timeProtocol = "/meshmeet/time/1.0.0"

// maxClockPeers bounds one measurement round.
const maxClockPeers = 32

// ClockOffset is a peer's clock minus this node's, measured over one round trip.
type ClockOffset struct {
	PeerID   string  `json:"peerId"`
	OffsetMs float64 `json:"offsetMs"`
	RTTMs    float64 `json:"rttMs"`
}

func (m *Mesh) handleTime(s network.Stream) {
	if !m.allow(s.Conn().RemotePeer()) {
		_ = s.Reset()
		return
	}
	_ = s.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, _ = s.Write(binary.BigEndian.AppendUint64(nil, uint64(m.clock.now().UnixNano())))
}

// ClockOffsets measures the clock of every connected meshmeet node (peers
// that do not speak the protocol, such as rendezvous servers, are left out).
func (m *Mesh) ClockOffsets(ctx context.Context) ([]ClockOffset, error) {
	if err := m.running(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	peers := m.host.Network().Peers()
	if len(peers) > maxClockPeers {
		peers = peers[:maxClockPeers]
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	out := []ClockOffset{}
	for _, p := range peers {
		wg.Go(func() {
			if o, ok := m.clockOffset(ctx, p); ok {
				mu.Lock()
				out = append(out, o)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	slices.SortFunc(out, func(a, b ClockOffset) int { return strings.Compare(a.PeerID, b.PeerID) })
	return out, nil
}

func (m *Mesh) clockOffset(ctx context.Context, p peer.ID) (ClockOffset, bool) {
	t0 := m.clock.now()
	s, err := m.host.NewStream(network.WithAllowLimitedConn(ctx, "clock"), p, timeProtocol)
	if err != nil {
		return ClockOffset{}, false
	}
	defer s.Close()
	defer context.AfterFunc(ctx, func() { _ = s.Reset() })()
	var b [8]byte
	if _, err := io.ReadFull(s, b[:]); err != nil {
		return ClockOffset{}, false
	}
	t1 := m.clock.now()
	theirs := time.Unix(0, int64(binary.BigEndian.Uint64(b[:])))
	mid := t0.Add(t1.Sub(t0) / 2)
	return ClockOffset{PeerID: p.String(), OffsetMs: float64(theirs.Sub(mid).Microseconds()) / 1000,
		RTTMs: float64(t1.Sub(t0).Microseconds()) / 1000}, true
}
