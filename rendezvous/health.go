package rendezvous

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Health is what the health endpoint reports: nothing about who registered
// what (namespaces are the meetings' secrets' shadows), only counts.
type Health struct {
	Status          string   `json:"status"` // "ok" while serving, else "starting" or "stopped"
	PeerID          string   `json:"peerId,omitempty"`
	Addrs           []string `json:"addrs,omitempty"`
	Peers           int      `json:"peers"`
	Registrations   int      `json:"registrations"`
	TURN            []string `json:"turn,omitempty"`
	TURNAllocations int      `json:"turnAllocations"`
	UptimeSeconds   float64  `json:"uptimeSeconds"`
}

// Health reports whether the server serves, and its counts.
func (s *Server) Health() Health {
	s.mu.Lock()
	h, since := s.h, s.since
	s.mu.Unlock()
	if h == nil {
		select {
		case <-s.done:
			return Health{Status: "stopped"}
		default:
			return Health{Status: "starting"}
		}
	}
	out := Health{Status: "ok", PeerID: h.ID().String(), Peers: len(h.Network().Peers()), Registrations: s.store.size(),
		TURN: s.TURNURLs(), UptimeSeconds: time.Since(since).Seconds()}
	for _, a := range s.Addrs() {
		out.Addrs = append(out.Addrs, a.String())
	}
	if s.turn != nil {
		s.turn.mu.Lock()
		for _, n := range s.turn.count {
			out.TURNAllocations += n
		}
		s.turn.mu.Unlock()
	}
	return out
}

// HealthHandler serves GET /healthz (200 and the Health JSON while the
// server serves, 503 otherwise: a load balancer or systemd watchdog
// script can poll it) and GET /metrics (Prometheus).
func (s *Server) HealthHandler() http.Handler {
	reg := prometheus.NewRegistry()
	gauge := func(name, help string, f func(Health) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return f(s.Health()) })
	}
	reg.MustRegister(
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		gauge("meshmeet_rendezvous_up", "1 while the rendezvous server serves.", func(h Health) float64 { return b2f(h.Status == "ok") }),
		gauge("meshmeet_rendezvous_peers", "Connected libp2p peers (nodes, including relayed ones).", func(h Health) float64 { return float64(h.Peers) }),
		gauge("meshmeet_rendezvous_registrations", "Live registrations (node × meeting namespace).", func(h Health) float64 { return float64(h.Registrations) }),
		gauge("meshmeet_rendezvous_turn_allocations", "TURN relay allocations in use.", func(h Health) float64 { return float64(h.TURNAllocations) }),
	)
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		h := s.Health()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		if h.Status != "ok" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_ = json.NewEncoder(w).Encode(h)
	})
	return mux
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
