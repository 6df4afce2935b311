package mesh

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"meshmeet/mesh/eventlog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

func hasFile(m *Mesh, id string, ref FileRef) func() error {
	return func() error {
		if !m.blobs.has(id, ref) {
			return fmt.Errorf("%s does not hold %s yet", m.cfg.Name, ref.Name)
		}
		return nil
	}
}

func readShared(t *testing.T, m *Mesh, id, sha string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	f, _, err := m.OpenFile(ctx, id, sha)
	if err != nil {
		t.Fatalf("%s opens the file: %v", m.cfg.Name, err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFileSharing: a file shared in chat reaches every member node, which
// checks it against its hash; it outlives its sharer's node, as a late
// joiner fetches it from the members that kept a copy.
func TestFileSharing(t *testing.T) {
	a := startMesh(t, testConfig(t, "alice"))
	b := startMesh(t, testConfig(t, "bob", a))
	c := startMesh(t, testConfig(t, "carol", a, b))
	id, link := meetingOf(t, a, b, c)
	data := make([]byte, 3<<20+17)
	_, _ = rand.Read(data)
	msg, err := a.ShareFile(context.Background(), id, "plan v2.pdf", "Application/PDF; charset=x", "the plan", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	ref := *msg.File
	if ref.Name != "plan v2.pdf" || ref.Size != int64(len(data)) || ref.Type != "application/pdf" || msg.Text != "the plan" {
		t.Fatalf("shared %+v %q", ref, msg.Text)
	}
	for _, m := range []*Mesh{b, c} {
		eventually(t, 20*time.Second, m.cfg.Name+" fetches the file by itself", hasFile(m, id, ref))
		ms, _ := m.Messages(id, "", 0)
		if len(ms) != 1 || ms[0].File == nil || *ms[0].File != ref {
			t.Fatalf("%s's chat: %+v", m.cfg.Name, ms)
		}
		if got := readShared(t, m, id, ref.SHA256); !bytes.Equal(got, data) {
			t.Fatalf("%s holds other bytes", m.cfg.Name)
		}
	}

	// The sharer's node goes; a late joiner gets the file from the others.
	a.Close()
	d := startMesh(t, testConfig(t, "dave", b, c))
	if _, err := d.Join(context.Background(), link); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "dave has the message", hasMessages(d, id, 1))
	if got := readShared(t, d, id, ref.SHA256); !bytes.Equal(got, data) {
		t.Fatal("dave got other bytes")
	}

	// Unknown and malformed names.
	ctx := context.Background()
	if _, _, err := d.OpenFile(ctx, id, strings.Repeat("ab", 32)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("file never shared: %v", err)
	}
	if _, _, err := d.OpenFile(ctx, id, "../../db"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("malformed hash: %v", err)
	}
}

// TestFileServedOnlyToMembers: a node with the meeting key that never
// joined, or was removed, is refused; bytes that do not match the hash are
// not kept.
func TestFileServedOnlyToMembers(t *testing.T) {
	a := startMesh(t, testConfig(t, "alice"))
	b := startMesh(t, testConfig(t, "bob", a))
	x := startMesh(t, testConfig(t, "lurker", a, b))
	id, _ := meetingOf(t, a, b)
	msg, err := a.ShareFile(context.Background(), id, "a.txt", "text/plain", "", strings.NewReader("hello, members"))
	if err != nil {
		t.Fatal(err)
	}
	ref := *msg.File
	eventually(t, 20*time.Second, "bob fetches", hasFile(b, id, ref))

	// x holds the key (as anyone given the link) but has not joined.
	am, _ := a.meeting(id)
	xm, err := x.openTrusted(id, am.keys.secret)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "lurker has the log", func() error {
		xm.mu.Lock()
		defer xm.mu.Unlock()
		if len(xm.filesLocked(ref.SHA256)) == 0 {
			return errNot("no file message yet")
		}
		return nil
	})
	ctx := context.Background()
	if err := x.fetchFrom(ctx, a.self, xm, ref); err == nil || !strings.Contains(err.Error(), "not a member") {
		t.Fatalf("non-member fetch: %v", err)
	}

	// A holder whose copy went bad: the bytes are refused, nothing kept.
	if err := os.WriteFile(b.blobs.path(id, ref.SHA256), []byte("hello, MEMBERS"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(a.blobs.path(id, ref.SHA256)); err != nil {
		t.Fatal(err)
	}
	if err := a.fetchFrom(ctx, b.self, am, ref); err == nil {
		t.Fatal("bad bytes accepted")
	}
	if a.blobs.has(id, ref) {
		t.Fatal("bad bytes kept")
	}

	if err := os.WriteFile(a.blobs.path(id, ref.SHA256), []byte("hello, members"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Naming the file's hash in another meeting does not reach it (alice holds
	// it for the first meeting only): a node serves in a meeting only what it
	// got through that meeting.
	id2, _ := meetingOf(t, b, a)
	bm2, _ := b.meeting(id2)
	if _, err := b.postChat(ctx, bm2, eventlog.Chat{File: &ref}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "alice has the second meeting's message", hasMessages(a, id2, 1))
	if err := b.fetchFrom(ctx, a.self, bm2, ref); err == nil || !strings.Contains(err.Error(), "not here") {
		t.Fatalf("fetch through another meeting: %v", err)
	}

	// Removed: bob is refused even by a holder — as a removed member, or,
	// once the meeting moved to a new key, before a word is said.
	if err := a.Remove(ctx, id, b.self.String()); err != nil {
		t.Fatal(err)
	}
	bm, _ := b.meeting(id)
	if err := b.fetchFrom(ctx, a.self, bm, ref); err == nil || !strings.Contains(err.Error(), "not a member") && !strings.Contains(err.Error(), "reset") && !errors.Is(err, errNotProven) {
		t.Fatalf("removed member fetch: %v", err)
	}
}

// TestShareFileInput: what may be shared, and where.
func TestShareFileInput(t *testing.T) {
	a := startMesh(t, testConfig(t, "alice"))
	id, _ := meetingOf(t, a)
	ctx := context.Background()
	for _, tc := range []struct {
		name, text string
		r          io.Reader
		want       error
	}{
		{"", "", strings.NewReader("x"), ErrInvalid},
		{"../etc/passwd", "", strings.NewReader("x"), ErrInvalid},
		{"a\x00b", "", strings.NewReader("x"), ErrInvalid},
		{strings.Repeat("n", MaxFileName+1), "", strings.NewReader("x"), ErrInvalid},
		{"empty.txt", "", strings.NewReader(""), ErrInvalid},
		{"big.bin", "", io.LimitReader(zeros{}, MaxFile+1), ErrTooLarge},
		{"cut.bin", "", io.MultiReader(strings.NewReader("start"), iotest.ErrReader(io.ErrUnexpectedEOF)), ErrInvalid}, // an upload cut off
		{"ok.txt", strings.Repeat("x", MaxText+1), strings.NewReader("x"), ErrTooLarge},
	} {
		if _, err := a.ShareFile(ctx, id, tc.name, "", tc.text, tc.r); !errors.Is(err, tc.want) {
			t.Errorf("share %.20q: %v, want %v", tc.name, err, tc.want)
		}
	}
	if n := messageCount(t, a, id); n != 0 {
		t.Fatalf("%d messages after refused shares", n)
	}
	left, _ := os.ReadDir(filepath.Join(a.blobs.dir, id))
	if len(left) != 0 {
		t.Fatalf("refused shares left %d files", len(left))
	}
	// A meeting without chat has no file sharing either.
	v, secret, err := a.CreateMeeting(ctx, []byte(`{"title":"quiet","settings":{"enableChat":false}}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Join(ctx, FormatJoinLink("http://127.0.0.1:7700", v.ID, secret)); err != nil {
		t.Fatal(err)
	}
	if _, err := a.ShareFile(ctx, v.ID, "a.txt", "", "", strings.NewReader("x")); !errors.Is(err, ErrForbidden) {
		t.Fatalf("share with chat off: %v", err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestFileWithSpoofedSize: a member who names a file's hash first, with a wrong size,
// does not make the real file unreachable: the bytes decide.
func TestFileWithSpoofedSize(t *testing.T) {
	a := startMesh(t, testConfig(t, "alice"))
	b := startMesh(t, testConfig(t, "mallory", a))
	c := startMesh(t, testConfig(t, "carol", a, b))
	id, _ := meetingOf(t, a, b, c)
	ctx := context.Background()
	data := []byte("the real minutes")
	sum := sha256.Sum256(data)
	spoof := FileRef{Name: "minutes.txt", Size: 999, SHA256: hex.EncodeToString(sum[:])}
	bm, _ := b.meeting(id)
	if _, err := b.postChat(ctx, bm, eventlog.Chat{File: &spoof}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "alice has mallory's message", hasMessages(a, id, 1))
	if _, err := a.ShareFile(ctx, id, "minutes.txt", "", "", bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "carol has both messages", hasMessages(c, id, 2))
	if got := readShared(t, c, id, spoof.SHA256); !bytes.Equal(got, data) {
		t.Fatalf("carol got %q", got)
	}
}

// TestFileBudget: past its budget a node stops fetching a meeting's files by itself, and
// still fetches one when it is downloaded.
func TestFileBudget(t *testing.T) {
	a := startMesh(t, testConfig(t, "alice"))
	cfg := testConfig(t, "bob", a)
	cfg.FileBudget = 20
	b := startMesh(t, cfg)
	id, _ := meetingOf(t, a, b)
	ctx := context.Background()
	small, err := a.ShareFile(ctx, id, "small.txt", "", "", strings.NewReader("twelve bytes"))
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "bob fetches the small file by itself", hasFile(b, id, *small.File))
	big := FileRef{Name: "big.bin", Size: 9, SHA256: strings.Repeat("0", 64)}
	if b.eager(id, big) {
		t.Fatal("bob would fetch past his budget (12 + 9 > 20 bytes)")
	}
	if !b.eager(id, FileRef{Name: "tiny", Size: 8, SHA256: big.SHA256}) {
		t.Fatal("bob would not fetch what fits (12 + 8 bytes)")
	}
	msg, err := a.ShareFile(ctx, id, "big.bin", "", "", strings.NewReader("nine byte"))
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "bob has the message", hasMessages(b, id, 2))
	if got := readShared(t, b, id, msg.File.SHA256); string(got) != "nine byte" {
		t.Fatalf("download past the budget: %q", got)
	}
}
