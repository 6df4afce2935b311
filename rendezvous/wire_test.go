package rendezvous

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestDecodeRequest(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    request
		wantErr error
	}{
		{"register", `{"v":1,"type":"register","ns":"abc","ttl":60}`, request{V: 1, Type: typeRegister, NS: "abc", TTL: 60}, nil},
		{"register default ttl", `{"v":1,"type":"register","ns":"abc"}`, request{V: 1, Type: typeRegister, NS: "abc"}, nil},
		{"unregister", `{"v":1,"type":"unregister","ns":"a-b_C"}`, request{V: 1, Type: typeUnregister, NS: "a-b_C"}, nil},
		{"discover", `{"v":1,"type":"discover","ns":"abc","limit":5}`, request{V: 1, Type: typeDiscover, NS: "abc", Limit: 5}, nil},
		{"waiting discover", `{"v":1,"type":"discover","ns":"abc","wait":20,"cookie":7}`, request{V: 1, Type: typeDiscover, NS: "abc", Wait: 20, Cookie: 7}, nil},
		{"negative wait", `{"v":1,"type":"discover","ns":"a","wait":-1}`, request{}, ErrMalformed},
		{"wait in register", `{"v":1,"type":"register","ns":"a","wait":5}`, request{}, ErrMalformed},
		{"cookie in unregister", `{"v":1,"type":"unregister","ns":"a","cookie":5}`, request{}, ErrMalformed},
		{"wait in turn", `{"v":1,"type":"turn","ns":"","wait":5}`, request{}, ErrMalformed},
		{"negative ttl", `{"v":1,"type":"register","ns":"abc","ttl":-1}`, request{}, ErrInvalidTTL},
		{"bad ns", `{"v":1,"type":"register","ns":"a b"}`, request{}, ErrInvalidNamespace},
		{"empty ns", `{"v":1,"type":"discover","ns":""}`, request{}, ErrInvalidNamespace},
		{"long ns", `{"v":1,"type":"discover","ns":"` + strings.Repeat("a", 129) + `"}`, request{}, ErrInvalidNamespace},
		{"unknown field", `{"v":1,"type":"discover","ns":"a","x":1}`, request{}, ErrMalformed},
		{"trailing", `{"v":1,"type":"discover","ns":"a"} {}`, request{}, ErrMalformed},
		{"version", `{"v":0,"type":"discover","ns":"a"}`, request{}, ErrMalformed},
		{"type", `{"v":1,"type":"nope","ns":"a"}`, request{}, ErrMalformed},
		{"limit in register", `{"v":1,"type":"register","ns":"a","limit":1}`, request{}, ErrMalformed},
		{"ttl in unregister", `{"v":1,"type":"unregister","ns":"a","ttl":1}`, request{}, ErrMalformed},
		{"negative limit", `{"v":1,"type":"discover","ns":"a","limit":-1}`, request{}, ErrMalformed},
		{"float ttl", `{"v":1,"type":"register","ns":"a","ttl":1.5}`, request{}, ErrMalformed},
		{"array", `[]`, request{}, ErrMalformed},
		{"null", `null`, request{}, ErrMalformed},
		{"too large", strings.Repeat(" ", maxRequestSize+1), request{}, ErrMessageTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeRequest([]byte(tt.in), maxNamespaceLen)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestReadFrame(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		want    string
		wantErr error
	}{
		{"ok", frame("abc"), "abc", nil},
		{"eof", nil, "", io.EOF},
		{"empty", frame(""), "", ErrMalformed},
		{"too large", binary.AppendUvarint(nil, 11), "", ErrMessageTooLarge},
		{"short body", append(binary.AppendUvarint(nil, 5), "ab"...), "", ErrMalformed},
		{"cut varint", []byte{0x80}, "", ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readFrame(bufio.NewReader(bytes.NewReader(tt.in)), 10)
			if !errors.Is(err, tt.wantErr) || string(got) != tt.want {
				t.Fatalf("got %q, %v; want %q, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestFrameRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	in := request{V: 1, Type: typeRegister, NS: "ns", TTL: 7}
	if err := writeFrame(&buf, in); err != nil {
		t.Fatal(err)
	}
	body, err := readFrame(bufio.NewReader(&buf), maxRequestSize)
	if err != nil {
		t.Fatal(err)
	}
	out, err := decodeRequest(body, maxNamespaceLen)
	if err != nil || out != in {
		t.Fatalf("round trip: %+v, %v", out, err)
	}
}

func TestDecodeResponse(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr error
	}{
		{"ok", `{"v":1,"status":"ok","peers":[{"id":"x","addrs":[]}]}`, nil},
		{"rate limited", `{"v":1,"status":"error","code":"rate_limited","error":"slow down"}`, ErrRateLimited},
		{"invalid ns", `{"v":1,"status":"error","code":"invalid_namespace"}`, ErrInvalidNamespace},
		{"unknown code", `{"v":1,"status":"error","code":"whatever"}`, ErrServer},
		{"bad status", `{"v":1,"status":"maybe"}`, ErrMalformed},
		{"unknown field", `{"v":1,"status":"ok","more":1}`, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeResponse([]byte(tt.in))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func FuzzDecodeRequest(f *testing.F) {
	for _, s := range []string{
		`{"v":1,"type":"register","ns":"abc","ttl":60}`,
		`{"v":1,"type":"unregister","ns":"abc"}`,
		`{"v":1,"type":"discover","ns":"abc","limit":5}`,
		`{"v":1,"type":"discover","ns":"a","x":1}`,
		`{"v":1,"type":"register","ns":"a","ttl":-1}`,
		`{}`, `[]`, `null`, `"`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := decodeRequest(b, maxNamespaceLen)
		if err != nil {
			return
		}
		// Whatever decodes is valid, and survives a round trip unchanged.
		if err := validNamespace(req.NS, maxNamespaceLen); err != nil {
			t.Fatalf("accepted invalid namespace %q", req.NS)
		}
		if req.TTL < 0 || req.Limit < 0 || req.V != wireVersion {
			t.Fatalf("accepted invalid request %+v", req)
		}
		enc, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		again, err := decodeRequest(enc, maxNamespaceLen)
		if err != nil || again != req {
			t.Fatalf("round trip of %+v: %+v, %v", req, again, err)
		}
	})
}

// FuzzDecodeResponse covers what a client reads from a server: the frame,
// the response body and every discovered peer in it.
func FuzzDecodeResponse(f *testing.F) {
	for _, s := range []string{
		`{"v":1,"status":"ok","ttl":60}`,
		`{"v":1,"status":"ok","peers":[{"id":"12D3KooWGgRbX8b3mzJr1z8vCaxmbUExAsTyNFFp7p3aaiAoy1NV","addrs":["/ip4/127.0.0.1/tcp/1"]}]}`,
		`{"v":1,"status":"error","code":"rate_limited","error":"slow down"}`,
		`{"v":1,"status":"ok","peers":[{"id":"x","addrs":["/garbage"]}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		framed := binary.AppendUvarint(nil, uint64(len(b)))
		body, err := readFrame(bufio.NewReader(bytes.NewReader(append(framed, b...))), maxResponseSize)
		if err != nil {
			return
		}
		resp, err := decodeResponse(body)
		if err != nil {
			return
		}
		for _, wp := range resp.Peers {
			if ai, err := parseWirePeer(wp); err == nil && ai.ID.Validate() != nil {
				t.Fatalf("accepted peer with invalid ID %+v", wp)
			}
		}
	})
}
