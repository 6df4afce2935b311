package node

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"meshmeet/webui/api"
)

// TestShareFileThroughAPI: a file uploaded on one node downloads, the same
// bytes, from another node's API; what cannot be shared is refused with the
// right status.
func TestShareFileThroughAPI(t *testing.T) {
	a := startNode(t, "alice", "")
	b := startNode(t, "bob", "", withPeers(a))
	m := a.create(t, map[string]any{"title": "Files"})
	id := m.Meeting.ID
	path := filepath.Join(t.TempDir(), "slides.pdf")
	data := make([]byte, 1<<20+3)
	_, _ = rand.Read(data)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// Not in the meeting yet: nothing to share into.
	if _, err := a.c.ShareFile(ctx, id, path); !isStatus(err, http.StatusForbidden) {
		t.Fatalf("share before joining: %v", err)
	}
	a.join(t, m.JoinURL)
	b.join(t, m.JoinURL)
	msg, err := a.c.ShareFile(ctx, id, path)
	if err != nil {
		t.Fatal(err)
	}
	if msg.File == nil || msg.File.Name != "slides.pdf" || msg.File.Type != "application/pdf" || msg.File.Size != int64(len(data)) {
		t.Fatalf("shared %+v", msg)
	}
	eventually(t, 10*time.Second, "bob sees the file message", func() error {
		ms := b.messages(t, id)
		if len(ms) != 1 || ms[0].File == nil || *ms[0].File != *msg.File {
			return errors.New("not yet")
		}
		return nil
	})
	var got bytes.Buffer
	if err := b.c.DownloadFile(ctx, id, msg.File.SHA256, &got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), data) {
		t.Fatal("bob downloaded other bytes")
	}

	for _, tc := range []struct {
		path   string
		body   string
		status int
	}{
		{"/files?name=a%2Fb", "x", http.StatusBadRequest},
		{"/files?name=empty.txt", "", http.StatusBadRequest},
		{"/files", "x", http.StatusBadRequest},
		{"/files/" + strings.Repeat("0", 64), "", http.StatusNotFound},
		{"/files/nothex", "", http.StatusBadRequest},
	} {
		method := http.MethodPost
		if tc.body == "" && strings.HasPrefix(tc.path, "/files/") {
			method = http.MethodGet
		}
		resp, err := b.c.send(ctx, method, "/api/meetings/"+id+tc.path, "text/plain", strings.NewReader(tc.body))
		if err == nil {
			resp.Body.Close()
		}
		if !isStatus(err, tc.status) {
			t.Errorf("%s %s: %v, want %d", method, tc.path, err, tc.status)
		}
	}
}

func isStatus(err error, status int) bool {
	var ae *api.Error
	return errors.As(err, &ae) && ae.Status == status
}
