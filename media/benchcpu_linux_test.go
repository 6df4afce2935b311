package media

import (
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// isolateCPUs keeps the forwarding node (this process) and the load generator off each
// other's CPUs: it pins every thread of this process to all CPUs but the last, and returns
// the command prefix that starts the generator on the last one, and a func that undoes the
// pinning. With one CPU, without taskset, or with MEDIA_BENCH_SHARED set, it does nothing.
func isolateCPUs(tb testing.TB) (prefix []string, undo func()) {
	undo = func() {}
	taskset, err := exec.LookPath("taskset")
	if err != nil || os.Getenv("MEDIA_BENCH_SHARED") != "" {
		return nil, undo
	}
	var all unix.CPUSet
	if err := unix.SchedGetaffinity(0, &all); err != nil || all.Count() < 2 {
		return nil, undo
	}
	node, last := all, -1
	for cpu := range 1024 {
		if all.IsSet(cpu) {
			last = cpu
		}
	}
	node.Clear(last)
	pinAll(tb, &node)
	procs := runtime.GOMAXPROCS(node.Count())
	return []string{taskset, "-c", strconv.Itoa(last)}, func() {
		pinAll(tb, &all)
		runtime.GOMAXPROCS(procs)
	}
}

// pinAll sets the affinity of every thread of this process; twice, for threads started by
// a thread that was not pinned yet (a new thread inherits its creator's set).
func pinAll(tb testing.TB, set *unix.CPUSet) {
	for range 2 {
		tasks, err := os.ReadDir("/proc/self/task")
		if err != nil {
			tb.Fatal(err)
		}
		for _, t := range tasks {
			if tid, err := strconv.Atoi(t.Name()); err == nil {
				_ = unix.SchedSetaffinity(tid, set) // a thread may have exited meanwhile
			}
		}
	}
}

// stolenTime is the CPU time the hypervisor gave to other guests (steal, /proc/stat):
// benchmarks report it, as CPU figures measured while it grows are inflated.
func stolenTime() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	if len(f) < 9 || f[0] != "cpu" {
		return 0
	}
	ticks, _ := strconv.ParseInt(f[8], 10, 64)
	return time.Duration(ticks) * time.Second / 100 // USER_HZ
}
