package mesh

import (
	"sync"

	"github.com/libp2p/go-libp2p/core/peer"
)

// peerStrings caches the text form of the peer IDs the views name. peer.ID.String
// encodes base58 on every call, and the views list every participant several times a
// second (the media bridge, the relay loop): in a 50-node load test that encoding was
// 8 % of the CPU. Reset when full, as IDs come and go.
var peerStrings = struct {
	sync.Mutex
	m map[peer.ID]string
}{m: map[peer.ID]string{}}

const peerStringsMax = 4096

// peerString is id.String(), cached.
func peerString(id peer.ID) string {
	peerStrings.Lock()
	defer peerStrings.Unlock()
	s, ok := peerStrings.m[id]
	if !ok {
		if len(peerStrings.m) >= peerStringsMax {
			clear(peerStrings.m)
		}
		s = id.String()
		peerStrings.m[id] = s
	}
	return s
}
