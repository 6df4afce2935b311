package mesh

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"meshmeet/mesh/eventlog"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// File sharing: a chat message may carry a file. The log holds only its
// reference (name, size, type, SHA-256); every member node fetches the bytes
// from a member that holds them (filexfer.go), checks the hash and keeps them
// under DataDir/files/<meeting>/<hash>. Any member holding a copy serves it,
// so a file outlives its sharer's node. Copies are kept per meeting: a node
// serves in a meeting only what it got through that meeting, so naming a
// file's hash in another meeting does not reach it.
const ()

// blobs is the content-addressed file store, one directory per meeting
// (meeting IDs are 32 hex digits, hashes 64).
type blobs struct {
	dir  string
	disk *disk // writes stop when it is full
}

func (b blobs) path(meeting, sha string) string { return filepath.Join(b.dir, meeting, sha) }

func (b blobs) has(meeting string, f FileRef) bool {
	st, err := os.Stat(b.path(meeting, f.SHA256))
	return err == nil && st.Size() == f.Size
}

// used is the bytes the meeting's files take on this node.
func (b blobs) used(meeting string) int64 {
	des, _ := os.ReadDir(filepath.Join(b.dir, meeting))
	var n int64
	for _, de := range des {
		if info, err := de.Info(); err == nil {
			n += info.Size()
		}
	}
	return n
}

// put stores what r yields (at most limit bytes, else ErrTooLarge) in the
// meeting's directory and returns its hash and size. want, when set, is the
// hash and size the bytes must have.
func (b blobs) put(meeting string, r io.Reader, limit int64, want *FileRef) (string, int64, error) {
	dir := filepath.Join(b.dir, meeting)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", 0, err
	}
	tmp, err := os.CreateTemp(dir, ".part-*")
	if err != nil {
		return "", 0, err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	defer tmp.Close()
	h := sha256.New()
	src := &sourceReader{r: io.LimitReader(r, limit+1)}
	n, err := io.Copy(io.MultiWriter(roomWriter{tmp, b.disk}, h), src)
	if src.err != nil { // the sender's fault (an upload cut off), not this node's
		return "", 0, fmt.Errorf("%w: the file could not be read to its end: %v", ErrInvalid, src.err)
	}
	if err != nil {
		return "", 0, err
	}
	sha := hex.EncodeToString(h.Sum(nil))
	switch {
	case n > limit:
		return "", 0, fmt.Errorf("%w: the file is larger than %d MiB", ErrTooLarge, limit>>20)
	case n == 0:
		return "", 0, fmt.Errorf("%w: the file is empty", ErrInvalid)
	case want != nil && (n != want.Size || sha != want.SHA256):
		return "", 0, fmt.Errorf("%w: file bytes do not match their hash", ErrInvalid)
	}
	if err := tmp.Sync(); err != nil {
		return "", 0, err
	}
	if err := tmp.Close(); err != nil {
		return "", 0, err
	}
	return sha, n, os.Rename(tmp.Name(), b.path(meeting, sha))
}

// roomWriter writes while the disk has room for each write.
type roomWriter struct {
	w    io.Writer
	disk *disk
}

func (r roomWriter) Write(p []byte) (int, error) {
	if err := r.disk.room(int64(len(p))); err != nil {
		return 0, err
	}
	return r.w.Write(p)
}

// sourceReader remembers a read error, to tell it from a write error.
type sourceReader struct {
	r   io.Reader
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

// ShareFile stores a file and posts it to the meeting's chat as a message
// carrying its reference; text is an optional caption. Member nodes fetch
// the bytes from this node, or from any member that already has them.
func (m *Mesh) ShareFile(ctx context.Context, id, name, typ, text string, r io.Reader) (MessageView, error) {
	mt, err := m.known(id)
	if err != nil {
		return MessageView{}, err
	}
	if err := eventlog.ValidFileName(name); err != nil {
		return MessageView{}, err
	}
	if text != "" {
		if err := eventlog.ValidText(text); err != nil {
			return MessageView{}, err
		}
	}
	// Refuse before reading the bytes when the message could not be posted.
	mt.mu.Lock()
	err = mt.log.Check(&Event{Type: TypeChat, Meeting: id, Author: m.self})
	mt.mu.Unlock()
	if err != nil {
		return MessageView{}, err
	}
	sha, size, err := m.blobs.put(id, r, MaxFile, nil)
	if err != nil {
		return MessageView{}, err
	}
	ref := FileRef{Name: name, Size: size, Type: eventlog.CleanFileType(typ), SHA256: sha}
	return m.postChat(ctx, mt, eventlog.Chat{Text: text, File: &ref})
}

// OpenFile opens a file shared in the meeting, fetching it from a member
// node first if this node does not hold it yet. The fetch goes on when ctx
// ends first, so asking again later finds the file.
func (m *Mesh) OpenFile(ctx context.Context, id, sha string) (*os.File, FileRef, error) {
	mt, err := m.known(id)
	if err != nil {
		return nil, FileRef{}, err
	}
	if !eventlog.IsSHA256(sha) {
		return nil, FileRef{}, fmt.Errorf("%w: a file is named by its SHA-256, 64 hex digits", ErrInvalid)
	}
	mt.mu.Lock()
	refs := mt.filesLocked(sha)
	mt.mu.Unlock()
	if len(refs) == 0 {
		return nil, FileRef{}, fmt.Errorf("%w: no file %s was shared in this meeting", ErrNotFound, sha)
	}
	ref, ok := m.heldFile(id, refs)
	if !ok {
		if !m.track() {
			return nil, FileRef{}, ErrNotReady
		}
		// Round after round while the caller waits: a holder may refuse us until
		// it has seen our join, or be away for a moment.
		done := make(chan FileRef, 1)
		go func() {
			defer m.wg.Done()
			for {
				for _, r := range refs {
					if m.fetchFile(m.ctx, mt, r) == nil {
						done <- r
						return
					}
				}
				select {
				case <-ctx.Done():
					return // the background fetcher tries again later
				case <-m.ctx.Done():
					return
				case <-time.After(time.Second):
				}
			}
		}()
		select {
		case ref = <-done:
		case <-ctx.Done():
			return nil, FileRef{}, fmt.Errorf("%w: no member node holding %q could be reached yet; try again shortly", ErrNotReady, refs[0].Name)
		}
	}
	f, err := os.Open(m.blobs.path(id, sha))
	if errors.Is(err, os.ErrNotExist) {
		err = fmt.Errorf("%w: file %s is not on this node", ErrNotFound, sha)
	}
	return f, ref, err
}

// filesLocked lists the references to sha shared by valid messages of the meeting, one
// per size: a member may name a hash with a wrong size first; the bytes decide.
func (m *meeting) filesLocked(sha string) []FileRef {
	var out []FileRef
	for _, ev := range m.log.Events() {
		f := fileOf(ev)
		if f != nil && f.SHA256 == sha && m.st().Valid(ev.ID) &&
			!slices.ContainsFunc(out, func(o FileRef) bool { return o.Size == f.Size }) {
			out = append(out, *f)
		}
	}
	return out
}

// heldFile is the reference among refs whose bytes this node holds for the meeting.
func (m *Mesh) heldFile(meeting string, refs []FileRef) (FileRef, bool) {
	for _, r := range refs {
		if m.blobs.has(meeting, r) {
			return r, true
		}
	}
	return FileRef{}, false
}

// fileOf is the file a chat event carries, nil if none.
func fileOf(ev *Event) *FileRef {
	if ev.Type != TypeChat || !bytes.Contains(ev.Body, []byte(`"file"`)) {
		return nil
	}
	var b eventlog.Chat
	if json.Unmarshal(ev.Body, &b) != nil {
		return nil
	}
	return b.File
}
