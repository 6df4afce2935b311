package mesh

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"meshmeet/mesh/eventlog"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/protobuf/proto"
)

// newStranger is a plain libp2p host on loopback that holds no meeting key,
// connected to target.
func newStranger(t testing.TB, target *Mesh, setup ...func(host.Host)) host.Host {
	t.Helper()
	h, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	for _, f := range setup { // before the target sees it: it challenges on connect
		f(h)
	}
	if err := h.Connect(context.Background(), peer.AddrInfo{ID: target.self, Addrs: target.host.Addrs()}); err != nil {
		t.Fatal(err)
	}
	return h
}

// twoMembers starts alice (adjusted by opts) and bob, connected, in a new meeting.
func twoMembers(t *testing.T, opts ...func(*Mesh)) (a, b *Mesh, id, link string) {
	t.Helper()
	a = startMesh(t, testConfig(t, "alice"), opts...)
	b = startMesh(t, testConfig(t, "bob", a))
	id, link = meetingOf(t, a, b)
	return a, b, id, link
}

// gossipRecorder takes the GossipSub streams a node opens to a stranger and
// keeps every RPC that arrives on them.
type gossipRecorder struct {
	mu      sync.Mutex
	streams int
	rpcs    []*pb.RPC
}

func (r *gossipRecorder) handle(s network.Stream) {
	r.mu.Lock()
	r.streams++
	r.mu.Unlock()
	br := bufio.NewReader(s)
	for {
		n, err := binary.ReadUvarint(br)
		if err != nil || n > 1<<20 {
			return
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(br, b); err != nil {
			return
		}
		var rpc pb.RPC
		if proto.Unmarshal(b, &rpc) == nil {
			r.mu.Lock()
			r.rpcs = append(r.rpcs, &rpc)
			r.mu.Unlock()
		}
	}
}

// topics are every topic named in what arrived, and how many messages.
func (r *gossipRecorder) topics() (map[string]bool, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	seen, msgs := map[string]bool{}, 0
	for _, rpc := range r.rpcs {
		for _, t := range rpcTopics(rpc) {
			seen[t] = true
		}
		msgs += len(rpc.Publish)
	}
	return seen, msgs
}

// rpcTopics are the topics an RPC names anywhere.
func rpcTopics(rpc *pb.RPC) []string {
	var out []string
	for _, s := range rpc.Subscriptions {
		out = append(out, s.GetTopicid())
	}
	for _, m := range rpc.Publish {
		out = append(out, m.GetTopic())
	}
	c := rpc.GetControl()
	for _, x := range c.GetIhave() {
		out = append(out, x.GetTopicID())
	}
	for _, x := range c.GetGraft() {
		out = append(out, x.GetTopicID())
	}
	for _, x := range c.GetPrune() {
		out = append(out, x.GetTopicID())
	}
	if rpc.Partial != nil {
		out = append(out, rpc.Partial.GetTopicID())
	}
	return out
}

// TestStrangerLearnsNoTopics: a node without the key that connects to a
// member — and even subscribes to the meeting's topic names, as if it had
// learnt them elsewhere — is told no topic name, no presence, no chat, while
// a member beside it hears all of them.
func TestStrangerLearnsNoTopics(t *testing.T) {
	a, b, id, _ := twoMembers(t)
	am, _ := a.meeting(id)

	x := newStranger(t, a)
	rec := &gossipRecorder{}
	x.SetStreamHandlerMatch("/meshsub/1.1.0", func(p protocol.ID) bool { return strings.HasPrefix(string(p), "/meshsub/") }, rec.handle)
	// Ask for the meeting's topics by name, on a stream of its own.
	s, err := x.NewStream(context.Background(), a.self, "/meshsub/1.1.0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Reset()
	var sub pb.RPC
	for _, kind := range []string{kindControl, kindChat, kindPresence} {
		sub.Subscriptions = append(sub.Subscriptions, &pb.RPC_SubOpts{Topicid: proto.String(topicName(am.keys, kind)), Subscribe: proto.Bool(true)})
	}
	raw, _ := proto.Marshal(&sub)
	if _, err := s.Write(append(binary.AppendUvarint(nil, uint64(len(raw))), raw...)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "alice opens her gossip stream to the stranger", func() error {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		if rec.streams == 0 {
			return errNot("no stream")
		}
		return nil
	})
	// Three seconds of a live meeting: heartbeats every 300 ms, chat.
	for i := range 10 {
		if _, err := a.PostMessage(context.Background(), id, fmt.Sprintf("secret %d", i)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
	}
	eventually(t, 10*time.Second, "bob, a member, hears the chat", hasMessages(b, id, 10))
	if seen, msgs := rec.topics(); len(seen) > 0 || msgs > 0 {
		t.Fatalf("the stranger heard topics %v and %d messages", seen, msgs)
	}
	if a.hasProved(x.ID(), am.keys.tag) {
		t.Fatal("the stranger counts as proven")
	}
	// The member's view: alice is in every topic's mesh with bob.
	bm, _ := b.meeting(id)
	if len(bm.topics[kindChat].ListPeers()) == 0 {
		t.Fatal("bob sees nobody in the chat topic")
	}
}

// strangerStream opens proto from a stranger to m, sends first and reports
// how many bytes m said before the stream ended.
func strangerStream(t *testing.T, x host.Host, m *Mesh, proto protocol.ID, first []byte) (int, error) {
	t.Helper()
	s, err := x.NewStream(context.Background(), m.self, proto)
	if err != nil {
		return 0, err
	}
	defer s.Reset()
	_ = s.SetDeadline(time.Now().Add(2 * authTimeout))
	if _, err := s.Write(first); err != nil {
		return 0, err
	}
	n, err := io.Copy(io.Discard, s)
	return int(n), err
}

// TestWrongProofRefused: sync, file and signal streams that do not open with
// a proven session, and a challenge answered with a wrong MAC, are refused
// before the node says a byte about any meeting; and a member does not sync
// with a peer that cannot prove the key back.
func TestWrongProofRefused(t *testing.T) {
	a, b, id, _ := twoMembers(t)
	am, _ := a.meeting(id)
	x := newStranger(t, a)

	sid := make([]byte, sessionLen)
	_, _ = rand.Read(sid)
	oldHello := fmt.Appendf([]byte{0, 0, 0, 40}, `{"tag":"%s"}`, am.keys.tag)
	for _, proto := range []protocol.ID{syncProtocol, fileProtocol, signalProtocol} {
		for _, first := range [][]byte{sid, oldHello} {
			if n, err := strangerStream(t, x, a, proto, first); n != 0 || err == nil {
				t.Errorf("%s: a stranger got %d bytes (%v)", proto, n, err)
			}
		}
	}
	// A session bob proved is his: the stranger naming it gets nothing.
	bsid, err := b.session(context.Background(), a.self, am.keys)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := strangerStream(t, x, a, syncProtocol, bsid[:]); n != 0 || err == nil {
		t.Errorf("a stranger replaying bob's session got %d bytes (%v)", n, err)
	}
	// The challenge with a MAC of no key: the nonce, then a reset.
	s, err := x.NewStream(context.Background(), a.self, authProtocol)
	if err != nil {
		t.Fatal(err)
	}
	nonce := make([]byte, nonceLen)
	_, _ = s.Write(nonce)
	if _, err := io.ReadFull(s, nonce); err != nil {
		t.Fatal(err)
	}
	_, _ = s.Write(make([]byte, macLen))
	if n, err := io.Copy(io.Discard, s); n != 0 || err == nil {
		t.Fatalf("a wrong proof got %d bytes (%v)", n, err)
	}
	_ = s.Reset()
	if v := testutil.ToFloat64(a.metrics.authRounds.WithLabelValues("responder", "refused")); v < 1 {
		t.Fatal("no refused challenge counted")
	}

	// The other way: a stranger that plays the challenge and answers with a
	// made-up MAC is not taken for a member, and alice opens no sync to it.
	var opened sync.Mutex
	syncOpened := false
	x = newStranger(t, a, func(x host.Host) {
		x.SetStreamHandler(authProtocol, func(s network.Stream) {
			defer s.Close()
			buf := make([]byte, nonceLen)
			_, _ = io.ReadFull(s, buf)
			_, _ = s.Write(buf)
			_, _ = io.ReadFull(s, buf)
			_, _ = s.Write(buf) // a MAC it cannot make
		})
		x.SetStreamHandler(syncProtocol, func(s network.Stream) {
			opened.Lock()
			syncOpened = true
			opened.Unlock()
			_ = s.Reset()
		})
	})
	if err := a.syncWith(context.Background(), x.ID(), am); !errors.Is(err, errNotProven) {
		t.Fatalf("sync with a peer that proved nothing: %v", err)
	}
	opened.Lock()
	defer opened.Unlock()
	if syncOpened || a.hasProved(x.ID(), am.keys.tag) {
		t.Fatal("alice took the stranger's answer for a proof")
	}
}

// heapMB is the live heap after a collection.
func heapMB() float64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapInuse) / (1 << 20)
}

// TestStreamAttacksStayBounded (row 6): a stranger opens 40 sync, 40 file
// and 40 challenge streams announcing 16 MiB frames or saying nothing; a
// member opens sync streams with its real session announcing frames beyond
// the bound and holding streams open. The node's heap stays within a bound,
// every held stream is closed within its deadline, and the node keeps
// serving: a new member joins and catches up, chat flows.
func TestStreamAttacksStayBounded(t *testing.T) {
	short := func(m *Mesh) { m.frameIdle = time.Second }
	a, b, id, link := twoMembers(t, short) // b plays mallory
	for i := range 20 {
		if _, err := a.PostMessage(context.Background(), id, fmt.Sprintf("before %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	before := heapMB()

	x := newStranger(t, a)
	announce16 := make([]byte, 4+1024)
	binary.BigEndian.PutUint32(announce16, 16<<20)
	var held []network.Stream
	var mu sync.Mutex
	var wg sync.WaitGroup
	open := func(h host.Host, proto protocol.ID, first []byte) {
		defer wg.Done()
		s, err := h.NewStream(context.Background(), a.self, proto)
		if err != nil {
			return
		}
		_, _ = s.Write(first)
		mu.Lock()
		held = append(held, s)
		mu.Unlock()
	}
	sid := make([]byte, sessionLen)
	_, _ = rand.Read(sid)
	for range 40 {
		wg.Add(3)
		go open(x, syncProtocol, append(sid, announce16...))
		go open(x, fileProtocol, append(sid, announce16...))
		go open(x, authProtocol, nil) // says nothing
	}
	// The member: its own session, then a frame beyond the bound; a round
	// that sends batch after batch of junk; a frame announced and never sent.
	bm, _ := b.meeting(id)
	junk := []byte(`"` + strings.Repeat("x", 60<<10) + `"`)
	var batch syncBatch
	for range chunkBytes / len(junk) {
		batch.Events = append(batch.Events, junk)
	}
	for i := range 12 {
		s, err := b.openSession(context.Background(), a.self, bm.keys, syncProtocol)
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		held = append(held, s)
		mu.Unlock()
		switch i % 3 {
		case 0:
			_, _ = s.Write(announce16)
		case 1:
			wg.Add(1)
			go func() {
				defer wg.Done()
				_ = s.SetWriteDeadline(time.Now().Add(10 * time.Second))
				if writeSealed(s, bm.keys, syncDigest{Buckets: map[int64]bucket{}}) != nil {
					return
				}
				for range 64 {
					if writeSealed(s, bm.keys, batch) != nil {
						return
					}
				}
			}()
		case 2:
			_, _ = s.Write(binary.BigEndian.AppendUint32(nil, maxFrame-1))
		}
	}

	wg.Wait()
	// Meanwhile the node serves its user: a newcomer joins and catches up,
	// chat reaches the member.
	c := startMesh(t, testConfig(t, "carol", a))
	if _, err := c.Join(context.Background(), link); err != nil {
		t.Fatalf("join under attack: %v", err)
	}
	eventually(t, 15*time.Second, "the newcomer catches up under attack", hasMessages(c, id, 20))
	if _, err := a.PostMessage(context.Background(), id, "still here"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "chat under attack", hasMessages(b, id, 21))
	during := heapMB()
	t.Logf("heap %.0f → %.0f MB (three nodes in this process)", before, during)
	if during-before > 64 {
		t.Fatalf("heap grew by %.0f MB under attack", during-before)
	}
	// Every held stream is closed by the node within its deadline.
	deadline := time.Now().Add(authTimeout + 2*time.Second)
	mu.Lock()
	defer mu.Unlock()
	for _, s := range held {
		_ = s.SetReadDeadline(deadline)
		if _, err := io.Copy(io.Discard, s); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("%s stream still open after its deadline (%v)", s.Protocol(), err)
		}
		_ = s.Reset()
	}
	if testutil.ToFloat64(a.metrics.refused.WithLabelValues("sync")) == 0 {
		t.Fatal("no sync stream refused by the per-peer cap")
	}
}

// TestSyncRoundBeyondBoundsCut: a member whose round goes on past roundBytes
// is cut off, and what it sent is not taken.
func TestSyncRoundBeyondBoundsCut(t *testing.T) {
	a, b, id, _ := twoMembers(t) // b plays mallory
	bm, _ := b.meeting(id)
	// Mallory's own rounds may fill her two at once for a moment: retry.
	var s network.Stream
	eventually(t, 20*time.Second, "a round opens", func() error {
		var err error
		if s, err = b.openSession(context.Background(), a.self, bm.keys, syncProtocol); err != nil {
			return err
		}
		_ = s.SetDeadline(time.Now().Add(20 * time.Second))
		var offer syncOffer
		if err = writeSealed(s, bm.keys, syncDigest{Buckets: map[int64]bucket{}}); err == nil {
			err = readSealed(s, bm.keys, &offer)
		}
		if err != nil {
			_ = s.Reset()
		}
		return err
	})
	defer s.Reset()
	junk := []byte(`"` + strings.Repeat("x", 60<<10) + `"`)
	before := testutil.ToFloat64(a.metrics.syncRounds.WithLabelValues("responder", "error"))
	var werr error
	for i := 0; i < 2*roundBytes/chunkBytes && werr == nil; i++ {
		batch := syncBatch{}
		for range chunkBytes / len(junk) {
			batch.Events = append(batch.Events, junk)
		}
		werr = writeSealed(s, bm.keys, batch)
	}
	if werr == nil {
		t.Fatal("alice read a round twice the bound")
	}
	eventually(t, 10*time.Second, "the round is cut", func() error {
		if testutil.ToFloat64(a.metrics.syncRounds.WithLabelValues("responder", "error")) == before {
			return errNot("round not ended")
		}
		return nil
	})
}

// TestThrowawayFloodBySync (row 6): a member holding 20,000 events of
// throwaway identities syncs them to a node: each round brings at most
// roundEvents, the node's heap stays bounded, and it keeps serving.
func TestThrowawayFloodBySync(t *testing.T) {
	a, b, id, _ := twoMembers(t) // b plays mallory
	bm, _ := b.meeting(id)
	throwaway(t, b, bm, 20_000)
	am, _ := a.meeting(id)
	count := func() int {
		am.mu.Lock()
		defer am.mu.Unlock()
		return len(am.log.Events())
	}
	before, heap0 := count(), heapMB()
	if err := a.syncWith(context.Background(), b.self, am); err != nil {
		t.Fatal(err)
	}
	if got := count() - before; got > roundEvents {
		t.Fatalf("one round took %d events", got)
	}
	if _, err := a.PostMessage(context.Background(), id, "still serving"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "chat reaches mallory", hasText(b, id, "still serving"))
	t.Logf("one round took %d of 20,000 events; heap %.0f → %.0f MB", count()-before, heap0, heapMB())
	if heapMB()-heap0 > 150 {
		t.Fatalf("heap grew by %.0f MB", heapMB()-heap0)
	}
}

// TestReconnectProvesEveryMeeting: two nodes sharing more meetings than
// challenges run at once prove every one of them again after they
// reconnect, so all their topics flow.
func TestReconnectProvesEveryMeeting(t *testing.T) {
	a := startMesh(t, testConfig(t, "alice"))
	b := startMesh(t, testConfig(t, "bob", a))
	var tags []string
	for range 2 * maxAuthPerPeer {
		id, _ := meetingOf(t, a, b)
		am, _ := a.meeting(id)
		tags = append(tags, am.keys.tag)
	}
	allProven := func() error {
		for _, tag := range tags {
			if !a.hasProved(b.self, tag) || !b.hasProved(a.self, tag) {
				return errNot("not every meeting proven")
			}
		}
		return nil
	}
	eventually(t, 10*time.Second, "every meeting proven", allProven)
	_ = a.host.Network().ClosePeer(b.self)
	eventually(t, 5*time.Second, "sessions forgotten on disconnect", func() error {
		if len(a.provenTags(b.self)) > 0 && a.host.Network().Connectedness(b.self) != network.Connected {
			return errNot("still proven while disconnected")
		}
		return nil
	})
	eventually(t, 15*time.Second, "every meeting proven after reconnecting", allProven)
}

// hasText says whether a chat message with text is in m's history of the meeting.
func hasText(m *Mesh, id, text string) func() error {
	return func() error {
		ms, _ := m.Messages(id, "", 0)
		for _, msg := range ms {
			if msg.Text == text {
				return nil
			}
		}
		return fmt.Errorf("no message %q yet", text)
	}
}

// throwaway puts n chat events in m's copy of mt (in memory only), as a
// malicious member would: from a hundred throwaway identities, each of which
// joins and leaves first (the log holds events only of authors whose join it
// holds; leaving, they take no seat), each event naming the one before.
func throwaway(t testing.TB, m *Mesh, mt *meeting, n int) {
	mt.mu.Lock()
	prev := mt.log.Heads()
	mt.mu.Unlock()
	type author struct {
		k  crypto.PrivKey
		id peer.ID
	}
	var authors []author
	evs := make([]*Event, 0, n+200)
	add := func(a author, typ string, body []byte) {
		ev := &Event{Type: typ, Meeting: mt.id, Author: a.id, HLC: m.clock.Now(), Prev: prev, Body: body}
		if err := eventlog.Sign(ev, a.k); err != nil {
			t.Fatal(err)
		}
		evs, prev = append(evs, ev), []string{ev.ID}
	}
	for i := range 100 {
		k, id := fuzzKey(t)
		authors = append(authors, author{k, id})
		add(authors[i], TypeJoin, []byte(`{"name":"junk"}`))
		add(authors[i], TypeLeave, nil)
	}
	for i := range n {
		add(authors[i%len(authors)], TypeChat, chatBodyOf(fmt.Sprintf("junk %d", i)))
	}
	mt.mu.Lock()
	mt.addLocked(evs)
	mt.mu.Unlock()
}
