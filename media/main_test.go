package media

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv(benchPeerEnv) != "" {
		runBenchPeer()
		return
	}
	if size, relay, ok := strings.Cut(os.Getenv(benchMeshEnv), ","); ok || size != "" {
		if n, err := strconv.Atoi(size); err == nil {
			runMeshPeers(n, relay)
			return
		}
	}
	if n, pionDefaults, ok := strings.Cut(os.Getenv(benchMemoryEnv), ","); ok {
		if n, err := strconv.Atoi(n); err == nil {
			runChainMemory(n, pionDefaults == "true")
			return
		}
	}
	goleak.VerifyTestMain(m)
}
