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
	goleak.VerifyTestMain(m,
		// pion's teardown race (srtp v3.1.3, webrtc v4.2.26): when a new SSRC
		// arrives while a PeerConnection closes, its accept loop may already
		// have returned and the session's reader blocks handing the stream
		// over, for good. One goroutine per such close; nothing of ours holds it.
		goleak.IgnoreTopFunction("github.com/pion/srtp/v3.(*SessionSRTP).decrypt"),
	)
}
