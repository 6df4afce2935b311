package export

import (
	"strconv"
	"strings"
)

// The words of a record, in one place so that a translation is one file.
// {actor}, {target}, {role} and {minutes} are filled in per entry.
var words = map[string]string{
	"title":        "Meeting record: {title}",
	"id":           "Meeting ID",
	"host":         "Host",
	"status":       "Status",
	"created":      "Created",
	"scheduled":    "Scheduled for",
	"ended":        "Ended",
	"duration":     "Planned duration",
	"minutes":      "{n} minutes",
	"exported":     "Exported",
	"by":           "by node",
	"participants": "Participants",
	"joined":       "joined",
	"left":         "left",
	"stillIn":      "still in",
	"chat":         "Chat",
	"noChat":       "No messages.",
	"file":         "file",
	"bytes":        "bytes",
	"activity":     "Activity",
	"name":         "Name",
	"role":         "Role",
	"time":         "Time",
	"what":         "What",
}

var activityWords = map[string]string{
	"created":           "{actor} created the meeting",
	"join":              "{actor} joined",
	"leave":             "{actor} left",
	"role":              "{actor} made {target} {role}",
	"end":               "{actor} ended the meeting",
	"admit":             "{actor} admitted {target}",
	"deny":              "{actor} turned {target} away",
	"remove":            "{actor} removed {target}",
	"mute":              "{actor} asked {target} to mute",
	"recording-started": "{actor} started recording",
	"recording-stopped": "{actor} stopped recording",
	"extend":            "{actor} added {minutes} minutes",
	"update":            "{actor} edited the meeting",
	"rekey":             "{actor} changed the meeting key",
}

// phrase says what an activity entry means; names pass through esc first
// (Markdown or HTML escaping; the template words themselves are safe).
func phrase(a Activity, esc func(string) string) string {
	w, ok := activityWords[a.Type]
	if !ok {
		w = "{actor}: " + esc(a.Type)
	}
	return strings.NewReplacer(
		"{actor}", esc(nameOr(a.ActorName, a.Actor)),
		"{target}", esc(nameOr(a.TargetName, a.Target)),
		"{role}", esc(a.Role),
		"{minutes}", strconv.Itoa(a.Minutes),
	).Replace(w)
}

// nameOr is a claimed name, or the peer ID when there is none.
func nameOr(name, peerID string) string {
	if name != "" {
		return name
	}
	return peerID
}
