package node

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"meshmeet/media"
)

// TestBrowsersThroughRelay: three real browsers in a meeting larger than the mesh limit
// (here 2): the nodes elect one relay, the two others link only to it, and every browser
// still decodes video and receives audio from both others, each labelled as its sender.
func TestBrowsersThroughRelay(t *testing.T) {
	p := startParty(t, func(c *Config) { c.MeshMax = 2 })
	start := time.Now()
	for i, br := range p.browsers {
		eventually(t, 45*time.Second, br.name+" receives both others", func() error { return receiving(br, p.others(i)) })
	}
	t.Logf("three browsers see and hear each other through a relay after %v", time.Since(start).Round(time.Millisecond))
	for i, br := range p.browsers {
		growing(t, br, p.others(i), "video frames", frames)
		growing(t, br, p.others(i), "audio bytes", audioBytes)
	}
	relays := map[string]bool{}
	for _, n := range p.nodes {
		var st media.MeetingStats
		n.do(t, http.MethodGet, "/api/meetings/"+p.id+"/media", nil, &st)
		want := 1
		if st.Relay == st.Self {
			want = 2
		}
		if st.Mode != "relay" || len(st.Links) != want {
			t.Fatalf("%s: mode %s relay %s links %+v", n.cfg.Name, st.Mode, st.Relay, st.Links)
		}
		relays[st.Relay] = true
	}
	if len(relays) != 1 {
		t.Fatal(fmt.Sprint("the nodes disagree on the relay: ", relays))
	}
}
