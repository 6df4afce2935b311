package node

import (
	"fmt"
	"testing"
	"time"
)

// speakingOn says whether b's page rings peer's tile as speaking.
func speakingOn(b *browser, peer string) (bool, error) {
	return eval[bool](b, `!!document.querySelector('#tiles .tile[data-peer="`+peer+`"][data-source="camera"]')?.classList.contains('speaking')`)
}

// TestSpeakingRing: each node hears from its own browser's microphone (the audio level
// on every packet) whether its participant speaks, and every page rings that tile; with
// the microphone off the ring goes.
func TestSpeakingRing(t *testing.T) {
	p := startParty(t)
	p.seeAndHear(t)
	A, B := p.browsers[0], p.browsers[1]
	pa := p.peers[0]
	eventually(t, 20*time.Second, "bob's page rings alice (the fake microphone beeps)", func() error {
		on, err := speakingOn(B, pa)
		if err != nil || !on {
			return fmt.Errorf("speaking %v, %v", on, err)
		}
		return nil
	})
	if _, err := eval[any](A, `window.meshmeet.toggle('audio').then(() => true)`); err != nil {
		t.Fatal(err)
	}
	// The fake microphone beeps now and then: speaking must stay off for good, not
	// just between beeps.
	eventually(t, 10*time.Second, "alice's ring goes once her microphone is off", func() error {
		on, err := speakingOn(B, pa)
		if err != nil || on {
			return fmt.Errorf("speaking %v, %v", on, err)
		}
		return nil
	})
	for range 15 {
		time.Sleep(200 * time.Millisecond)
		if on, err := speakingOn(B, pa); err != nil || on {
			t.Fatalf("alice rings while muted: %v %v", on, err)
		}
	}
}
