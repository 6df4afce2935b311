package node

import (
	"fmt"
	"net/http"
	"testing"

	"meshmeet/media"
)

// TestBrowsersThroughRelay: three real browsers in a meeting larger than the mesh limit
// (here 2): the nodes elect one relay, the two others link only to it, and every browser
// still decodes video and receives audio from both others, each labelled as its sender.
func TestBrowsersThroughRelay(t *testing.T) {
	p := startParty(t, func(c *Config) { c.Mesh.MeshMax = 2 })
	p.seeAndHear(t)
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
