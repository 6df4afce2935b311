package media

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"net"
	"sync/atomic"
	"time"
)

// turnDialer dials the TCP connections of TURN relays for ICE: pion hands it
// every TURN-over-TCP and TURN-over-TLS relay once it is the proxy dialer,
// and leaves TLS to it. An address the node holds a pin for (a turns: URL
// from a rendezvous, with the SHA-256 of its certificate) gets TLS checked
// against that pin, not against a CA: a rendezvous's relay has a self-signed
// certificate, and the pin came over the authenticated rendezvous protocol.
// Other addresses are dialled plainly (turn: over TCP).
type turnDialer struct {
	pins atomic.Pointer[map[string]string] // host:port -> SHA-256 of the certificate, hex
}

const turnDialTimeout = 10 * time.Second

var errTURNPin = errors.New("TURN relay certificate does not match its pin")

func (d *turnDialer) Dial(network, addr string) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), turnDialTimeout)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	var pin string
	if p := d.pins.Load(); p != nil {
		pin = (*p)[addr]
	}
	if pin == "" {
		return conn, nil
	}
	tc := tls.Client(conn, PinnedTLS(pin))
	if err := tc.HandshakeContext(ctx); err != nil {
		_ = conn.Close()
		return nil, err
	}
	return tc, nil
}

// PinnedTLS is the client TLS configuration for a TURN relay whose
// certificate must be the one pinned: SHA-256 of its DER form, hex.
func PinnedTLS(pin string) *tls.Config {
	return &tls.Config{
		InsecureSkipVerify: true, // the pin stands for the CA
		MinVersion:         tls.VersionTLS12,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errTURNPin
			}
			sum := sha256.Sum256(cs.PeerCertificates[0].Raw)
			if hex.EncodeToString(sum[:]) != pin {
				return errTURNPin
			}
			return nil
		},
	}
}

// SetTURNPins gives the certificate pins (host:port -> SHA-256, hex) of the
// TURN-over-TLS relays in the ICE servers; a turns: relay without one is
// refused.
func (e *Engine) SetTURNPins(pins map[string]string) {
	p := make(map[string]string, len(pins))
	for k, v := range pins {
		p[k] = v
	}
	e.turnDial.pins.Store(&p)
}
