package mesh

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"golang.org/x/time/rate"
)

// NoticeReaction is the live notice of a reaction; its Data is a Reaction.
const NoticeReaction = "reaction"

// Reactions are the emoji a reaction may be.
var Reactions = []string{"👍", "👏", "😂", "🎉", "❤️", "😮"}

// Reaction is an emoji a participant showed the meeting. It rides on one
// presence heartbeat: pages show it at once, and nothing keeps it.
type Reaction struct {
	Meeting string
	Peer    string
	Emoji   string
}

// A participant may react reactionBurst times at once and then
// reactionRate times a second; a peer over twice that is not shown.
const (
	reactionRate  = rate.Limit(2)
	reactionBurst = 5
)

var (
	// ErrRateLimited: too many reactions; nothing was sent.
	ErrRateLimited = errors.New("too many reactions; wait a moment")
	// ErrBadReaction: not one of Reactions.
	ErrBadReaction = errors.New("not one of the reactions offered (" + strings.Join(Reactions, " ") + ")")
)

// React shows emoji to everyone in the meeting, this node's pages included.
func (m *Mesh) React(ctx context.Context, id, emoji string) error {
	if !slices.Contains(Reactions, emoji) {
		return ErrBadReaction
	}
	mt, err := m.known(id)
	if err != nil {
		return err
	}
	mt.mu.Lock()
	me := mt.st().Members[m.self]
	if me == nil || !me.Present() || mt.st().Ended(time.Now()) {
		mt.mu.Unlock()
		return fmt.Errorf("%w: join the meeting first", ErrConflict)
	}
	if !mt.reactLimit(m.self, 1).Allow() {
		mt.mu.Unlock()
		return ErrRateLimited
	}
	mt.publishLocked(Notice{NoticeReaction, Reaction{Meeting: mt.id, Peer: m.self.String(), Emoji: emoji}})
	mt.mu.Unlock()
	m.sendPresence(ctx, mt, emoji)
	return nil
}

// reactionHeardLocked shows a reaction that came in a heartbeat from a
// present member, within twice the sender's own limit.
func (mt *meeting) reactionHeardLocked(hb *heartbeat) {
	if hb.Reaction == "" || !mt.reactLimit(hb.Peer, 2).Allow() {
		return
	}
	mt.publishLocked(Notice{NoticeReaction, Reaction{Meeting: mt.id, Peer: hb.Peer.String(), Emoji: hb.Reaction}})
}

// reactLimit is p's reaction bucket in the meeting (mt.mu held).
func (mt *meeting) reactLimit(p peer.ID, slack int) *rate.Limiter {
	if mt.reactions == nil {
		mt.reactions = map[peer.ID]*rate.Limiter{}
	}
	l := mt.reactions[p]
	if l == nil {
		l = rate.NewLimiter(reactionRate*rate.Limit(slack), reactionBurst*slack)
		mt.reactions[p] = l
	}
	return l
}
