package mesh

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// File transfer: the requester names the meeting by the session of the
// membership challenge (challenge.go) and asks, sealed
// with the meeting key, for a file by hash; the holder answers (sealed) with
// the size or a refusal, then sends the bytes, which the requester checks
// against the hash before keeping them. The holder serves only members of
// the meeting who were not removed, and only files shared in it. The bytes
// are protected on the way by the libp2p connection's encryption.
const (
	fileProtocol = protocol.ID("/meshmeet/file/2.0.0")
	fileTimeout  = 5 * time.Minute // one transfer of at most MaxFile
	fileAD       = "meshmeet/file"
	fileQueue    = 256
	fileWorkers  = 3 // background fetches at once: one slow source does not hold up the rest
)

type fileRequest struct {
	SHA256 string `json:"sha256"`
}

type fileAnswer struct {
	Size  int64  `json:"size,omitempty"`
	Error string `json:"error,omitempty"`
}

// fetches holds the transfers under way, one per hash, and the queue of
// files to fetch in the background.
type fetches struct {
	mu       sync.Mutex
	inflight map[string]chan struct{}
	queue    chan fileJob
}

type fileJob struct {
	mt  *meeting
	ref FileRef
}

func newFetches() *fetches {
	return &fetches{inflight: map[string]chan struct{}{}, queue: make(chan fileJob, fileQueue)}
}

// fileLoop queues the files of every meeting this node is in that it lacks, each sync
// interval (their messages queue them as they arrive), for fileWorkers to fetch.
func (m *Mesh) fileLoop(ctx context.Context) {
	for range fileWorkers {
		m.goLoop(m.fileWorker)
	}
	t := time.NewTicker(m.cfg.SyncInterval)
	defer t.Stop()
	for {
		m.wantMissingFiles()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (m *Mesh) fileWorker(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-m.fetches.queue:
			if m.eager(j.mt.id, j.ref) {
				_ = m.fetchFile(ctx, j.mt, j.ref)
			}
		}
	}
}

// eager says whether to fetch a file before anyone asks for it: not if this node holds it
// already, nor if the meeting's copies would pass Config.FileBudget (a member sharing
// many large files must not fill every disk). A download fetches it anyway.
func (m *Mesh) eager(meeting string, ref FileRef) bool {
	return !m.blobs.has(meeting, ref) && m.blobs.used(meeting)+ref.Size <= m.cfg.FileBudget
}

// wantMissingFiles queues the files of this node's meetings it lacks.
func (m *Mesh) wantMissingFiles() {
	for _, mt := range m.snapshot() {
		mt.mu.Lock()
		var refs []FileRef
		if mt.st().Members[m.self] != nil {
			for _, ev := range mt.log.Events() {
				if f := fileOf(ev); f != nil && mt.st().Valid(ev.ID) {
					refs = append(refs, *f)
				}
			}
		}
		mt.mu.Unlock()
		for _, ref := range refs {
			if !m.blobs.has(mt.id, ref) {
				m.wantFile(mt, ref)
			}
		}
	}
}

// wantFile queues a background fetch; a full queue is retried next round.
func (m *Mesh) wantFile(mt *meeting, ref FileRef) {
	select {
	case m.fetches.queue <- fileJob{mt, ref}:
	default:
	}
}

// fetchFile gets a file from a member that holds it: its sharer first, then
// the others. Concurrent calls for one file share one transfer.
func (m *Mesh) fetchFile(ctx context.Context, mt *meeting, ref FileRef) error {
	f := m.fetches
	f.mu.Lock()
	key := mt.id + "/" + ref.SHA256
	wait, busy := f.inflight[key]
	if !busy {
		wait = make(chan struct{})
		f.inflight[key] = wait
	}
	f.mu.Unlock()
	if busy {
		select {
		case <-wait:
		case <-ctx.Done():
			return ctx.Err()
		}
		if m.blobs.has(mt.id, ref) {
			return nil
		}
		return fmt.Errorf("%w: no member node holding %q could be reached", ErrNotReady, ref.Name)
	}
	defer func() {
		f.mu.Lock()
		delete(f.inflight, key)
		f.mu.Unlock()
		close(wait)
	}()
	var errs []error
	for _, p := range m.fileSources(mt, ref) {
		err := m.fetchFrom(ctx, p, mt, ref)
		if err == nil {
			m.metrics.files.WithLabelValues("fetched").Inc()
			return nil
		}
		m.metrics.files.WithLabelValues("failed").Inc()
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	m.log.Debug("file fetch failed", "meeting", mt.id, "file", ref.SHA256, "err", errors.Join(errs...))
	return fmt.Errorf("%w: no member node holding %q could be reached", ErrNotReady, ref.Name)
}

// fileSources orders the members who may hold a file: its sharer, then the
// others heard from lately, then the rest.
func (m *Mesh) fileSources(mt *meeting, ref FileRef) []peer.ID {
	mt.mu.Lock()
	defer mt.mu.Unlock()
	var sharer peer.ID
	for _, ev := range mt.log.Events() {
		if f := fileOf(ev); f != nil && *f == ref && mt.st().Valid(ev.ID) {
			sharer = ev.Author
			break
		}
	}
	var online, rest []peer.ID
	for _, p := range mt.st().Order {
		switch {
		case p == m.self || p == sharer || mt.st().Removed[p]:
		case mt.presence[p] != nil:
			online = append(online, p)
		default:
			rest = append(rest, p)
		}
	}
	out := append(online, rest...)
	if sharer != "" && sharer != m.self {
		out = append([]peer.ID{sharer}, out...)
	}
	return out
}

// fetchFrom asks one peer for the file and keeps it if the bytes match.
func (m *Mesh) fetchFrom(ctx context.Context, p peer.ID, mt *meeting, ref FileRef) error {
	ctx, cancel := context.WithTimeout(ctx, fileTimeout)
	defer cancel()
	// No more transfers from p at once than p serves to one peer.
	release, err := m.bounds.wait(ctx, "file-out", p, maxFilePerPeer, maxFileAll)
	if err != nil {
		return err
	}
	defer release()
	s, err := m.openSession(ctx, p, mt.keys, fileProtocol)
	if err != nil {
		return err
	}
	defer s.Close()
	defer context.AfterFunc(ctx, func() { _ = s.Reset() })()
	_ = s.SetDeadline(time.Now().Add(fileTimeout))
	if err := writeSealedAs(s, mt.keys, fileAD, fileRequest{SHA256: ref.SHA256}); err != nil {
		return err
	}
	if err := s.CloseWrite(); err != nil {
		return err
	}
	var ans fileAnswer
	if err := readSealedAs(s, mt.keys, fileAD, maxHello, &ans); err != nil {
		return err
	}
	if ans.Error != "" {
		return fmt.Errorf("%s refused: %s", p, ans.Error)
	}
	if ans.Size != ref.Size {
		return fmt.Errorf("%s offers %d bytes, the file has %d", p, ans.Size, ref.Size)
	}
	_, _, err = m.blobs.put(mt.id, s, ref.Size, &ref)
	if m.Forgotten(mt.id) { // deleted while the bytes came: Forget may have swept already
		_ = os.RemoveAll(filepath.Join(m.blobs.dir, mt.id))
	}
	return err
}

// handleFile serves a file to a member of the meeting it was shared in.
func (m *Mesh) handleFile(s network.Stream) {
	from := s.Conn().RemotePeer()
	tag, ok := m.acceptSession(s)
	if !ok {
		return
	}
	mt := m.meetingByTag(tag, s.Conn().RemotePeer())
	if mt == nil {
		_ = s.Reset() // a lobby's key, or a meeting forgotten since: say nothing more
		return
	}
	_ = s.SetDeadline(time.Now().Add(authTimeout)) // the request is small
	var req fileRequest
	if readSealedAs(s, mt.keys, fileAD, maxHello, &req) != nil {
		_ = s.Reset()
		return
	}
	_ = s.SetDeadline(time.Now().Add(fileTimeout))
	var err error
	answer := func(a fileAnswer) error { return writeSealedAs(s, mt.keys, fileAD, a) }
	mt.mu.Lock()
	member := mt.st().Members[from] != nil && !mt.st().Removed[from]
	refs := mt.filesLocked(req.SHA256)
	mt.mu.Unlock()
	ref, held := m.heldFile(mt.id, refs)
	var f *os.File
	switch {
	case !member:
		err = errors.New("not a member of this meeting")
	case len(refs) == 0:
		err = errors.New("no such file in this meeting")
	case !held:
		err = errors.New("not here yet")
	default:
		f, err = os.Open(m.blobs.path(mt.id, ref.SHA256))
	}
	if err != nil {
		_ = answer(fileAnswer{Error: err.Error()})
		return
	}
	defer f.Close()
	if answer(fileAnswer{Size: ref.Size}) != nil {
		return
	}
	if _, err := io.CopyN(s, f, ref.Size); err == nil {
		m.metrics.files.WithLabelValues("served").Inc()
	}
}
