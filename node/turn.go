package node

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/pion/webrtc/v4"

	"meshmeet/rendezvous"
)

// turnRetry is the wait after a failed request for TURN credentials.
const turnRetry = 30 * time.Second

// renewTURN hands the media engine the TURN relays of the rendezvous servers
// that run one, with fresh credentials, renewed at half their lifetime. Links
// made later use them; without any, media goes direct (or via --ice-server).
func (n *Node) renewTURN(ctx context.Context) {
	n.mu.Lock()
	c := n.rdv
	n.mu.Unlock()
	if c == nil {
		return
	}
	for {
		wait := turnRetry
		ts, err := c.TURN(ctx)
		switch {
		case err == nil:
			servers := make([]webrtc.ICEServer, 0, len(ts))
			pins := map[string]string{}
			soonest := ts[0].Expires
			for _, t := range ts {
				servers = append(servers, webrtc.ICEServer{URLs: t.URLs, Username: t.Username, Credential: t.Credential})
				soonest = minTime(soonest, t.Expires)
				for _, u := range t.URLs {
					if strings.HasPrefix(u, "turns:") && t.TLSPin != "" {
						pins[rendezvous.TURNAddr(u)] = t.TLSPin
					}
				}
			}
			n.media.SetTURNPins(pins)
			n.media.SetICEServers(servers)
			wait = max(time.Until(soonest)/2, turnRetry)
			n.log.Debug("TURN relays from the rendezvous", "count", len(servers), "renew in", wait)
		case errors.Is(err, rendezvous.ErrNoTURN):
			wait = time.Hour // the servers run none; ask now and then
		case ctx.Err() == nil:
			n.log.Debug("no TURN credentials yet", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
