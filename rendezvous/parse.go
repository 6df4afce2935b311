package rendezvous

import (
	"fmt"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// ParseServers parses server multiaddrs, each ending in /p2p/<id>, into
// AddrInfos; addresses of the same server are merged.
func ParseServers(addrs []string) ([]peer.AddrInfo, error) {
	var out []peer.AddrInfo
	index := make(map[peer.ID]int)
	for _, s := range addrs {
		a, err := ma.NewMultiaddr(s)
		if err != nil {
			return nil, fmt.Errorf("parse %q: %w: %w", s, ErrInvalidServerAddr, err)
		}
		ai, err := peer.AddrInfoFromP2pAddr(a)
		if err != nil {
			return nil, fmt.Errorf("parse %q: %w: %w", s, ErrInvalidServerAddr, err)
		}
		if len(ai.Addrs) == 0 {
			return nil, fmt.Errorf("parse %q: %w: no transport address", s, ErrInvalidServerAddr)
		}
		if i, ok := index[ai.ID]; ok {
			out[i].Addrs = mergeAddrs(out[i].Addrs, ai.Addrs)
			continue
		}
		index[ai.ID] = len(out)
		out = append(out, *ai)
	}
	return out, nil
}
