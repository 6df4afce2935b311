package node

import (
	"net/http"
	"strings"
	"testing"

	"meshmeet/webui/api"
)

// TestDisplayNameKept: a name set through the API is what others see in the
// meetings joined afterwards, and the node keeps it across a restart, over
// the configured one; a name the log would refuse is refused with a code.
func TestDisplayNameKept(t *testing.T) {
	dir := t.TempDir()
	a := startNode(t, "alice", dir)
	var n api.Node
	a.do(t, http.MethodPut, api.RouteName, api.NameRequest{Name: "  Alicia R.  "}, &n)
	if n.Name != "Alicia R." {
		t.Fatalf("answer names %q", n.Name)
	}
	for _, bad := range []string{"", "   ", strings.Repeat("x", 65)} {
		if e := a.doErr(t, http.StatusBadRequest, http.MethodPut, api.RouteName, api.NameRequest{Name: bad}); e.Code != api.ErrInvalid.Code {
			t.Errorf("name %q: code %q", bad, e.Code)
		}
	}
	a.Close()

	a = startNode(t, "alice", dir) // configured as alice again
	a.do(t, http.MethodGet, api.RouteNode, nil, &n)
	if n.Name != "Alicia R." {
		t.Fatalf("after a restart the node is %q", n.Name)
	}
	b := startNode(t, "bob", "", withPeers(a))
	m := b.create(t, map[string]any{"title": "Names"})
	b.join(t, m.JoinURL)
	v := a.join(t, m.JoinURL)
	names := map[string]string{}
	for _, p := range v.Participants {
		names[p.PeerID] = p.Name
	}
	if got := names[a.mesh.Self().String()]; got != "Alicia R." {
		t.Errorf("joined as %q (participants %v)", got, names)
	}
}
