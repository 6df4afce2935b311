package media

import (
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// TestTurnsNotHeldByAsker: on a link between relays, an asker that keeps asking and never
// offers gets no longer turn for it, and once its turn has run out the granter's held
// offer goes first.
func TestTurnsNotHeldByAsker(t *testing.T) {
	pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = pc.GracefulClose() }()
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio); err != nil {
		t.Fatal(err)
	}
	var sent []string
	n := &negotiator{pc: pc, grants: true, send: func(s Signal) error { sent = append(sent, s.Type); return nil }}
	step := func(what string, f func() error, want ...string) {
		t.Helper()
		sent = nil
		if err := f(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if len(sent) != len(want) || len(want) > 0 && sent[0] != want[0] {
			t.Fatalf("%s: sent %v, want %v", what, sent, want)
		}
	}
	step("first ask", n.onAsk, TypeTurn)
	step("our offer during the turn", func() error { return n.offer(false, false) }) // held
	step("asked again within the turn", n.onAsk)                                     // not extended
	n.grantedAt = time.Now().Add(-turnTimeout - time.Second)
	step("asked again after the turn ran out", n.onAsk, TypeOffer) // ours first
	if !n.pending || !n.asked {
		t.Fatalf("pending %v asked %v: the ask must wait for our answer", n.pending, n.asked)
	}
}
