package node

import (
	"bytes"
	"context"
	"meshmeet/mesh/datadir"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// TestDownloadRecording: a recorded file downloads through the API; nothing
// outside the meeting's recordings does.
func TestDownloadRecording(t *testing.T) {
	a := startNode(t, "alice", "")
	m := a.create(t, map[string]any{"title": "Recorded", "settings": map[string]any{"enableRecording": true}})
	id := m.Meeting.ID
	rel := "20261127T101010Z/" + a.Mesh().Self().String() + "-camera.ivf"
	path := filepath.Join(datadir.Dir(a.dir).Recordings(id), filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	data := []byte("DKIF recorded frames")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	resp, err := a.c.send(ctx, http.MethodGet, "/api/meetings/"+id+"/recordings/"+rel, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	_, _ = got.ReadFrom(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(got.Bytes(), data) || resp.Header.Get("Content-Disposition") == "" {
		t.Fatalf("downloaded %q, %v", got.Bytes(), resp.Header)
	}
	for _, tc := range []struct {
		path   string
		status int
	}{
		{"20261127T101010Z/" + a.Mesh().Self().String() + "-mic.ogg", http.StatusNotFound},
		{"20261127T101010Z/..%2F..%2F..%2Fapi-token", http.StatusBadRequest},
		{"..%2F..%2Fdb/x-camera.ivf", http.StatusBadRequest},
		{"20261127T101010Z/notes.txt", http.StatusBadRequest},
		{"20261127T101010Z/" + a.Mesh().Self().String() + "-camera-2.ivf", http.StatusNotFound}, // a second camera track: a valid name
		{"20261127T101010Z/" + a.Mesh().Self().String() + "-camera-x.ivf", http.StatusBadRequest},
	} {
		resp, err := a.c.send(ctx, http.MethodGet, "/api/meetings/"+id+"/recordings/"+tc.path, "", nil)
		if err == nil {
			resp.Body.Close()
		}
		if !isStatus(err, tc.status) {
			t.Errorf("GET recordings/%s: %v, want %d", tc.path, err, tc.status)
		}
	}
}
