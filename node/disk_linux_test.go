package node

import (
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"meshmeet/mesh/datadir"
	"meshmeet/webui/api"

	"golang.org/x/sys/unix"
)

// smallDisk mounts a tmpfs of size MiB on a new directory (root only; else the test
// skips) and returns it.
func smallDisk(t *testing.T, size int) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small disk")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+strconv.Itoa(size)+"m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	return dir
}

// fill takes all but leave bytes of dir's disk in one file and returns its path.
func fill(t *testing.T, dir string, leave int64) string {
	t.Helper()
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	free := int64(st.Bavail) * st.Bsize
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := unix.Fallocate(int(f.Fd()), 0, 0, free-leave); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestDiskFull: on a disk that fills up, a post (or a shared file) is refused with 507 and
// a sentence, is not kept nor sent, and the node takes posts again as soon as there is room, without a
// restart; a node started on a full disk says why it cannot start.
func TestDiskFull(t *testing.T) {
	dir := smallDisk(t, 128)
	data := filepath.Join(dir, "node")
	a := startNode(t, "alice", data)
	m := a.create(t, map[string]any{"title": "Disk"})
	id := m.Meeting.ID
	a.join(t, m.JoinURL)
	b := startNode(t, "bob", "", withPeers(a)) // on a disk with room
	b.join(t, m.JoinURL)
	a.do(t, http.MethodPost, "/api/meetings/"+id+"/messages", map[string]any{"text": "before"}, nil)

	filler := fill(t, dir, 32<<20) // below the 64 MB the node keeps spare
	ae := a.doErr(t, http.StatusInsufficientStorage, http.MethodPost, "/api/meetings/"+id+"/messages", map[string]any{"text": "while full"})
	if ae.Code != "disk_full" || !strings.Contains(ae.Message, "free some space") {
		t.Fatalf("507 says %+v", ae)
	}
	file := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(file, []byte("a shared file"), 0o600); err != nil {
		t.Fatal(err)
	}
	// bob's post reaches alice, who cannot write it yet: it must reach her disk later.
	b.do(t, http.MethodPost, "/api/meetings/"+id+"/messages", map[string]any{"text": "from bob"}, nil)
	eventually(t, 10*time.Second, "alice shows bob's post", func() error {
		return sameTexts([]string{"before", "from bob"}, a.messages(t, id))
	})
	var fe *api.Error
	if _, err := a.c.ShareFile(context.Background(), id, file); !errors.As(err, &fe) || fe.Status != http.StatusInsufficientStorage {
		t.Fatalf("sharing a file on a full disk: %v", err)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "posts are taken again", func() error {
		return a.c.Do(context.Background(), http.MethodPost, "/api/meetings/"+id+"/messages", map[string]any{"text": "after"}, nil)
	})
	want := []string{"before", "from bob", "after"}
	if err := sameTexts(want, a.messages(t, id)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "bob has what alice kept, and nothing else", func() error {
		return sameTexts(want, b.messages(t, id))
	})
	a.Close()
	b.Close() // alice's history after a restart is her disk's alone
	a = startNode(t, "alice", data)
	if err := sameTexts(want, a.messages(t, id)); err != nil {
		t.Fatalf("after a restart: %v", err)
	}
	a.Close()

	fill(t, dir, 16<<20)
	cfg := DefaultConfig()
	cfg.DataDir, cfg.UIAddr = datadir.Dir(data), "127.0.0.1:0"
	fastMesh(&cfg)
	n, err := New(cfg)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err = n.Run(ctx)
	}
	if err == nil || !strings.Contains(err.Error(), "free some space") {
		t.Fatalf("a node on a full disk: %v", err)
	}
}
