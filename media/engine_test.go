package media

import (
	"context"
	"errors"
	"testing"
	"time"
)

type nopSignaller struct{}

func (nopSignaller) SendToPeer(string, []byte) error    { return nil }
func (nopSignaller) SendToBrowser(string, []byte) error { return nil }

func TestEngineLifecycle(t *testing.T) {
	if _, err := New(DefaultConfig()); !errors.Is(err, ErrConfig) {
		t.Fatalf("New without signaller: %v", err)
	}
	cfg := testConfig()
	cfg.Signaller = nopSignaller{}
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Join("m", "self"); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Join before Run: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	select {
	case <-e.Ready():
	case <-time.After(5 * time.Second):
		t.Fatal("not ready")
	}
	if e.UDPAddr() == nil {
		t.Fatal("no UDP address")
	}
	if err := e.Join("m", "self"); err != nil {
		t.Fatal(err)
	}
	hello := []byte(`{"v":1,"type":"hello","meetingId":"m"}`)
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"joinAgain", e.Join("m", "self"), nil},
		{"joinAsOther", e.Join("m", "other"), ErrProtocol},
		{"unknownMeeting", e.HandleBrowserSignal("x", []byte(`{"v":1,"type":"hello","meetingId":"x"}`)), ErrUnknownMeeting},
		{"meetingMismatch", e.HandleBrowserSignal("x", hello), ErrProtocol},
		{"badMessage", e.HandleBrowserSignal("m", []byte(`{`)), ErrBadMessage},
		{"browserAnswerWithoutSession", e.HandleBrowserSignal("m", []byte(`{"v":1,"type":"answer","meetingId":"m","sdp":"x"}`)), ErrProtocol},
		{"browserSendsOffer", e.HandleBrowserSignal("m", []byte(`{"v":1,"type":"offer","meetingId":"m","sdp":"x"}`)), ErrProtocol},
		{"answerWithoutLink", e.HandlePeerSignal("m", "zzz", []byte(`{"v":1,"type":"answer","meetingId":"m","sdp":"x"}`)), nil}, // no link: ignored
		{"selfSignal", e.HandlePeerSignal("m", "self", []byte(`{"v":1,"type":"restart","meetingId":"m"}`)), ErrProtocol},
		{"setPeersUnknown", e.SetPeers("x", nil), ErrUnknownMeeting},
		{"leave", e.Leave("m"), nil},
		{"leaveAgain", e.Leave("m"), ErrUnknownMeeting},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !errors.Is(tt.err, tt.want) || (tt.want == nil && tt.err != nil) {
				t.Fatalf("got %v, want %v", tt.err, tt.want)
			}
		})
	}
	_ = e.Close()
	_ = e.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := e.Run(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Run after Close: %v", err)
	}
}
