package mesh

import (
	"testing"

	ma "github.com/multiformats/go-multiaddr"
)

// TestRelayIPsByName: a rendezvous given by DNS name is exempt at the addresses its name
// has (here "localhost", which resolves without a network).
func TestRelayIPsByName(t *testing.T) {
	for _, s := range []string{"/ip4/10.0.0.5/tcp/443", "/dns4/localhost/tcp/443", "/dns/localhost/tcp/443"} {
		if ips := relayIPs(ma.StringCast(s)); len(ips) == 0 {
			t.Errorf("%s: no address", s)
		}
	}
}
