package node

import (
	"crypto/rand"
	"net/http"
	"testing"
	"time"

	"meshmeet/mesh"
	"meshmeet/webui/api"
)

// TestWrongKeyLink: through the API, a join link with a real meeting ID
// and a wrong key fails within seconds with 403 wrong_key, and the node
// lists no meeting afterwards; the right link still joins.
func TestWrongKeyLink(t *testing.T) {
	a := startNode(t, "alice", "")
	m := a.create(t, map[string]any{"title": "Keys"})
	a.join(t, m.JoinURL)
	b := startNode(t, "bob", "", withPeers(a))
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	wrong := mesh.FormatJoinLink("http://127.0.0.1:7700", m.Meeting.ID, key)
	start := time.Now()
	ae := b.doErr(t, http.StatusForbidden, http.MethodPost, "/api/meetings/join", map[string]string{"joinUrl": wrong})
	if ae.Code != "wrong_key" || time.Since(start) > 5*time.Second {
		t.Fatalf("wrong link: %+v after %v", ae, time.Since(start))
	}
	var list []api.Meeting
	b.do(t, http.MethodGet, "/api/meetings", nil, &list)
	if len(list) != 0 {
		t.Fatalf("bob lists %d meetings after a wrong link", len(list))
	}
	b.join(t, m.JoinURL)
}
