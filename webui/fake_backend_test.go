package webui

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"sync"
	"time"

	"meshmeet/webui/api"
)

// fakeBackend is a Backend for tests: it answers every call with a fixed
// value, or with err when set, and records the arguments it saw.
type fakeBackend struct {
	mu    sync.Mutex
	err   error            // returned by every call when set
	calls []string         // method names, in order
	args  map[string][]any // last arguments per method

	// events is what Subscribe streams; subs counts live subscriptions.
	events  chan api.Event
	subs    int
	subDone chan struct{} // receives when a subscription's ctx ends
}

func newFakeBackend() *fakeBackend {
	return &fakeBackend{
		args:    make(map[string][]any),
		events:  make(chan api.Event),
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

func result[T any](f *fakeBackend, method string, v T, args ...any) (T, error) {
	if err := f.record(method, args...); err != nil {
		var zero T
		return zero, err
	}
	return v, nil
}

func (f *fakeBackend) Node(context.Context) (api.Node, error) {
	return result(f, "Node", api.Node{PeerID: "12D3KooWfake", Name: "alice", Version: "test"})
}

func (f *fakeBackend) CreateMeeting(_ context.Context, body []byte) (api.Created, error) {
	return result(f, "CreateMeeting", api.Created{Meeting: api.Meeting{ID: "m1", Title: "t"},
		JoinURL: "http://127.0.0.1:7700/m/m1#k=secret"}, json.RawMessage(body))
}

func (f *fakeBackend) Meetings(context.Context) ([]api.Meeting, error) {
	return result(f, "Meetings", []api.Meeting{{ID: "m1"}})
}

func (f *fakeBackend) Meeting(_ context.Context, id string) (*api.Meeting, *api.Waiting, error) {
	m, err := result(f, "Meeting", &api.Meeting{ID: id}, id)
	return m, nil, err
}

func (f *fakeBackend) Join(_ context.Context, joinURL string) (*api.Meeting, *api.Waiting, error) {
	m, err := result(f, "Join", &api.Meeting{ID: "m1"}, joinURL)
	return m, nil, err
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

func (f *fakeBackend) ShareFile(_ context.Context, id, name, mediaType string, body io.Reader) (api.Message, error) {
	b, err := io.ReadAll(body)
	if err != nil {
		return api.Message{}, err
	}
	return result(f, "ShareFile", api.Message{ID: "msg2", File: &api.FileRef{Name: name, Size: int64(len(b))}}, id, name, mediaType, string(b))
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

func (f *fakeBackend) Lobby(_ context.Context, id string) ([]api.LobbyEntry, error) {
	return result(f, "Lobby", []api.LobbyEntry{}, id)
}

func (f *fakeBackend) UpdateMeeting(_ context.Context, id string, body []byte) (api.Meeting, error) {
	return result(f, "UpdateMeeting", api.Meeting{ID: id}, id, json.RawMessage(body))
}

func (f *fakeBackend) Extend(_ context.Context, id string, minutes int) (api.Meeting, error) {
	return result(f, "Extend", api.Meeting{ID: id}, id, minutes)
}

func (f *fakeBackend) Rekey(_ context.Context, id string) (api.Meeting, error) {
	return result(f, "Rekey", api.Meeting{ID: id}, id)
}

func (f *fakeBackend) SetRecording(_ context.Context, id string, on bool) (api.Meeting, error) {
	return result(f, "SetRecording", api.Meeting{ID: id, Recording: on}, id, on)
}

func (f *fakeBackend) Recordings(_ context.Context, id string) (api.Recordings, error) {
	return result(f, "Recordings", api.Recordings{Files: []api.RecordingFile{}}, id)
}

func (f *fakeBackend) SetRole(_ context.Context, id, peerID, role string) (api.Meeting, error) {
	return result(f, "SetRole", api.Meeting{ID: id, Participants: []api.Participant{{PeerID: peerID, Role: role}}}, id, peerID, role)
}

func (f *fakeBackend) Messages(_ context.Context, id, after string, limit int) ([]api.Message, error) {
	return result(f, "Messages", []api.Message{}, id, after, limit)
}

func (f *fakeBackend) PostMessage(_ context.Context, id, text string) (api.Message, error) {
	return result(f, "PostMessage", api.Message{ID: "msg1", Text: text}, id, text)
}

func (f *fakeBackend) Participants(_ context.Context, id string) ([]api.Participant, error) {
	return result(f, "Participants", []api.Participant{}, id)
}

func (f *fakeBackend) SetMediaState(_ context.Context, id string, body []byte) (api.Participant, error) {
	return result(f, "SetMediaState", api.Participant{PeerID: "12D3KooWfake", Online: true}, id, json.RawMessage(body))
}

func (f *fakeBackend) Media(_ context.Context, id string) (api.MediaStats, error) {
	return result(f, "Media", api.MediaStats{Mode: "mesh"}, id)
}

func (f *fakeBackend) Audit(_ context.Context, id string) ([]api.AuditEntry, error) {
	return result(f, "Audit", []api.AuditEntry{}, id)
}

// Subscribe forwards f.events to the subscriber until ctx ends.
func (f *fakeBackend) Subscribe(ctx context.Context, id string) (<-chan api.Event, error) {
	if err := f.record("Subscribe", id); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.subs++
	f.mu.Unlock()
	out := make(chan api.Event)
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

func (f *fakeBackend) Diagnostics(context.Context) (api.Diagnostics, error) {
	return api.Diagnostics{Clock: []api.ClockOffset{}}, f.record("Diagnostics")
}

func (f *fakeBackend) React(_ context.Context, id, emoji string) error {
	return f.record("React", id, emoji)
}

func (f *fakeBackend) SetName(_ context.Context, name string) (api.Node, error) {
	return result(f, "SetName", api.Node{PeerID: "12D3KooWfake", Name: name}, name)
}
