package main

import (
	"testing"
	"time"

	"meshmeet/node/netnstest"
)

// lanNet: nodes on one LAN of their own (a network namespace the test
// makes, so mDNS multicast stays off the machine's network), finding each
// other by mDNS, and with a rendezvous on that LAN too if asked.
func lanNet(t testing.TB, rendezvous bool) contactNet {
	l := netnstest.NewLAN(t, "10.79.0.1")
	return contactNet{prefix: l.Exec(), ip: l.IP, dial: l.DialContext, rendezvous: rendezvous, mdns: true}
}

var lanCases = []struct {
	name       string
	rendezvous bool
}{{"mdns", false}, {"mdns+rendezvous", true}}

// TestFirstContactLAN: five node processes on a LAN open one link at the
// same moment, finding each other by mDNS alone, or by mDNS and a
// rendezvous: each lists all five and has the line each posted right after
// its join (a generous bound; BenchmarkFirstContactLAN measures).
func TestFirstContactLAN(t *testing.T) {
	for _, tc := range lanCases {
		t.Run(tc.name, func(t *testing.T) {
			c := firstContact(t, 5, lanNet(t, tc.rendezvous), 10*time.Second)
			t.Logf("everyone lists everyone after %v; every line everywhere %v after the last post", c.listed, c.chat)
		})
	}
}

// BenchmarkFirstContactLAN is BenchmarkFirstContact for five nodes on a LAN
// of their own (root only): mDNS alone, and mDNS with a rendezvous.
// Run: go test -run '^$' -bench FirstContactLAN -benchtime 3x ./cmd/meshmeet
func BenchmarkFirstContactLAN(b *testing.B) {
	for _, tc := range lanCases {
		b.Run(tc.name, func(b *testing.B) { benchContact(b, 5, lanNet(b, tc.rendezvous)) })
	}
}
