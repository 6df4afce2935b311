// Package export renders a meeting's record — who took part, the chat
// (with shared files by name and hash) and the activity log — as Markdown,
// HTML or JSON, for archives and for people who were not there.
//
// Everything in a record but the times and peer IDs was typed by some
// participant (titles, names, chat text, file names), so every format
// escapes it: Markdown backslash-escapes punctuation, HTML goes through
// html/template under a CSP that runs no script.
package export

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Record is one meeting as this node knows it.
type Record struct {
	Meeting      Meeting       `json:"meeting"`
	Participants []Participant `json:"participants"`
	Chat         []Message     `json:"chat"`
	Activity     []Activity    `json:"activity"`
	ExportedAt   time.Time     `json:"exportedAt"`
	ExportedBy   string        `json:"exportedBy"` // the peer ID of the node that wrote it
}

// Meeting is the meeting's own record.
type Meeting struct {
	ID            string     `json:"id"`
	Title         string     `json:"title"`
	Description   string     `json:"description,omitempty"`
	Host          string     `json:"host"`
	HostName      string     `json:"hostName"`
	Status        string     `json:"status"`
	CreatedAt     time.Time  `json:"createdAt"`
	ScheduledTime *time.Time `json:"scheduledTime,omitempty"`
	EndedAt       *time.Time `json:"endedAt,omitempty"`
	Duration      int        `json:"duration"` // minutes planned
}

// Participant is one person who joined.
type Participant struct {
	PeerID      string     `json:"peerId"`
	Name        string     `json:"name"`
	Fingerprint string     `json:"fingerprint"`
	Role        string     `json:"role"`
	JoinedAt    time.Time  `json:"joinedAt"`
	LeftAt      *time.Time `json:"leftAt,omitempty"`
}

// Message is one chat message; File is set when it shared a file.
type Message struct {
	Time   time.Time `json:"time"`
	PeerID string    `json:"peerId"`
	Name   string    `json:"name"`
	Text   string    `json:"text"`
	File   *File     `json:"file,omitempty"`
}

// File is a shared file, by name and content hash (the bytes stay on the nodes).
type File struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Activity is one entry of the activity log (joins, leaves, roles, end…).
type Activity struct {
	Time       time.Time `json:"time"`
	Type       string    `json:"type"` // as GET …/audit says: created, join, leave, role, end, admit, deny, remove, mute, recording-started, recording-stopped, extend, update, rekey
	Actor      string    `json:"actor"`
	ActorName  string    `json:"actorName"`
	Target     string    `json:"target,omitempty"`
	TargetName string    `json:"targetName,omitempty"`
	Role       string    `json:"role,omitempty"`
	Minutes    int       `json:"minutes,omitempty"`
}

// Formats are the formats Render writes, with their media types.
var Formats = map[string]string{
	"md":   "text/markdown; charset=utf-8",
	"html": "text/html; charset=utf-8",
	"json": "application/json",
}

// ErrFormat is returned for a format not in Formats.
var ErrFormat = errors.New("unknown export format")

// Render writes the record in one of Formats.
func Render(r Record, format string) ([]byte, error) {
	switch format {
	case "md":
		return markdown(r), nil
	case "html":
		return renderHTML(r)
	case "json":
		b, err := json.MarshalIndent(r, "", "  ")
		return append(b, '\n'), err
	}
	return nil, fmt.Errorf("%w %q: use md, html or json", ErrFormat, format)
}
