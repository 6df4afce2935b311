package mesh

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// TestSignalsArriveInOrderFromTheirSender: media signalling between two
// nodes keeps its order and names its authenticated sender.
func TestSignalsArriveInOrderFromTheirSender(t *testing.T) {
	var mu sync.Mutex
	var got []string
	var from peer.ID
	cb := testConfig(t, "receiver")
	cb.OnSignal = func(p peer.ID, msg []byte) {
		mu.Lock()
		defer mu.Unlock()
		from = p
		got = append(got, string(msg))
	}
	b := startMesh(t, cb)
	a := startMesh(t, testConfig(t, "sender", b))
	eventually(t, 5*time.Second, "connected", func() error {
		if !a.Connected(b.self) {
			return errNot("not connected")
		}
		return nil
	})
	meetingOf(t, a, b) // signals come only from members of a meeting this node is in
	for i := range 100 {
		if err := a.SendSignal(b.self, fmt.Appendf(nil, "m%03d", i)); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 5*time.Second, "all signals", func() error {
		mu.Lock()
		defer mu.Unlock()
		if len(got) != 100 {
			return fmt.Errorf("%d signals", len(got))
		}
		return nil
	})
	for i, s := range got {
		if s != fmt.Sprintf("m%03d", i) {
			t.Fatalf("signal %d is %q: out of order", i, s)
		}
	}
	if from != a.self {
		t.Fatalf("sender %s, want %s", from, a.self)
	}
	if err := a.SendSignal(b.self, make([]byte, maxSignal+1)); err == nil {
		t.Fatal("oversized signal accepted")
	}
}
