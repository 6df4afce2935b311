// Package rendezvous is the tiny bootstrap server of meshmeet and its client.
//
// A node registers itself under opaque namespaces (HKDF-derived strings; the
// server never learns what a namespace means) and discovers the other peers
// registered under the same namespace. The server answers with the addresses
// it can vouch for: the remote addresses of the peer's connections, plus
// the addresses the peer announced through identify on an IP it was actually
// seen on (so nobody can make the server point others at a third host), plus
// a circuit address through the server, which also runs a circuit relay v2
// service, so that peers that cannot dial each other directly still connect.
//
// # Protocol
//
// /meshmeet/rendezvous/1.0.0: on one stream the client sends one or more
// requests and reads one response after each. Every message is a frame: an
// unsigned varint length followed by that many bytes of strict JSON (unknown
// fields and trailing data rejected); requests are at most 1 KiB.
//
//	{"v":1,"type":"register","ns":"<ns>","ttl":<seconds, 0 = default>}
//	{"v":1,"type":"unregister","ns":"<ns>"}
//	{"v":1,"type":"discover","ns":"<ns>","limit":<n, 0 = server max>}
//	{"v":1,"type":"discover","ns":"<ns>","wait":<seconds>,"cookie":<n>}
//	→ {"v":1,"status":"ok","ttl":<granted>,"peers":[{"id":"<peer>","addrs":["<multiaddr>",…]}],"cookie":<n>}
//	→ {"v":1,"status":"error","code":"<code>","error":"<text>"}
//
// A discover answer carries a cookie naming the newest registration under
// the namespace (a refresh is not new). A discover with a wait is a long
// poll: the server holds it until a registration newer than the cookie
// arrives there (answering every waiter on the namespace at once), the wait
// (capped to Config.MaxWait) is over, or the client resets the stream —
// so a waiting client keeps its side of the stream open. Nodes that
// register at the same moment learn of each other as each registration is
// stored, not at their next poll. Waiting discovers are capped per peer
// (Config.MaxWaitsPerPeer) and in all (Config.MaxWaits); past a cap the
// answer is at once an error (too_many_waits).
//
// A namespace is 1..128 bytes of [0-9A-Za-z_-]. A TTL is capped to
// Config.MaxTTL; expired registrations are dropped on lookup and by a
// periodic sweep. Requests are rate-limited per peer (code rate_limited) and
// registrations capped per peer and in total (too_many_registrations); a
// well-formed but invalid request (invalid_namespace, invalid_ttl) gets an
// error and the stream goes on. A malformed or oversized frame gets an error
// and the stream ends: closed once the peer closes its side, reset if it
// keeps sending or stalls.
//
// # Reaching peers through the relay
//
// The relay runs without per-circuit limits (see DefaultRelayResources), so
// a relayed connection is an ordinary connection: GossipSub and every other
// protocol run over it without network.WithAllowLimitedConn. The relay only
// forwards to peers holding a reservation on it, so a node that may be
// undialable must:
//
//   - keep the circuit transport: it is on by default (libp2p.EnableRelay),
//     but libp2p.NoListenAddrs turns it off unless libp2p.EnableRelay() is
//     passed explicitly;
//   - hold a reservation on the servers: call Client.Reserve and renew it
//     before the returned expiry (one hour by default), or use
//     libp2p.EnableAutoRelayWithStaticRelays(servers) (which reserves only
//     while the node thinks it is privately reachable);
//   - optionally libp2p.EnableHolePunching() to upgrade relayed connections
//     to direct ones.
//
// The dialing node needs nothing special: host.Connect with the AddrInfo
// from Discover tries the direct addresses and falls back to the circuit.
package rendezvous
