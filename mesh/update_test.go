package mesh

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// TestUpdateMeeting: the host edits title, schedule, duration and settings; every node
// shows the edit; nobody else may edit, and approval cannot be switched.
func TestUpdateMeeting(t *testing.T) {
	a := startMesh(t, testConfig(t, "host"))
	b := startMesh(t, testConfig(t, "bob", a))
	id, _ := meetingOf(t, a, b)
	ctx := context.Background()
	v, err := a.UpdateMeeting(ctx, id, []byte(`{"title":"  Weekly sync  ","scheduledTime":"2030-01-02T10:00:00+01:00","duration":45,"settings":{"enableChat":false,"maxParticipants":8}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2030, 1, 2, 9, 0, 0, 0, time.UTC)
	check := func(v MeetingView) error {
		if v.Title != "Weekly sync" || v.Description != "" || v.ScheduledTime == nil || !v.ScheduledTime.Equal(want) ||
			v.Duration != 45 || v.Settings.EnableChat || v.Settings.MaxParticipants != 8 || v.Revision != 1 {
			return fmt.Errorf("view %+v", v)
		}
		return nil
	}
	if err := check(v); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "bob sees the edit", func() error {
		v, err := b.Meeting(id)
		if err != nil {
			return err
		}
		return check(v)
	})
	// The edit takes effect: chat is now off.
	if _, err := b.PostMessage(ctx, id, "hi"); !errors.Is(err, ErrForbidden) {
		t.Fatalf("chat after it was switched off: %v", err)
	}
	for _, tc := range []struct {
		who  *Mesh
		body string
		want error
	}{
		{b, `{"title":"mine now"}`, ErrForbidden},
		{a, `{"settings":{"requireApproval":true}}`, ErrConflict},
		{a, `{"title":"   "}`, ErrInvalid},
		{a, `{"duration":0}`, ErrInvalid},
		{a, `{"lobby":"x"}`, ErrInvalid},
	} {
		if _, err := tc.who.UpdateMeeting(ctx, id, []byte(tc.body)); !errors.Is(err, tc.want) {
			t.Errorf("%s updates %s: %v, want %v", tc.who.cfg.Name, tc.body, err, tc.want)
		}
	}
	audit := func() []AuditEntry {
		am, _ := a.meeting(id)
		am.mu.Lock()
		defer am.mu.Unlock()
		return am.auditLocked()
	}()
	if last := audit[len(audit)-1]; last.Type != TypeUpdate || last.Actor != a.self.String() {
		t.Fatalf("audit ends with %+v", last)
	}
}
