package rendezvous

import (
	"time"

	relayv2 "github.com/libp2p/go-libp2p/p2p/protocol/circuitv2/relay"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
)

// DefaultRelayResources returns the circuit relay v2 resources for a meeting
// bootstrap server.
//
// Limit is nil on purpose. What go-libp2p v0.51 does with it:
//
//   - Limit set (relayv2.DefaultResources uses 2 min / 128 KiB per direction):
//     the relay sends the limit in its HOP/STOP answers, both ends mark the
//     relayed connection Stat().Limited, and the relay resets it after the
//     duration or data cap. The swarm opens no stream over a limited
//     connection unless the opener's context carries
//     network.WithAllowLimitedConn: it waits for a direct connection (hole
//     punching, connection reversal) and fails when none comes (swarm.go
//     newStream/waitForDirectConn, swarm_conn.go). GossipSub opens
//     its streams with a plain context (go-libp2p-pubsub comm.go), and it and
//     its scoring skip limited connections, so gossip, our sync and signalling
//     protocols would not run over the relay at all, and anything that did
//     would be cut after two minutes: useless for a meeting.
//   - Limit nil: the relay answers without a limit, the relayed connection is
//     an ordinary (unlimited) connection, every protocol runs over it without
//     WithAllowLimitedConn, and the relay copies bytes with no time or data
//     cap (relay.go: the unlimited io.Copy path).
//
// The cost of nil is relay bandwidth; it is bounded instead by MaxCircuits
// (relayed connections per peer), MaxReservations, the per-IP/ASN
// reservation caps and libp2p's resource manager. Media does not use the
// relay (it goes over WebRTC, TURN when needed), only signalling and gossip.
// An operator who wants capped circuits sets Relay.Limit; nodes then need
// WithAllowLimitedConn and should hole-punch to a direct connection.
//
// Many employees of one site share one NAT address, so the per-IP and per-ASN
// reservation caps are far above libp2p's defaults, and a meeting of 50 may
// need one circuit per other participant, so MaxCircuits is raised too.
func DefaultRelayResources() relayv2.Resources {
	r := relayv2.DefaultResources()
	r.Limit = nil
	r.ReservationTTL = time.Hour
	r.MaxReservations = 4096
	r.MaxCircuits = 64
	r.BufferSize = 16 << 10
	r.MaxReservationsPerIP = 1024
	r.MaxReservationsPerASN = 4096
	return r
}

// relayOptions are the relay service options for the server's host.
func relayOptions(res relayv2.Resources) []relayv2.Option {
	return []relayv2.Option{
		relayv2.WithResources(res),
		// meshmeet is an internal system: the relay sits on a private
		// address as often as on a public one, so tell reserving peers about
		// every specific address (the default filter keeps public ones only).
		relayv2.WithReservationAddressFilter(func(a ma.Multiaddr) bool {
			return !manet.IsIPUnspecified(a)
		}),
	}
}
