package loadtest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"meshmeet/node/nodeproc"
)

// BenchmarkLoad is `meshmeet loadtest` as a benchmark: n participants, the relay a
// `meshmeet node` process of its own, 20 s measured after everyone joined at once
// (with the lenient presence and links of the default --presence-timeout 20s, ten
// talkers).
// One run is one iteration; the figures are the last run's.
// Run: go test -run '^$' -bench 'Load/participants=20$' -benchtime 1x -timeout 20m ./node/loadtest
func BenchmarkLoad(b *testing.B) {
	for _, n := range []int{8, 20, 50} {
		b.Run(fmt.Sprintf("participants=%d", n), func(b *testing.B) {
			bin := nodeproc.Binary(b)
			cfg := DefaultConfig()
			cfg.Participants, cfg.Duration, cfg.ClipDir, cfg.Settle = n, 20*time.Second, "../../testdata", time.Minute
			cfg.RelayCommand, cfg.PresenceTimeout = []string{bin}, 20*time.Second // forwarding, not failure detection
			var rep *Report
			for range b.N {
				var err error
				if rep, err = Run(context.Background(), cfg); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(100*rep.DeliveryAll, "delivery-%")
			b.ReportMetric(rep.FirstFrame.P50, "first-frame-p50-ms")
			b.ReportMetric(rep.FirstFrame.P95, "first-frame-p95-ms")
			b.ReportMetric(rep.Relay.CPUCores, "relay-cores")
			b.ReportMetric(rep.Relay.RSSMB, "relay-RSS-MB")
			b.ReportMetric(rep.Relay.UplinkMbps, "relay-uplink-Mbps")
			b.ReportMetric(rep.Relay.UplinkBudgetMbps, "relay-uplink-budget-Mbps")
			b.ReportMetric(float64(rep.Reconnects), "reconnects")
		})
	}
}
