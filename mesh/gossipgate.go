package mesh

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"sync"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"google.golang.org/protobuf/proto"
)

// GossipSub tells every peer it connects to the topics it subscribes to (its
// hello and every later announcement), and a meeting's topic names are
// derived from its key: announced to everyone, they would tell a stranger
// which meetings this node is in, and its gossip who is present and when
// people write. So a meeting's topics are spoken of only with peers that
// proved its key (see challenge.go):
//
//   - the PeerFilter keeps unproven peers out of a topic's mesh, fanout,
//     flood publishing and gossip;
//   - every RPC this node writes to a peer passes through gossipOut, which
//     drops the subscriptions, messages and control entries (IHAVE, GRAFT,
//     PRUNE) of topics the peer has not proved — GossipSub's hello and its
//     announcements go to every peer, and nothing in it filters them;
//   - when a peer proves a key, this node announces its topics of that key
//     to it then (announceTopics);
//   - the validators ignore messages forwarded by unproven peers.
//
// A peer that proved nothing receives empty RPCs.

// topicTag is the key tag in one of this node's topic names.
func topicTag(topic string) (string, bool) {
	rest, ok := strings.CutPrefix(topic, string(topicPrefix))
	if !ok {
		return "", false
	}
	tag, _, ok := strings.Cut(rest, "/")
	return tag, ok && tag != ""
}

// gossipAllowed says whether topic may be spoken of with p.
func (m *Mesh) gossipAllowed(p peer.ID, topic string) bool {
	tag, ok := topicTag(topic)
	return ok && m.hasProved(p, tag)
}

// gossipHost is the host GossipSub sees: its outgoing streams are filtered.
type gossipHost struct {
	host.Host
	m *Mesh
}

func (h gossipHost) NewStream(ctx context.Context, p peer.ID, pids ...protocol.ID) (network.Stream, error) {
	s, err := h.Host.NewStream(ctx, p, pids...)
	if err != nil {
		return nil, err
	}
	g := &gossipOut{Stream: s, m: h.m, peer: p}
	h.m.gossip.add(g)
	return g, nil
}

// gossipOuts are the outgoing GossipSub streams, by peer.
type gossipOuts struct {
	mu    sync.Mutex
	peers map[peer.ID]map[*gossipOut]bool
}

func (o *gossipOuts) add(g *gossipOut) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.peers == nil {
		o.peers = map[peer.ID]map[*gossipOut]bool{}
	}
	if o.peers[g.peer] == nil {
		o.peers[g.peer] = map[*gossipOut]bool{}
	}
	o.peers[g.peer][g] = true
}

func (o *gossipOuts) remove(g *gossipOut) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.peers[g.peer], g)
	if len(o.peers[g.peer]) == 0 {
		delete(o.peers, g.peer)
	}
}

func (o *gossipOuts) of(p peer.ID) []*gossipOut {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]*gossipOut, 0, len(o.peers[p]))
	for g := range o.peers[p] {
		out = append(out, g)
	}
	return out
}

// gossipOut is one outgoing GossipSub stream. GossipSub writes each RPC,
// length-prefixed, in one Write.
type gossipOut struct {
	network.Stream
	m    *Mesh
	peer peer.ID
	mu   sync.Mutex // one RPC at a time: GossipSub's and announceTopics'
}

var errPartialRPC = errors.New("gossip write is not one whole RPC")

func (g *gossipOut) Write(b []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	out, err := filterRPC(b, func(tag string) bool { return g.m.hasProved(g.peer, tag) })
	if err != nil {
		return 0, err
	}
	if len(out) > 0 {
		if _, err := g.Stream.Write(out); err != nil {
			return 0, err
		}
	}
	return len(b), nil
}

func (g *gossipOut) Close() error {
	g.m.gossip.remove(g)
	return g.Stream.Close()
}

func (g *gossipOut) Reset() error {
	g.m.gossip.remove(g)
	return g.Stream.Reset()
}

// announce writes subscriptions to topics on the stream.
func (g *gossipOut) announce(topics []string) error {
	var rpc pb.RPC
	for _, t := range topics {
		rpc.Subscriptions = append(rpc.Subscriptions, &pb.RPC_SubOpts{Topicid: proto.String(t), Subscribe: proto.Bool(true)})
	}
	b, err := proto.Marshal(&rpc)
	if err != nil {
		return err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	_, err = g.Stream.Write(append(binary.AppendUvarint(nil, uint64(len(b))), b...))
	return err
}

// announceTopics tells p, which just proved the key with this tag, which of
// its topics this node subscribes to.
func (m *Mesh) announceTopics(p peer.ID, tag string) {
	outs := m.gossip.of(p)
	if len(outs) == 0 || m.ps == nil {
		return // the hello GossipSub sends on its stream to p will carry them
	}
	var topics []string
	for _, t := range m.ps.GetTopics() {
		if tt, ok := topicTag(t); ok && tt == tag {
			topics = append(topics, t)
		}
	}
	if len(topics) == 0 {
		return
	}
	for _, g := range outs {
		if err := g.announce(topics); err != nil {
			_ = g.Reset()
		}
	}
}

// filterRPC keeps of one length-prefixed GossipSub RPC what concerns this
// node's topics whose tags allowedTag accepts; nil when nothing is left.
func filterRPC(b []byte, allowedTag func(tag string) bool) ([]byte, error) {
	size, n := binary.Uvarint(b)
	if n <= 0 || size != uint64(len(b)-n) {
		return nil, errPartialRPC
	}
	if onlyAllowedTags(b[n:], allowedTag) {
		return b, nil
	}
	allowed := func(topic string) bool {
		tag, ok := topicTag(topic)
		return ok && allowedTag(tag)
	}
	var rpc pb.RPC
	if err := proto.Unmarshal(b[n:], &rpc); err != nil {
		return nil, err
	}
	dropped := false
	keep := func(topic string) bool {
		ok := allowed(topic)
		dropped = dropped || !ok
		return ok
	}
	rpc.Subscriptions = filterTopics(rpc.Subscriptions, func(s *pb.RPC_SubOpts) bool { return keep(s.GetTopicid()) })
	rpc.Publish = filterTopics(rpc.Publish, func(msg *pb.Message) bool { return keep(msg.GetTopic()) })
	if c := rpc.Control; c != nil {
		c.Ihave = filterTopics(c.Ihave, func(x *pb.ControlIHave) bool { return keep(x.GetTopicID()) })
		c.Graft = filterTopics(c.Graft, func(x *pb.ControlGraft) bool { return keep(x.GetTopicID()) })
		c.Prune = filterTopics(c.Prune, func(x *pb.ControlPrune) bool { return keep(x.GetTopicID()) })
	}
	if rpc.Partial != nil && !keep(rpc.Partial.GetTopicID()) {
		rpc.Partial = nil
	}
	if !dropped {
		return b, nil
	}
	if c := rpc.Control; c != nil && proto.Size(c) == 0 {
		rpc.Control = nil
	}
	if proto.Size(&rpc) == 0 {
		return nil, nil
	}
	out, err := proto.Marshal(&rpc)
	if err != nil {
		return nil, err
	}
	return append(binary.AppendUvarint(nil, uint64(len(out))), out...), nil
}

// onlyAllowedTags is the fast path of filterRPC, for the common RPC that
// concerns only meetings the peer proved: true when every place the bytes
// name one of this node's topics ("meshmeet/1/<tag>/", a protobuf string is
// stored as is) has a tag allowedTag accepts. It may say false for an RPC
// the full filter would pass unchanged (sealed data that happens to hold
// the prefix), never true for one it would change — other than for topic
// names that are not this node's, which it sends only back to the peer that
// named them (a PRUNE answering a GRAFT).
func onlyAllowedTags(b []byte, allowedTag func(tag string) bool) bool {
	for {
		i := bytes.Index(b, topicPrefix)
		if i < 0 {
			return true
		}
		b = b[i+len(topicPrefix):]
		end := bytes.IndexByte(b[:min(len(b), maxTagLen+1)], '/')
		if end <= 0 || !allowedTag(string(b[:end])) {
			return false
		}
	}
}

var topicPrefix = []byte("meshmeet/1/")

// maxTagLen bounds the tags onlyAllowedTags reads (they are 32 hex digits).
const maxTagLen = 64

func filterTopics[T any](in []T, keep func(T) bool) []T {
	out := in[:0]
	for _, x := range in {
		if keep(x) {
			out = append(out, x)
		}
	}
	return out
}

// gossipPeerFilter is GossipSub's PeerFilter: which peers it may pick for a
// topic's mesh, fanout, flood and gossip.
func (m *Mesh) gossipPeerFilter() pubsub.Option {
	return pubsub.WithPeerFilter(func(p peer.ID, topic string) bool { return m.gossipAllowed(p, topic) })
}
