package node

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"meshmeet/media"
)

// cameraLayerSent is the simulcast layer n sends of origin's camera to peer ("" when
// the camera is not simulcast or not sent).
func cameraLayerSent(t *testing.T, n *testNode, meetingID, peer, origin string) string {
	var st media.MeetingStats
	n.do(t, http.MethodGet, "/api/meetings/"+meetingID+"/media", nil, &st)
	for _, ts := range st.TracksSent {
		if ts.PeerID == peer && ts.Source == "camera" && ts.Origin == origin {
			return ts.Layer
		}
	}
	return ""
}

// inboundVideoHeight is the height of the frames b shows of peer's camera.
func inboundVideoHeight(b *browser, peer string) (int, error) {
	return eval[int](b, fmt.Sprintf(`(() => {
		const v = document.querySelector('.tile[data-peer=%q][data-source=camera] video');
		return v ? v.videoHeight : 0;
	})()`, peer))
}

// TestBrowserSimulcast: a real page sends its camera as simulcast layers; when the
// other page shows its tile small, the node sends that page a lower layer, and the
// page decodes smaller frames.
func TestBrowserSimulcast(t *testing.T) {
	d := startDuo(t, map[string]any{"title": "Simulcast"})
	d.hb.enter(t)
	d.gb.enter(t)
	host, guest := d.host.Mesh().Self().String(), d.guest.Mesh().Self().String()
	eventually(t, 45*time.Second, "guest decodes the host's camera", func() error { return receiving(d.gb, []string{host}) })
	eventually(t, 20*time.Second, "the host's node receives simulcast layers", func() error {
		if l := cameraLayerSent(t, d.host, d.m.Meeting.ID, guest, host); l == "" {
			return fmt.Errorf("no simulcast layer sent to the guest's node")
		}
		return nil
	})
	big, err := inboundVideoHeight(d.gb, host)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("guest decodes the host at %d px high, layer %s", big, cameraLayerSent(t, d.host, d.m.Meeting.ID, guest, host))

	// The guest's page shows the host's tile at 64 px high: the quarter-size layer.
	if _, err := eval[bool](d.gb, fmt.Sprintf(`(() => {
		const st = new CSSStyleSheet(); // CSSOM: the page's CSP allows no inline style
		st.replaceSync('.tile[data-peer="%s"][data-source=camera] { height: 64px !important; max-height: 64px !important; min-height: 0 !important; width: 114px !important; aspect-ratio: auto !important; }');
		document.adoptedStyleSheets = [...document.adoptedStyleSheets, st];
		return true;
	})()`, host)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "the guest gets the host's smallest layer", func() error {
		l := cameraLayerSent(t, d.host, d.m.Meeting.ID, guest, host)
		h, err := inboundVideoHeight(d.gb, host)
		if err != nil {
			return err
		}
		if l != "q" || h == 0 || h >= big {
			return fmt.Errorf("layer %q, %d px high (was %d)", l, h, big)
		}
		return nil
	})
	growing(t, d.gb, []string{host}, "video frames", frames)
}
