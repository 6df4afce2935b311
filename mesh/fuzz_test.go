package mesh

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"slices"
	"testing"

	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
	"google.golang.org/protobuf/proto"
)

func fuzzKey(f testing.TB) (crypto.PrivKey, peer.ID) {
	k, _, err := crypto.GenerateEd25519Key(nil)
	if err != nil {
		f.Fatal(err)
	}
	id, _ := peer.IDFromPrivateKey(k)
	return k, id
}

func FuzzDecodeHeartbeat(f *testing.F) {
	_, id := fuzzKey(f)
	b, _ := json.Marshal(heartbeat{V: 1, Meeting: "0123456789abcdef0123456789abcdef", Peer: id, Name: "n", Media: MediaState{Audio: true}})
	f.Add(b)
	b, _ = json.Marshal(heartbeat{V: 1, Meeting: "0123456789abcdef0123456789abcdef", Peer: id, Name: "n",
		Addrs: []string{"/ip4/10.0.0.1/tcp/4001", "/ip6/::1/udp/4001/quic-v1"}})
	f.Add(b)
	b, _ = json.Marshal(heartbeat{V: 1, Meeting: "0123456789abcdef0123456789abcdef", Peer: id, Name: "n",
		Media: MediaState{HandRaised: true, HandRaisedAt: 1764770000000}, Reaction: "🎉"})
	f.Add(b)
	f.Add([]byte(`{"v":1}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		hb, err := DecodeHeartbeat(raw)
		if err == nil && (hb.Peer.Validate() != nil || !meetingIDPattern.MatchString(hb.Meeting) || len(hb.Addrs) > maxHeartbeatAddrs ||
			hb.Media.HandRaisedAt < 0 || !hb.Media.HandRaised && hb.Media.HandRaisedAt != 0 ||
			hb.Reaction != "" && !slices.Contains(Reactions, hb.Reaction)) {
			t.Fatalf("accepted %+v", hb)
		}
	})
}

func FuzzParseJoinLink(f *testing.F) {
	f.Add(FormatJoinLink("http://127.0.0.1:7700", "0123456789abcdef0123456789abcdef", newSecret()))
	f.Add("http://localhost/m/x#k=")
	f.Fuzz(func(t *testing.T, link string) {
		id, secret, lobby, err := ParseJoinLink(link)
		if err != nil || lobby {
			return
		}
		if !meetingIDPattern.MatchString(id) || len(secret) != secretLen {
			t.Fatalf("accepted %q", link)
		}
		id2, secret2, _, err := ParseJoinLink(FormatJoinLink("http://h", id, secret))
		if err != nil || id2 != id || !bytes.Equal(secret, secret2) {
			t.Fatal("round trip failed")
		}
	})
}

func FuzzDecodeMeetingInput(f *testing.F) {
	f.Add([]byte(`{"title":"t","duration":30,"settings":{"maxParticipants":4,"enableChat":false}}`))
	f.Add([]byte(`{"title":"t","scheduledTime":"2030-01-01T10:00:00Z"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := DecodeMeetingInput(body)
		if err != nil {
			return
		}
		if r.CheckInput() != nil {
			t.Fatalf("accepted invalid record %+v", r)
		}
	})
}

// FuzzSyncFrames feeds arbitrary bytes to the sync reader: it must fail
// cleanly, never panic or allocate beyond the frame limit.
func FuzzSyncFrames(f *testing.F) {
	k, _ := deriveKeys("0123456789abcdef0123456789abcdef", make([]byte, secretLen))
	var buf bytes.Buffer
	_ = writeSealed(&buf, k, syncBatch{Events: []json.RawMessage{[]byte(`{}`)}, Done: true, Need: []string{"ab"}})
	f.Add(buf.Bytes())
	f.Add([]byte{0, 0, 0, 4, 1, 2, 3, 4})
	f.Fuzz(func(t *testing.T, raw []byte) {
		var b syncBatch
		_ = readSealed(bytes.NewReader(raw), k, &b)
		var d syncDigest
		_ = readSealed(bytes.NewReader(raw), k, &d)
		var o syncOffer
		_ = readSealed(bytes.NewReader(raw), k, &o)
	})
}

func FuzzDecodeLobbyMessage(f *testing.F) {
	_, id := fuzzKey(f)
	k, _ := json.Marshal(lobbyMsg{Knock: &knock{V: 1, Meeting: "0123456789abcdef0123456789abcdef", Peer: id, Name: "n", Box: make([]byte, 32)}})
	w, _ := json.Marshal(lobbyMsg{Welcome: &welcome{V: 1, Meeting: "0123456789abcdef0123456789abcdef", Peer: id, Eph: make([]byte, 32), Sealed: make([]byte, 72)}})
	d, _ := json.Marshal(lobbyMsg{Denial: &denial{V: 1, Meeting: "0123456789abcdef0123456789abcdef", Peer: id, Proof: [][]byte{[]byte(`{}`), []byte(`{}`)}}})
	f.Add(k)
	f.Add(w)
	f.Add(d)
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := DecodeLobbyMessage(raw)
		if err != nil {
			return
		}
		kinds := 0
		for _, set := range []bool{m.Knock != nil, m.Welcome != nil, m.Denial != nil} {
			if set {
				kinds++
			}
		}
		if kinds != 1 || m.Denial == nil && len(raw) > maxLobbyMsg {
			t.Fatalf("accepted %s", raw)
		}
		if m.Denial != nil {
			_ = verifyDenial(m.Denial) // must not panic on any proof
		}
	})
}

// FuzzFilterRPC: whatever GossipSub writes, what leaves for a peer names only
// the topics it may hear of, and the filter never panics.
func FuzzFilterRPC(f *testing.F) {
	allowedTag := func(tag string) bool { return tag == "aa" }
	allowed := func(topic string) bool { tag, ok := topicTag(topic); return ok && allowedTag(tag) }
	rpc := &pb.RPC{
		Subscriptions: []*pb.RPC_SubOpts{
			{Topicid: proto.String("meshmeet/1/aa/chat"), Subscribe: proto.Bool(true)},
			{Topicid: proto.String("meshmeet/1/bb/chat"), Subscribe: proto.Bool(true)},
		},
		Publish: []*pb.Message{{Topic: proto.String("meshmeet/1/bb/presence"), Data: []byte("x")}},
		Control: &pb.ControlMessage{
			Ihave: []*pb.ControlIHave{{TopicID: proto.String("meshmeet/1/bb/control")}},
			Graft: []*pb.ControlGraft{{TopicID: proto.String("meshmeet/1/aa/control")}},
			Iwant: []*pb.ControlIWant{{MessageIDs: []string{"m"}}},
		},
	}
	b, _ := proto.Marshal(rpc)
	f.Add(append(binary.AppendUvarint(nil, uint64(len(b))), b...))
	f.Add([]byte{0})
	f.Fuzz(func(t *testing.T, raw []byte) {
		out, err := filterRPC(raw, allowedTag)
		if err != nil || out == nil {
			return
		}
		if _, n := binary.Uvarint(raw); proto.Unmarshal(raw[n:], &pb.RPC{}) != nil {
			return // not an RPC GossipSub could write: the filter only must not panic
		}
		size, n := binary.Uvarint(out)
		var got pb.RPC
		if n <= 0 || size != uint64(len(out)-n) || proto.Unmarshal(out[n:], &got) != nil {
			t.Fatalf("filtered RPC does not decode: %x", out)
		}
		// Changed or not, what leaves names only allowed topics of this node.
		for _, topic := range rpcTopics(&got) {
			if _, ours := topicTag(topic); ours && !allowed(topic) {
				t.Fatalf("%q left in", topic)
			}
		}
	})
}

// FuzzFoundDialable: no address a rendezvous names that reaches loopback,
// link-local, multicast or unspecified passes, whatever its bytes.
func FuzzFoundDialable(f *testing.F) {
	for _, s := range []string{"/ip4/127.0.0.1/tcp/1", "/ip4/203.0.113.1/tcp/1", "/ip6/fe80::1/udp/1/quic-v1",
		"/ip4/1.2.3.4/tcp/1/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo/p2p-circuit", "/dns4/localhost/tcp/1"} {
		f.Add(ma.StringCast(s).Bytes())
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		a, err := ma.NewMultiaddrBytes(raw)
		if err != nil || !foundDialable(a, false) {
			return
		}
		ip, err := manet.ToIP(ma.Multiaddr{a[0]})
		if err != nil || ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsMulticast() || ip.IsUnspecified() {
			t.Fatalf("%s passed", a)
		}
	})
}
