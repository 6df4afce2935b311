package media

import (
	"log/slog"
	"net"
	"time"

	"github.com/pion/webrtc/v4"
)

// Config configures an Engine. The zero value is not useful; start from DefaultConfig.
type Config struct {
	// UDPPort is the single UDP port all ICE traffic of the node uses (pion's ICE UDP mux).
	// 0 picks an ephemeral port; Engine.UDPAddr reports it once Ready.
	UDPPort int
	// ListenIP restricts the media socket to one local address ("" = all IPv4 interfaces).
	ListenIP string
	// ICEServers are the STUN/TURN servers offered to ICE (from --ice-server).
	ICEServers []webrtc.ICEServer
	// RelayOnly makes links to other nodes use only TURN-relayed paths (for
	// privacy: no host addresses reach other nodes; and for tests of the relay).
	RelayOnly bool
	// TURNTLSOnly keeps only the TURN-over-TLS relays (turns:) of the ICE
	// servers: a site whose firewall lets only HTTPS out, or a test of it.
	TURNTLSOnly bool
	// IncludeLoopback makes ICE gather loopback host candidates; needed when the browser
	// talks to its node over 127.0.0.1 and on loopback-only hosts.
	IncludeLoopback bool
	// MDNSQuery lets ICE resolve the ".local" host candidates browsers offer (query only;
	// the node never publishes mDNS names itself).
	MDNSQuery bool
	// Signaller carries signalling to peers and to the local browser. Required.
	Signaller Signaller
	// Logger receives the engine's logs and pion's. nil means slog.Default().
	Logger *slog.Logger
	// OnLinkLost, when set, is told when a link to another node that was up loses ICE
	// consent (nothing heard for ICEDisconnectedTimeout): the node may be gone, and the
	// caller can check faster than presence would (the relay is replaced from this).
	OnLinkLost func(meetingID, peerID string)
	// DiskRoom, when set, says whether the disk has room for need more bytes; recordings
	// pause while it has not (see recorder.run).
	DiskRoom func(need int64) error
	// OnSpeaking, when set, is told when this node's own participant starts or stops
	// speaking (from the audio level their browser puts on each microphone packet).
	OnSpeaking func(meetingID string, speaking bool)
	// WrapConn, when set, interposes on the media socket's ICE traffic (tests cut and
	// heal links with it). It gets the plain socket: batched writes are left out.
	WrapConn func(net.PacketConn) net.PacketConn

	// ICEDisconnectedTimeout, ICEFailedTimeout and ICEKeepalive tune pion's ICE agent.
	ICEDisconnectedTimeout time.Duration
	ICEFailedTimeout       time.Duration
	ICEKeepalive           time.Duration
	// RestartAfter is how long a node-to-node link may stay disconnected, failed or
	// unanswered before the offerer restarts ICE (the answerer asks it to).
	RestartAfter time.Duration
	// StuckAfter is how long a node-to-node link may have ICE connected without being
	// connected itself (its DTLS handshake stuck or failed) before it is rebuilt.
	StuckAfter time.Duration
	// PLIInterval is the minimum gap between two keyframe requests sent upstream for one track.
	PLIInterval time.Duration
	// VideoQueue and AudioQueue bound each receiver's packet queue; on overflow video is
	// dropped up to the next keyframe and audio packets are dropped.
	VideoQueue int
	AudioQueue int

	// Synthetic makes the node publish a synthetic camera (about 250 kbit/s) and
	// microphone (about 40 kbit/s) in every meeting it joins, as if a browser did: for
	// measuring what crosses a network without browsers (tests, load measurements).
	Synthetic bool
}

// DefaultConfig returns the configuration a node uses unless told otherwise.
func DefaultConfig() Config {
	return Config{
		UDPPort:                0,
		IncludeLoopback:        true,
		MDNSQuery:              true,
		ICEDisconnectedTimeout: 1200 * time.Millisecond, // with OnLinkLost: a dead relay is noticed in about that
		ICEFailedTimeout:       8 * time.Second,
		ICEKeepalive:           400 * time.Millisecond,
		RestartAfter:           3 * time.Second,
		StuckAfter:             5 * time.Second,
		PLIInterval:            500 * time.Millisecond,
		VideoQueue:             256,
		AudioQueue:             64,
	}
}

func (c *Config) validate() error {
	switch {
	case c.Signaller == nil:
		return errorf(ErrConfig, "signaller is required")
	case c.UDPPort < 0 || c.UDPPort > 65535:
		return errorf(ErrConfig, "udp port %d out of range", c.UDPPort)
	case c.ICEDisconnectedTimeout <= 0 || c.ICEFailedTimeout <= 0 || c.ICEKeepalive <= 0:
		return errorf(ErrConfig, "ice timeouts must be positive")
	case c.RestartAfter <= 0 || c.StuckAfter <= 0 || c.PLIInterval <= 0:
		return errorf(ErrConfig, "restartAfter, stuckAfter and pliInterval must be positive")
	case c.VideoQueue <= 0 || c.AudioQueue <= 0:
		return errorf(ErrConfig, "queues must be positive")
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}
