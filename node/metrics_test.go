package node

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestMetricsEndpoint(t *testing.T) {
	a := startNode(t, "alice", "")
	b := startNode(t, "bob", "", withPeers(a))
	m := a.create(t, map[string]any{"title": "Metrics"})
	a.join(t, m.JoinURL)
	b.join(t, m.JoinURL)
	post(t, a, m.Meeting.ID, "counted")
	req, _ := http.NewRequest("GET", a.UIURL()+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+a.c.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics = %d %s", resp.StatusCode, body)
	}
	for _, want := range []string{"meshmeet_peers 1", "meshmeet_meetings 1", "meshmeet_messages_out_total", "meshmeet_messages_in_total", "meshmeet_sync_rounds_total", "go_goroutines"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
