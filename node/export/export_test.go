package export

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const hostile = `<script>alert(1)</script> & <img src=x onerror=alert(2)> [link](javascript:alert(3)) **bold** # not a heading`

// sample is a meeting whose every participant-typed field is hostile.
func sample() Record {
	at := func(min int) time.Time { return time.Date(2026, 12, 3, 10, min, 0, 0, time.UTC) }
	left, ended := at(40), at(45)
	alice, bob := "12D3KooWAlice", "12D3KooWBob"
	return Record{
		Meeting: Meeting{ID: "3f2a0000000000000000000000000000", Title: "Weekly <b>sync</b>", Description: "Agenda:\n1. ship\n<i>2</i>",
			Host: alice, HostName: "alice", Status: "ended", CreatedAt: at(0), EndedAt: &ended, Duration: 30},
		Participants: []Participant{
			{PeerID: alice, Name: "alice", Fingerprint: "Alic:e123", Role: "host", JoinedAt: at(1)},
			{PeerID: bob, Name: `bob"><script>x</script>`, Fingerprint: "Bob:456", Role: "moderator", JoinedAt: at(2), LeftAt: &left},
		},
		Chat: []Message{
			{Time: at(3), PeerID: alice, Name: "alice", Text: "hello\nsecond line"},
			{Time: at(4), PeerID: bob, Name: `bob"><script>x</script>`, Text: hostile},
			{Time: at(5), PeerID: bob, Name: "", Text: "", File: &File{Name: `plan<svg onload=alert(4)>.pdf`, Size: 1234, SHA256: strings.Repeat("ab", 32)}},
		},
		Activity: []Activity{
			{Time: at(0), Type: "created", Actor: alice, ActorName: "alice"},
			{Time: at(1), Type: "join", Actor: alice, ActorName: "alice"},
			{Time: at(2), Type: "join", Actor: bob, ActorName: `bob"><script>x</script>`},
			{Time: at(6), Type: "role", Actor: alice, ActorName: "alice", Target: bob, TargetName: `bob"><script>x</script>`, Role: "moderator"},
			{Time: at(7), Type: "extend", Actor: alice, ActorName: "alice", Minutes: 15},
			{Time: at(40), Type: "leave", Actor: bob},
			{Time: at(45), Type: "end", Actor: alice, ActorName: "alice"},
		},
		ExportedAt: at(50), ExportedBy: alice,
	}
}

func TestGolden(t *testing.T) {
	for format := range Formats {
		t.Run(format, func(t *testing.T) {
			got, err := Render(sample(), format)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "record."+format)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Errorf("%s differs from %s (go test ./export -update rewrites it):\n%s", format, path, got)
			}
		})
	}
}

// TestEscaping: no participant text turns into markup in any format.
func TestEscaping(t *testing.T) {
	h, err := Render(sample(), "html")
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script", "<img", "<svg", "<b>sync", "<i>", `bob"`} {
		if strings.Contains(string(h), bad) {
			t.Errorf("the HTML record contains %q", bad)
		}
	}
	if !strings.Contains(string(h), "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("the hostile chat text is missing from the HTML, escaped")
	}
	md, _ := Render(sample(), "md")
	for _, bad := range []string{"<script", "<img", "<svg", "](javascript", "**bold**", "# not"} {
		if regexp.MustCompile(`(^|[^\\])` + regexp.QuoteMeta(bad)).Match(md) {
			t.Errorf("the Markdown record contains %q", bad)
		}
	}
	var back Record
	j, _ := Render(sample(), "json")
	if err := json.Unmarshal(j, &back); err != nil || back.Chat[1].Text != hostile {
		t.Errorf("the JSON record does not keep the text as it is: %v", err)
	}
	if _, err := Render(sample(), "pdf"); !errors.Is(err, ErrFormat) {
		t.Errorf("pdf: %v, want ErrFormat", err)
	}
}
