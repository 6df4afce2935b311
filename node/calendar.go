package node

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"meshmeet/mesh"
)

// calendarICS renders a meeting as an iCalendar (RFC 5545) event, for "add to
// calendar": its start (the schedule, else its creation), duration, title, and a
// description ending in the join link, which is also the event's URL. Calendar apps
// then show the link that opens the meeting on each reader's own node.
func calendarICS(v mesh.MeetingView, link string, now time.Time) []byte {
	start := v.CreatedAt
	if v.ScheduledTime != nil {
		start = *v.ScheduledTime
	}
	desc := v.Description
	if link != "" {
		desc = strings.TrimSpace(desc + "\n\nJoin: " + link)
	}
	var b strings.Builder
	line := func(name, value string) { foldLine(&b, name+":"+value) }
	line("BEGIN", "VCALENDAR")
	line("VERSION", "2.0")
	line("PRODID", "-//meshmeet//meshmeet//EN")
	line("METHOD", "PUBLISH")
	line("BEGIN", "VEVENT")
	line("UID", v.ID+"@meshmeet")
	line("DTSTAMP", now.UTC().Format(icsTime))
	line("SEQUENCE", fmt.Sprint(v.Revision)) // calendars replace the event when the host edits it
	line("DTSTART", start.UTC().Format(icsTime))
	line("DURATION", fmt.Sprintf("PT%dM", v.Duration))
	line("SUMMARY", icsText(v.Title))
	if desc != "" {
		line("DESCRIPTION", icsText(desc))
	}
	if link != "" {
		line("URL", link)
	}
	if v.Status == mesh.StatusEnded {
		line("STATUS", "CANCELLED")
	}
	line("END", "VEVENT")
	line("END", "VCALENDAR")
	return []byte(b.String())
}

const icsTime = "20060102T150405Z"

// icsText escapes a TEXT value: backslash, semicolon, comma and newlines.
func icsText(s string) string {
	return strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`).Replace(s)
}

// foldLine writes a content line folded at 75 octets (never inside a UTF-8
// character), each piece ended by CRLF.
func foldLine(b *strings.Builder, l string) {
	limit := 75
	for len(l) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(l[cut]) {
			cut--
		}
		b.WriteString(l[:cut])
		b.WriteString("\r\n ")
		l = l[cut:]
		limit = 74 // the leading space counts
	}
	b.WriteString(l)
	b.WriteString("\r\n")
}
