package node

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"meshmeet/mesh"
	"meshmeet/webui/api"
)

func TestMeetingLifecycle(t *testing.T) {
	a := startNode(t, "alice", "")
	b := startNode(t, "bob", "", withPeers(a))
	c := startNode(t, "carol", "", withPeers(a, b))

	at := time.Date(2030, 1, 2, 15, 4, 5, 0, time.UTC)
	m := a.create(t, map[string]any{
		"title": "Planning", "description": "Q3 plan", "scheduledTime": at.Format(time.RFC3339), "duration": 45,
		"settings": map[string]any{"maxParticipants": 3, "requireApproval": false, "enableRecording": true, "enableChat": true},
	})
	id := m.Meeting.ID
	if !strings.Contains(m.JoinURL, "/m/"+id+"#k=") {
		t.Fatalf("join link %q", m.JoinURL)
	}
	got := m.Meeting
	if got.Title != "Planning" || got.Description != "Q3 plan" || got.Duration != 45 || !got.ScheduledTime.Equal(at) ||
		got.Settings != (api.Settings{MaxParticipants: 3, EnableRecording: true, EnableChat: true}) || got.Status != mesh.StatusScheduled {
		t.Fatalf("created meeting %+v", got)
	}

	// The host joins with the link like everyone; joining twice is harmless.
	a.join(t, m.JoinURL)
	a.join(t, m.JoinURL)
	b.join(t, m.JoinURL)
	c.join(t, m.JoinURL)

	// Everyone sees the same participants and roles.
	for _, n := range []*testNode{a, b, c} {
		eventually(t, 10*time.Second, n.cfg.Name+" sees three participants", func() error {
			var v api.Meeting
			if err := n.c.Do(t.Context(), http.MethodGet, "/api/meetings/"+id, nil, &v); err != nil {
				return err
			}
			return expectRoles(v, map[string]string{"alice": "host", "bob": "participant", "carol": "participant"}, mesh.StatusActive)
		})
	}
	var list []api.Meeting
	b.do(t, http.MethodGet, "/api/meetings", nil, &list)
	if len(list) != 1 || list[0].ID != id {
		t.Fatalf("bob's meeting list %+v", list)
	}

	// maxParticipants: a fourth node gets a clear error.
	d := startNode(t, "dave", "", withPeers(a))
	e := d.doErr(t, http.StatusConflict, http.MethodPost, "/api/meetings/join", map[string]string{"joinUrl": m.JoinURL})
	if !strings.Contains(e.Message, "full") {
		t.Fatalf("full meeting error %q", e.Message)
	}

	// Roles: only the host changes them.
	bobID := b.Mesh().Self().String()
	b.doErr(t, http.StatusForbidden, http.MethodPost, "/api/meetings/"+id+"/role", map[string]string{"peerId": c.Mesh().Self().String(), "role": "moderator"})
	a.do(t, http.MethodPost, "/api/meetings/"+id+"/role", map[string]string{"peerId": bobID, "role": "moderator"}, nil)

	// Only the host ends it: others get 403 and nothing changes anywhere.
	b.doErr(t, http.StatusForbidden, http.MethodPost, "/api/meetings/"+id+"/end", nil)
	c.do(t, http.MethodPost, "/api/meetings/"+id+"/leave", nil, nil)
	for _, n := range []*testNode{a, b, c} {
		eventually(t, 10*time.Second, n.cfg.Name+" sees the role change and carol leave", func() error {
			var v api.Meeting
			if err := n.c.Do(t.Context(), http.MethodGet, "/api/meetings/"+id, nil, &v); err != nil {
				return err
			}
			return expectRoles(v, map[string]string{"alice": "host", "bob": "moderator", "carol": "left"}, mesh.StatusActive)
		})
	}
	a.do(t, http.MethodPost, "/api/meetings/"+id+"/end", nil, nil)
	for _, n := range []*testNode{a, b, c} {
		eventually(t, 10*time.Second, n.cfg.Name+" sees the end", func() error {
			var v api.Meeting
			if err := n.c.Do(t.Context(), http.MethodGet, "/api/meetings/"+id, nil, &v); err != nil {
				return err
			}
			return expectRoles(v, map[string]string{"alice": "left", "bob": "left", "carol": "left"}, mesh.StatusEnded)
		})
		n.doErr(t, http.StatusConflict, http.MethodPost, "/api/meetings/"+id+"/messages", map[string]string{"text": "too late"})
	}

	// The audit log is the same on every node.
	var want []mesh.AuditEntry
	a.do(t, http.MethodGet, "/api/meetings/"+id+"/audit", nil, &want)
	kinds := []string{}
	for _, e := range want {
		kinds = append(kinds, e.Type)
	}
	if strings.Join(kinds, ",") != "created,join,join,join,role,leave,end" {
		t.Fatalf("audit log %v", kinds)
	}
	for _, n := range []*testNode{b, c} {
		eventually(t, 10*time.Second, n.cfg.Name+" audit", func() error {
			var got []mesh.AuditEntry
			if err := n.c.Do(t.Context(), http.MethodGet, "/api/meetings/"+id+"/audit", nil, &got); err != nil {
				return err
			}
			return sameJSON(want, got)
		})
	}
}

func TestChatDisabledIsRefusedEverywhere(t *testing.T) {
	a := startNode(t, "alice", "")
	b := startNode(t, "bob", "", withPeers(a))
	m := a.create(t, map[string]any{"title": "Quiet", "settings": map[string]any{"enableChat": false}})
	a.join(t, m.JoinURL)
	b.join(t, m.JoinURL)
	for _, n := range []*testNode{a, b} {
		n.doErr(t, http.StatusForbidden, http.MethodPost, "/api/meetings/"+m.Meeting.ID+"/messages", map[string]string{"text": "hello?"})
	}
}

func TestBadInputIsRefused(t *testing.T) {
	a := startNode(t, "alice", "")
	m := a.create(t, map[string]any{"title": "Checks"})
	a.join(t, m.JoinURL)
	id := m.Meeting.ID
	cases := []struct {
		name   string
		status int
		path   string
		body   any
	}{
		{"no title", 400, "/api/meetings", map[string]any{"description": "x"}},
		{"long title", 400, "/api/meetings", map[string]any{"title": strings.Repeat("é", 201)}},
		{"bad duration", 400, "/api/meetings", map[string]any{"title": "x", "duration": 0}},
		{"bad capacity", 400, "/api/meetings", map[string]any{"title": "x", "settings": map[string]any{"maxParticipants": 1}}},
		{"unknown field", 400, "/api/meetings", map[string]any{"title": "x", "color": "red"}},
		{"wrong type", 400, "/api/meetings", map[string]any{"title": 5}},
		{"empty text", 400, "/api/meetings/" + id + "/messages", map[string]any{"text": "  "}},
		{"long text", 413, "/api/meetings/" + id + "/messages", map[string]any{"text": strings.Repeat("a", 4097)}},
		{"bad link", 400, "/api/meetings/join", map[string]any{"joinUrl": "http://127.0.0.1/m/xyz"}},
		{"link without key", 400, "/api/meetings/join", map[string]any{"joinUrl": "http://127.0.0.1/m/" + id}},
		{"unknown meeting", 404, "/api/meetings/" + strings.Repeat("0", 32) + "/messages", map[string]any{"text": "x"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a.doErr(t, tc.status, http.MethodPost, tc.path, tc.body)
		})
	}
	// A 4 KiB message exactly is fine.
	a.do(t, http.MethodPost, "/api/meetings/"+id+"/messages", map[string]any{"text": strings.Repeat("a", 4096)}, nil)
}

// TestLobbyThroughTheAPI: requireApproval sends joiners to the lobby (202);
// the host lists and admits them; then they are in.
func TestLobbyThroughTheAPI(t *testing.T) {
	a := startNode(t, "alice", "")
	b := startNode(t, "bob", "", withPeers(a))
	m := a.create(t, map[string]any{"title": "Approval", "settings": map[string]any{"requireApproval": true}})
	if !strings.Contains(m.JoinURL, "#l=") {
		t.Fatalf("link of an approval meeting %q carries the meeting key", m.JoinURL)
	}
	a.join(t, m.JoinURL)
	id := m.Meeting.ID
	var w map[string]string
	if err := b.c.Do(t.Context(), http.MethodPost, "/api/meetings/join", map[string]string{"joinUrl": m.JoinURL}, &w); err != nil || w["status"] != "waiting" {
		t.Fatalf("join: %v %v", w, err)
	}
	b.do(t, http.MethodGet, "/api/meetings/"+id, nil, &w)
	if w["status"] != "waiting" {
		t.Fatalf("meeting while waiting: %v", w)
	}
	b.doErr(t, http.StatusNotFound, http.MethodPost, "/api/meetings/"+id+"/messages", map[string]string{"text": "let me in"})
	var lobby []api.LobbyEntry
	eventually(t, 10*time.Second, "alice sees bob waiting", func() error {
		if err := a.c.Do(t.Context(), http.MethodGet, "/api/meetings/"+id+"/lobby", nil, &lobby); err != nil {
			return err
		}
		if len(lobby) != 1 || lobby[0].Name != "bob" {
			return fmt.Errorf("lobby %+v", lobby)
		}
		return nil
	})
	a.do(t, http.MethodPost, "/api/meetings/"+id+"/admit", map[string]string{"peerId": lobby[0].PeerID}, nil)
	eventually(t, 10*time.Second, "bob is in", func() error {
		var v api.Meeting
		if err := b.c.Do(t.Context(), http.MethodGet, "/api/meetings/"+id, nil, &v); err != nil {
			return err
		}
		if !v.Joined {
			return fmt.Errorf("bob not joined: %+v", v)
		}
		return nil
	})
	post(t, b, id, "thanks")
}
