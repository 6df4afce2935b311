package node

import (
	"context"
	"time"
)

// retentionInterval is how often expired meetings are looked for.
const retentionInterval = time.Hour

func (n *Node) now() time.Time {
	if n.cfg.Now != nil {
		return n.cfg.Now()
	}
	return time.Now()
}

// retain deletes expired meetings at start and then every interval.
func (n *Node) retain(ctx context.Context) {
	t := time.NewTicker(retentionInterval)
	defer t.Stop()
	for {
		n.SweepRetention(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// SweepRetention deletes every meeting older than Config.RetentionDays:
// its last logged activity and its scheduled time (if any) both lie before
// the cutoff. It returns the IDs deleted; with no retention set it does
// nothing.
func (n *Node) SweepRetention(ctx context.Context) []string {
	if n.cfg.RetentionDays <= 0 {
		return nil
	}
	cutoff := n.now().AddDate(0, 0, -n.cfg.RetentionDays)
	vs, err := n.mesh.Meetings()
	if err != nil {
		return nil
	}
	var deleted []string
	for _, v := range vs {
		last, err := n.mesh.LastActivity(v.ID)
		if err != nil || !last.Before(cutoff) || v.ScheduledTime != nil && !v.ScheduledTime.Before(cutoff) {
			continue
		}
		if err := n.DeleteMeeting(ctx, v.ID); err != nil {
			n.log.Warn("cannot delete an expired meeting", "meeting", v.ID, "err", err)
			continue
		}
		deleted = append(deleted, v.ID)
	}
	return deleted
}
