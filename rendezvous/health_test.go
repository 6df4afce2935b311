package rendezvous

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestHealthEndpoint: /healthz says ok with the counts while the server
// serves, 503 once it stopped; /metrics carries the rendezvous gauges.
func TestHealthEndpoint(t *testing.T) {
	srv := startServer(t, func(c *Config) {
		c.TURN = DefaultTURNConfig(net.IPv4(127, 0, 0, 1))
		c.TURN.Listen = "127.0.0.1:0"
	})
	ts := httptest.NewServer(srv.HealthHandler())
	defer ts.Close()
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := get("/healthz")
	var h Health
	if err := json.Unmarshal([]byte(body), &h); err != nil || code != 200 || h.Status != "ok" || h.PeerID != srv.ID().String() || len(h.TURN) != 2 {
		t.Fatalf("/healthz = %d %s (%v)", code, body, err)
	}
	code, body = get("/metrics")
	for _, want := range []string{"meshmeet_rendezvous_up 1", "meshmeet_rendezvous_registrations 0", "meshmeet_rendezvous_turn_allocations 0", "meshmeet_rendezvous_peers"} {
		if code != 200 || !strings.Contains(body, want) {
			t.Fatalf("/metrics lacks %q:\n%s", want, body)
		}
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if code, body := get("/healthz"); code != http.StatusServiceUnavailable || !strings.Contains(body, `"stopped"`) {
		t.Fatalf("/healthz after Close = %d %s", code, body)
	}
}
