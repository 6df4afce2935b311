package media

import (
	"errors"
	"strings"
	"testing"
)

func TestDecodeSignal(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"offer", `{"v":1,"type":"offer","meetingId":"m","sdp":"v=0"}`, nil},
		{"hello", `{"v":1,"type":"hello","meetingId":"m"}`, nil},
		{"candidate", `{"v":1,"type":"candidate","meetingId":"m","candidate":{"candidate":"candidate:1 1 udp 1 127.0.0.1 5 typ host","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":"u"}}`, nil},
		{"viewPinned", `{"v":1,"type":"view","meetingId":"m","tiles":[{"peer":"p","source":"camera","w":640,"h":360,"pinned":true}]}`, nil},
		{"viewBadTile", `{"v":1,"type":"view","meetingId":"m","tiles":[{"peer":"p","source":"camera","w":-1,"h":360}]}`, ErrBadMessage},
		{"badVersion", `{"v":2,"type":"hello","meetingId":"m"}`, ErrBadMessage},
		{"unknownField", `{"v":1,"type":"hello","meetingId":"m","x":1}`, ErrBadMessage},
		{"unknownType", `{"v":1,"type":"nope","meetingId":"m"}`, ErrBadMessage},
		{"noMeeting", `{"v":1,"type":"hello"}`, ErrBadMessage},
		{"offerNoSDP", `{"v":1,"type":"offer","meetingId":"m"}`, ErrBadMessage},
		{"candidateMissing", `{"v":1,"type":"candidate","meetingId":"m"}`, ErrBadMessage},
		{"trailing", `{"v":1,"type":"hello","meetingId":"m"}{}`, ErrBadMessage},
		{"tooLarge", `{"v":1,"type":"offer","meetingId":"m","sdp":"` + strings.Repeat("a", MaxSignalSize) + `"}`, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeSignal([]byte(tt.in))
			if !errors.Is(err, tt.want) {
				t.Fatalf("DecodeSignal: got %v, want %v", err, tt.want)
			}
		})
	}
}

func FuzzDecodeSignal(f *testing.F) {
	f.Add([]byte(`{"v":1,"type":"offer","meetingId":"m","sdp":"v=0","tracks":{"3":{"peerId":"p","kind":"video","source":"camera"}}}`))
	f.Add([]byte(`{"v":1,"type":"candidate","meetingId":"m","candidate":{"candidate":"c","sdpMid":"0"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := DecodeSignal(data)
		if err != nil {
			return
		}
		again, err := DecodeSignal(encodeSignal(*s))
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if again.Type != s.Type || again.MeetingID != s.MeetingID || again.SDP != s.SDP {
			t.Fatalf("round trip changed message")
		}
	})
}
