package webui

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"sync"
	"time"
)

// fakeBackend is a Backend for tests: it answers every call with a fixed
// value, or with err when set, and records the arguments it saw.
type fakeBackend struct {
	mu    sync.Mutex
	err   error            // returned by every call when set
	calls []string         // method names, in order
	args  map[string][]any // last arguments per method

	// events is what Subscribe streams; subs counts live subscriptions.
	events  chan Event
	subs    int
	subDone chan struct{} // receives when a subscription's ctx ends
}

func newFakeBackend() *fakeBackend {
	return &fakeBackend{
		args:    make(map[string][]any),
		events:  make(chan Event),
		subDone: make(chan struct{}, 16),
	}
}

func (f *fakeBackend) setErr(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = err
}

func (f *fakeBackend) record(method string, args ...any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, method)
	f.args[method] = args
	return f.err
}

func (f *fakeBackend) lastArgs(method string) []any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.args[method]
}

func (f *fakeBackend) callList() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeBackend) called(method string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.args[method]
	return ok
}

func (f *fakeBackend) result(method string, v any, args ...any) (any, error) {
	if err := f.record(method, args...); err != nil {
		return nil, err
	}
	return v, nil
}

func (f *fakeBackend) Node(context.Context) (any, error) {
	return f.result("Node", map[string]any{"peerId": "12D3KooWfake", "name": "alice", "version": "test"})
}

func (f *fakeBackend) CreateMeeting(_ context.Context, body []byte) (any, error) {
	return f.result("CreateMeeting", map[string]any{
		"meeting": map[string]any{"id": "m1", "title": "t"},
		"joinUrl": "http://127.0.0.1:7700/m/m1#k=secret",
	}, json.RawMessage(body))
}

func (f *fakeBackend) Meetings(context.Context) (any, error) {
	return f.result("Meetings", []any{map[string]any{"id": "m1"}})
}

func (f *fakeBackend) Meeting(_ context.Context, id string) (any, error) {
	return f.result("Meeting", map[string]any{"id": id}, id)
}

func (f *fakeBackend) Join(_ context.Context, joinURL string) (any, error) {
	return f.result("Join", map[string]any{"id": "m1"}, joinURL)
}

func (f *fakeBackend) Leave(_ context.Context, id string) error { return f.record("Leave", id) }
func (f *fakeBackend) End(_ context.Context, id string) error   { return f.record("End", id) }

func (f *fakeBackend) Admit(_ context.Context, id, peerID string) error {
	return f.record("Admit", id, peerID)
}

func (f *fakeBackend) Deny(_ context.Context, id, peerID string) error {
	return f.record("Deny", id, peerID)
}

func (f *fakeBackend) Remove(_ context.Context, id, peerID string) error {
	return f.record("Remove", id, peerID)
}

func (f *fakeBackend) Calendar(_ context.Context, id string) ([]byte, error) {
	if err := f.record("Calendar", id); err != nil {
		return nil, err
	}
	return []byte("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"), nil
}

func (f *fakeBackend) ShareFile(_ context.Context, id, name, mediaType string, body io.Reader) (any, error) {
	b, err := io.ReadAll(body)
	if err != nil {
		return nil, err
	}
	return f.result("ShareFile", map[string]any{"id": "msg2", "file": map[string]any{"name": name, "size": len(b)}}, id, name, mediaType, string(b))
}

// fakeFile is what OpenFile serves.
const fakeFile = "0123456789 shared bytes"

func (f *fakeBackend) OpenFile(_ context.Context, id, sha string) (*File, error) {
	if err := f.record("OpenFile", id, sha); err != nil {
		return nil, err
	}
	return &File{Name: "résumé <1>.html", ModTime: time.Unix(1e9, 0), Content: nopSeekCloser{strings.NewReader(fakeFile)}}, nil
}

func (f *fakeBackend) OpenRecording(_ context.Context, id, path string) (*File, error) {
	if err := f.record("OpenRecording", id, path); err != nil {
		return nil, err
	}
	return &File{Name: "rec.ivf", Content: nopSeekCloser{strings.NewReader(fakeFile)}}, nil
}

type nopSeekCloser struct{ io.ReadSeeker }

func (nopSeekCloser) Close() error { return nil }

func (f *fakeBackend) Mute(_ context.Context, id, peerID string) error {
	return f.record("Mute", id, peerID)
}

func (f *fakeBackend) Lobby(_ context.Context, id string) (any, error) {
	return f.result("Lobby", []any{}, id)
}

func (f *fakeBackend) UpdateMeeting(_ context.Context, id string, body []byte) (any, error) {
	return f.result("UpdateMeeting", map[string]any{"id": id}, id, json.RawMessage(body))
}

func (f *fakeBackend) Extend(_ context.Context, id string, minutes int) (any, error) {
	return f.result("Extend", map[string]any{"id": id}, id, minutes)
}

func (f *fakeBackend) Rekey(_ context.Context, id string) (any, error) {
	return f.result("Rekey", map[string]any{"id": id}, id)
}

func (f *fakeBackend) SetRecording(_ context.Context, id string, on bool) (any, error) {
	return f.result("SetRecording", map[string]any{"recording": on}, id, on)
}

func (f *fakeBackend) Recordings(_ context.Context, id string) (any, error) {
	return f.result("Recordings", []any{}, id)
}

func (f *fakeBackend) SetRole(_ context.Context, id, peerID, role string) (any, error) {
	return f.result("SetRole", map[string]any{"peerId": peerID, "role": role}, id, peerID, role)
}

func (f *fakeBackend) Messages(_ context.Context, id, after string, limit int) (any, error) {
	return f.result("Messages", []any{}, id, after, limit)
}

func (f *fakeBackend) PostMessage(_ context.Context, id, text string) (any, error) {
	return f.result("PostMessage", map[string]any{"id": "msg1", "text": text}, id, text)
}

func (f *fakeBackend) Participants(_ context.Context, id string) (any, error) {
	return f.result("Participants", []any{}, id)
}

func (f *fakeBackend) SetMediaState(_ context.Context, id string, body []byte) (any, error) {
	return f.result("SetMediaState", map[string]any{"ok": true}, id, json.RawMessage(body))
}

func (f *fakeBackend) Media(_ context.Context, id string) (any, error) {
	return f.result("Media", map[string]any{"mode": "mesh"}, id)
}

func (f *fakeBackend) Audit(_ context.Context, id string) (any, error) {
	return f.result("Audit", []any{}, id)
}

// Subscribe forwards f.events to the subscriber until ctx ends.
func (f *fakeBackend) Subscribe(ctx context.Context, id string) (<-chan Event, error) {
	if err := f.record("Subscribe", id); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.subs++
	f.mu.Unlock()
	out := make(chan Event)
	go func() {
		defer func() {
			f.mu.Lock()
			f.subs--
			f.mu.Unlock()
			close(out)
			f.subDone <- struct{}{}
		}()
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-f.events:
				if !ok {
					return
				}
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}

func (f *fakeBackend) liveSubs() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.subs
}

func (f *fakeBackend) Export(_ context.Context, id, format string) (*File, error) {
	if err := f.record("Export", id, format); err != nil {
		return nil, err
	}
	return &File{Name: "meeting-" + id + "." + format, Content: nopSeekCloser{strings.NewReader("# record")}}, nil
}

func (f *fakeBackend) Delete(_ context.Context, id string) error {
	return f.record("Delete", id)
}

func (f *fakeBackend) Diagnostics(context.Context) (any, error) {
	return map[string]any{"clock": []any{}}, f.record("Diagnostics")
}
