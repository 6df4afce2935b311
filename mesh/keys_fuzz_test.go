package mesh

import (
	"encoding/json"
	"testing"
)

// FuzzDecodeKeyCheck: key check requests and answers from untrusted peers
// never panic, and what decodes encodes back to something that decodes.
func FuzzDecodeKeyCheck(f *testing.F) {
	req, _ := json.Marshal(newKeyCheckRequest("0123456789abcdef0123456789abcdef", newSecret()))
	f.Add(req)
	f.Add([]byte(`{"v":1,"answer":"other"}`))
	f.Add([]byte(`{"v":1,"nonce":"","probe":"","check":""}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if r, err := decodeKeyCheckRequest(raw); err == nil {
			again, _ := json.Marshal(r)
			if _, err := decodeKeyCheckRequest(again); err != nil {
				t.Fatalf("re-encoded request does not decode: %v", err)
			}
		}
		if a, err := decodeKeyCheckAnswer(raw); err == nil && a != keyCheckSame && a != keyCheckOther && a != keyCheckUnknown {
			t.Fatalf("answer %q decoded", a)
		}
	})
}

// FuzzDecodeInstance: instance requests and answers from untrusted peers
// never panic and stay within their bounds.
func FuzzDecodeInstance(f *testing.F) {
	f.Add([]byte(`{"v":1,"seen":["0011223344556677"]}`))
	f.Add([]byte(`{"v":1,"instance":"0011223344556677"}`))
	f.Add([]byte(`{"v":1,"seen":[]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if r, err := decodeInstanceRequest(raw); err == nil && len(r.Seen) > maxInstancesSeen {
			t.Fatalf("%d instances seen decoded", len(r.Seen))
		}
		if i, err := decodeInstanceAnswer(raw); err == nil && !validInstance(i) {
			t.Fatalf("instance %q decoded", i)
		}
	})
}
