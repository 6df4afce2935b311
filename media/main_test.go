package media

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv(benchPeerEnv) != "" {
		runBenchPeer()
		return
	}
	goleak.VerifyTestMain(m)
}
