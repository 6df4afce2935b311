package export

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// mdEscape makes participant text inert in Markdown: every ASCII punctuation
// mark that can start markup (and & for entities, < for raw HTML) is
// backslash-escaped, which CommonMark renders as the mark itself.
func mdEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == '\r' {
			continue
		}
		if strings.ContainsRune("\\`*_{}[]()<>#+-.!|~&", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// mdBlock escapes multi-line text kept inside a list item: hard line breaks
// and the item's indentation.
func mdBlock(s string) string {
	return strings.ReplaceAll(mdEscape(s), "\n", "\\\n  ")
}

func mdTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

func markdown(r Record) []byte {
	var b strings.Builder
	p := func(f string, a ...any) { fmt.Fprintf(&b, f, a...) }
	m := r.Meeting
	p("# %s\n\n", strings.Replace(words["title"], "{title}", mdEscape(m.Title), 1))
	if m.Description != "" {
		p("%s\n\n", mdBlock(m.Description))
	}
	p("- %s: `%s`\n", words["id"], m.ID)
	p("- %s: %s (`%s`)\n", words["host"], mdEscape(nameOr(m.HostName, m.Host)), m.Host)
	p("- %s: %s\n", words["status"], mdEscape(m.Status))
	p("- %s: %s\n", words["created"], mdTime(m.CreatedAt))
	if m.ScheduledTime != nil {
		p("- %s: %s\n", words["scheduled"], mdTime(*m.ScheduledTime))
	}
	if m.EndedAt != nil {
		p("- %s: %s\n", words["ended"], mdTime(*m.EndedAt))
	}
	p("- %s: %s\n", words["duration"], strings.Replace(words["minutes"], "{n}", strconv.Itoa(m.Duration), 1))
	p("- %s: %s %s `%s`\n\n", words["exported"], mdTime(r.ExportedAt), words["by"], r.ExportedBy)

	p("## %s\n\n", words["participants"])
	for _, pt := range r.Participants {
		left := words["stillIn"]
		if pt.LeftAt != nil {
			left = words["left"] + " " + mdTime(*pt.LeftAt)
		}
		p("- %s (`%s`, %s), %s %s, %s\n", mdEscape(pt.Name), pt.Fingerprint, mdEscape(pt.Role), words["joined"], mdTime(pt.JoinedAt), left)
	}

	p("\n## %s\n\n", words["chat"])
	if len(r.Chat) == 0 {
		p("%s\n", words["noChat"])
	}
	for _, c := range r.Chat {
		p("- %s **%s**: %s", mdTime(c.Time), mdEscape(nameOr(c.Name, c.PeerID)), mdBlock(c.Text))
		if c.File != nil {
			if c.Text != "" {
				p("\\\n  ")
			}
			p("%s %s, %d %s, SHA\\-256 `%s`", words["file"], mdEscape(c.File.Name), c.File.Size, words["bytes"], c.File.SHA256)
		}
		p("\n")
	}

	p("\n## %s\n\n", words["activity"])
	for _, a := range r.Activity {
		p("- %s %s\n", mdTime(a.Time), phrase(a, mdEscape))
	}
	return []byte(b.String())
}
