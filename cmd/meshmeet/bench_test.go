package main

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkStartup measures a fresh `meshmeet node` process from exec to its
// ready banner (key creation, Badger, libp2p host, UI listening).
// Run: go test -run '^$' -bench Startup -benchtime 10x ./cmd/meshmeet
func BenchmarkStartup(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dir := b.TempDir()
		b.StartTimer()
		p := startProcB(b, nodeArgs(dir)...)
		b.StopTimer()
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
		b.StartTimer()
	}
}

// BenchmarkIdleRSS reports the resident memory of an idle node: started,
// ready, no meetings, left alone for a few seconds.
// Run: go test -run '^$' -bench IdleRSS -benchtime 1x ./cmd/meshmeet
func BenchmarkIdleRSS(b *testing.B) {
	var peak float64
	for i := 0; i < b.N; i++ {
		p := startProcB(b, nodeArgs(b.TempDir())...)
		end := time.Now().Add(5 * time.Second)
		for time.Now().Before(end) {
			peak = max(peak, rssMB(b, p.cmd.Process.Pid))
			time.Sleep(100 * time.Millisecond)
		}
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
	}
	b.ReportMetric(peak, "RSS-MB")
}

func rssMB(b *testing.B, pid int) float64 {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	b.Fatal("no VmRSS")
	return 0
}
