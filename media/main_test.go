package media

import (
	"os"
	"strconv"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv(benchPeerEnv) != "" {
		runBenchPeer()
		return
	}
	if n, err := strconv.Atoi(os.Getenv(benchMeshEnv)); err == nil {
		runMeshPeers(n)
		return
	}
	goleak.VerifyTestMain(m)
}
