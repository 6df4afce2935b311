// Package rendezvous is the tiny bootstrap server of meshmeet and its client.
//
// A node registers itself under opaque namespaces (HKDF-derived strings; the
// server never learns what a namespace means) and discovers the other peers
// registered under the same namespace. The server answers with the addresses
// it observed itself for each peer (never what a peer claims about its own
// addresses beyond the IPs it was seen on) plus a circuit address through the
// server, which also runs a circuit relay v2 service, so that peers that
// cannot dial each other directly can still connect.
//
// Protocol /meshmeet/rendezvous/1.0.0: on one stream the client sends one or
// more requests and reads one response after each. Every message is a frame:
// an unsigned varint length followed by that many bytes of strict JSON
// (unknown fields rejected). See wire.go for the message shapes.
//
// A malformed or oversized frame gets an error response and the stream is
// reset. Requests are rate-limited per peer and registrations are capped per
// peer and in total.
package rendezvous
