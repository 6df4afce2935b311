package node

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"meshmeet/mesh/datadir"
	"meshmeet/node/export"
)

// TestExportAndDelete: a real node exports a meeting with hostile chat in
// each format, then deletes its copy: history, files and recordings go,
// and the meeting stays gone while the other member carries on.
func TestExportAndDelete(t *testing.T) {
	a := startNode(t, "alice", "")
	b := startNode(t, "bob<script>", "", withPeers(a))
	m := a.create(t, map[string]any{"title": "Q4 <b>plan</b>"})
	id := m.Meeting.ID
	a.join(t, m.JoinURL)
	b.join(t, m.JoinURL)
	ctx := context.Background()
	b.do(t, http.MethodPost, "/api/meetings/"+id+"/messages", map[string]string{"text": `<img src=x onerror=alert(1)>`}, nil)
	file := filepath.Join(t.TempDir(), "budget.csv")
	if err := os.WriteFile(file, []byte("a,b\n1,2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	shared, err := a.c.ShareFile(ctx, id, file)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "alice has bob's message", func() error {
		if len(a.messages(t, id)) != 2 {
			return errors.New("not yet")
		}
		return nil
	})

	var rec export.Record
	var buf bytes.Buffer
	if err := a.c.ExportMeeting(ctx, id, "json", &buf); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Meeting.Title != "Q4 <b>plan</b>" || len(rec.Participants) != 2 || len(rec.Chat) != 2 ||
		rec.Chat[1].File == nil || rec.Chat[1].File.SHA256 != shared.File.SHA256 || rec.Chat[1].File.Name != "budget.csv" {
		t.Fatalf("the JSON record is %+v", rec)
	}
	if len(rec.Activity) < 3 || rec.Activity[0].Type != "created" || rec.Meeting.HostName != "alice" {
		t.Fatalf("the activity is %+v", rec.Activity)
	}
	buf.Reset()
	if err := a.c.ExportMeeting(ctx, id, "html", &buf); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	if strings.Contains(html, "<img") || strings.Contains(html, "<script") || !strings.Contains(html, "&lt;img src=x") || !strings.Contains(html, shared.File.SHA256) {
		t.Fatalf("the HTML record does not escape the chat:\n%s", html)
	}
	buf.Reset()
	if err := a.c.ExportMeeting(ctx, id, "md", &buf); err != nil || !strings.Contains(buf.String(), "# Meeting record: Q4 \\<b\\>plan\\</b\\>") {
		t.Fatalf("the Markdown record: %v\n%s", err, buf.String())
	}
	if err := a.c.ExportMeeting(ctx, id, "pdf", &buf); !isStatus(err, http.StatusBadRequest) {
		t.Fatalf("export as pdf: %v, want 400", err)
	}

	// A recording on this disk goes with the meeting.
	recDir := filepath.Join(datadir.Dir(a.dir).Recordings(id), "20261203T100000Z")
	if err := os.MkdirAll(recDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(recDir, "x-mic.ogg"), []byte("ogg"), 0o600); err != nil {
		t.Fatal(err)
	}
	a.do(t, http.MethodDelete, "/api/meetings/"+id, nil, nil)
	a.doErr(t, http.StatusNotFound, http.MethodGet, "/api/meetings/"+id, nil)
	for _, dir := range []string{datadir.Dir(a.dir).Recordings(id), filepath.Join(a.dir, "files", id)} {
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("%s is left: %v", dir, err)
		}
	}
	b.do(t, http.MethodPost, "/api/meetings/"+id+"/messages", map[string]string{"text": "still here"}, nil)
	time.Sleep(2 * time.Second) // two sync rounds
	var list []map[string]any
	a.do(t, http.MethodGet, "/api/meetings", nil, &list)
	if len(list) != 0 || !a.Mesh().Forgotten(id) {
		t.Fatalf("the deleted meeting came back: %v", list)
	}
	if got := b.messages(t, id); len(got) != 3 {
		t.Fatalf("bob's copy has %d messages, want 3", len(got))
	}
	a.doErr(t, http.StatusNotFound, http.MethodDelete, "/api/meetings/"+id, nil)
}

// TestRetention: with a fake clock, meetings whose last activity is older
// than the retention go, with their files; a recent one and one scheduled
// in the future stay.
func TestRetention(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	a := startNode(t, "alice", "", func(c *Config) { c.RetentionDays, c.Now = 30, clock })
	old := a.create(t, map[string]any{"title": "old"})
	a.join(t, old.JoinURL)
	a.do(t, http.MethodPost, "/api/meetings/"+old.Meeting.ID+"/messages", map[string]string{"text": "long ago"}, nil)
	later := now.AddDate(0, 0, 45).UTC().Format(time.RFC3339)
	planned := a.create(t, map[string]any{"title": "planned", "scheduledTime": later})
	ctx := context.Background()
	if got := a.SweepRetention(ctx); len(got) != 0 {
		t.Fatalf("deleted %v at once", got)
	}

	mu.Lock()
	now = now.AddDate(0, 0, 31)
	mu.Unlock()
	if got := a.SweepRetention(ctx); len(got) != 1 || got[0] != old.Meeting.ID {
		t.Fatalf("31 days on, deleted %v, want only %s", got, old.Meeting.ID)
	}
	a.doErr(t, http.StatusNotFound, http.MethodGet, "/api/meetings/"+old.Meeting.ID, nil)
	a.do(t, http.MethodGet, "/api/meetings/"+planned.Meeting.ID, nil, nil)

	mu.Lock()
	now = now.AddDate(0, 0, 45)
	mu.Unlock()
	if got := a.SweepRetention(ctx); len(got) != 1 || got[0] != planned.Meeting.ID {
		t.Fatalf("after its date has passed by 30 days, deleted %v, want %s", got, planned.Meeting.ID)
	}
}
