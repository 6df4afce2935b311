package mesh

import (
	"context"
	"errors"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// Media signalling between nodes travels on one long-lived stream per peer
// and direction, so offers and candidates keep their order. The stream is
// authenticated by libp2p (the handler learns the sender's peer ID) and
// opens with the session of a membership challenge for a meeting both hold
// (challenge.go): a node takes signals only from members of its meetings.
const (
	signalProtocol = protocol.ID("/meshmeet/signal/2.0.0")
	maxSignal      = 128 << 10
	signalQueue    = 256
)

// ErrSignalQueue is returned when a peer's outgoing signalling backs up.
var ErrSignalQueue = errors.New("signalling queue full")

type signalOut struct {
	queue chan []byte
}

// SendSignal queues msg for p; it never blocks on the network.
func (m *Mesh) SendSignal(p peer.ID, msg []byte) error {
	if err := m.running(); err != nil {
		return err
	}
	if len(msg) > maxSignal {
		return ErrTooLarge
	}
	m.mu.Lock()
	out := m.signals[p]
	if out == nil {
		if m.stopping {
			m.mu.Unlock()
			return ErrNotReady
		}
		out = &signalOut{queue: make(chan []byte, signalQueue)}
		m.signals[p] = out
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			m.signalWriter(m.ctx, p, out)
		}()
	}
	m.mu.Unlock()
	select {
	case out.queue <- msg:
		return nil
	default:
		return ErrSignalQueue
	}
}

// signalWriter owns the outgoing stream to p, reopening it after errors.
func (m *Mesh) signalWriter(ctx context.Context, p peer.ID, out *signalOut) {
	var s network.Stream
	defer func() {
		if s != nil {
			_ = s.Close()
		}
	}()
	for {
		var msg []byte
		select {
		case <-ctx.Done():
			return
		case msg = <-out.queue:
		}
		for attempt := 0; attempt < 2; attempt++ {
			if s == nil {
				octx, cancel := context.WithTimeout(ctx, dialTimeout)
				ns, err := m.openSignal(octx, p)
				cancel()
				if err != nil {
					m.log.Debug("signal stream failed", "peer", p.String(), "err", err)
					break
				}
				s = ns
			}
			_ = s.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if err := writeFrame(s, msg); err == nil {
				break
			}
			_ = s.Reset()
			s = nil
		}
	}
}

// openSignal opens a signalling stream to p under a meeting p proved, or
// proves one first.
func (m *Mesh) openSignal(ctx context.Context, p peer.ID) (network.Stream, error) {
	var ks []keys
	for _, mt := range m.snapshot() {
		if m.hasProved(p, mt.keys.tag) {
			ks = append([]keys{mt.keys}, ks...)
		} else {
			ks = append(ks, mt.keys)
		}
	}
	err := errNotProven
	for _, k := range ks {
		var s network.Stream
		if s, err = m.openSession(ctx, p, k, signalProtocol); err == nil {
			return s, nil
		}
	}
	return nil, err
}

// handleSignal passes on the signals of a peer that proved a meeting's key.
func (m *Mesh) handleSignal(s network.Stream) {
	from := s.Conn().RemotePeer()
	tag, ok := m.acceptSession(s)
	if !ok {
		return
	}
	if m.meetingByTag(tag, from) == nil {
		_ = s.Reset() // a lobby's key: knockers take no part in media
		return
	}
	for {
		b, err := readFrame(s, maxSignal)
		if err != nil {
			_ = s.Reset()
			return
		}
		if !m.allow(from) {
			_ = s.Reset()
			return
		}
		if h := m.cfg.OnSignal; h != nil {
			h(from, b)
		}
	}
}

// serve wraps a stream handler: libp2p runs handlers on its own goroutines,
// so count them in (Run must not close the store under them) and reset
// their streams when Run stops.
func (m *Mesh) serve(h network.StreamHandler) network.StreamHandler {
	return func(s network.Stream) {
		if !m.track() {
			_ = s.Reset()
			return
		}
		defer m.wg.Done()
		defer context.AfterFunc(m.ctx, func() { _ = s.Reset() })()
		defer s.Close()
		h(s)
	}
}
