package loadtest

import (
	"context"
	"meshmeet/media"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pion/webrtc/v4"
)

// withSimulcast is an offer with its video section asking for the contract's three
// layers, as a node's offer will once it takes simulcast.
func withSimulcast(sdp string) string {
	i := strings.Index(sdp, "m=video")
	if i < 0 {
		return sdp
	}
	lines := "a=rid:q recv\r\na=rid:h recv\r\na=rid:f recv\r\na=simulcast:recv q;h;f\r\n"
	end := strings.Index(sdp[i+1:], "m=")
	if end < 0 {
		return sdp + lines
	}
	return sdp[:i+1+end] + lines + sdp[i+1+end:]
}

// TestSimulcastAnswer: offered simulcast, a participant answers with the contract's
// three layers on its camera, and without it with the full layer alone. (That the
// layers' RTP arrives is left to the node's test: pion will not offer to receive
// simulcast, nor take a changed offer, so a pion offerer cannot stand in here.)
func TestSimulcastAnswer(t *testing.T) {
	for _, tc := range []struct {
		name      string
		simulcast bool
		want      []string
	}{
		{"simulcast", true, []string{"a=rid:q send", "a=rid:h send", "a=rid:f send", "a=simulcast:send q;h;f"}},
		{"plain", false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) { simulcastAnswer(t, tc.simulcast, tc.want) })
	}
}

func simulcastAnswer(t *testing.T, simulcast bool, want []string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cl, err := loadClips("../../testdata")
	if err != nil {
		t.Fatal(err)
	}
	api, mux, err := clientAPI(nil) // the same stack, as the receiving side
	if err != nil {
		t.Fatal(err)
	}
	defer mux.Close()
	node, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer node.Close()
	if _, err := node.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	var gate sync.RWMutex
	var paused atomic.Bool
	p := &participant{name: "p01", cl: cl, gate: &gate, paused: &paused}
	p.stamp = &media.RIDStamper{}
	papi, pmux, err := clientAPI(p.stamp)
	if err != nil {
		t.Fatal(err)
	}
	defer pmux.Close()
	if p.pc, err = papi.NewPeerConnection(webrtc.Configuration{}); err != nil {
		t.Fatal(err)
	}
	defer p.pc.Close()

	offer, err := node.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(node)
	if err := node.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	sdp := node.LocalDescription().SDP
	if simulcast {
		sdp = withSimulcast(sdp)
	}
	if err := p.makeTracks(ctx, sdp); err != nil {
		t.Fatal(err)
	}
	if layers := map[bool]int{true: 3, false: 1}[simulcast]; p.simulcst.Load() != simulcast || len(p.video) != layers {
		t.Fatalf("simulcast %v, %d layers; want %d", p.simulcst.Load(), len(p.video), layers)
	}
	if err := p.addSenders(); err != nil {
		t.Fatal(err)
	}
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdp}); err != nil {
		t.Fatal(err)
	}
	answer, err := p.pc.CreateAnswer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered = webrtc.GatheringCompletePromise(p.pc)
	if err := p.pc.SetLocalDescription(answer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	a := p.pc.LocalDescription().SDP
	for _, w := range want {
		if !strings.Contains(a, w) {
			t.Errorf("answer without %q:\n%s", w, a)
		}
	}
	if !simulcast && strings.Contains(a, "a=simulcast") {
		t.Errorf("simulcast answered to an offer without it:\n%s", a)
	}
}
