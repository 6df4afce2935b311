package node

import (
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"meshmeet/mesh"
)

// unfold undoes RFC 5545 line folding and checks the wire form: CRLF line ends, no line
// longer than 75 octets.
func unfold(t *testing.T, ics string) []string {
	t.Helper()
	if !strings.HasSuffix(ics, "\r\n") {
		t.Fatal("calendar does not end in CRLF")
	}
	var out []string
	for _, l := range strings.Split(strings.TrimSuffix(ics, "\r\n"), "\r\n") {
		if len(l) > 75 {
			t.Fatalf("line of %d octets: %q", len(l), l)
		}
		if strings.Contains(l, "\n") {
			t.Fatalf("bare LF in %q", l)
		}
		if strings.HasPrefix(l, " ") {
			out[len(out)-1] += l[1:]
			continue
		}
		out = append(out, l)
	}
	return out
}

func TestCalendarICS(t *testing.T) {
	at := time.Date(2026, 12, 1, 9, 30, 0, 0, time.FixedZone("CET", 3600))
	v := mesh.MeetingView{ID: "0123456789abcdef0123456789abcdef", Title: `Plan; budget, Q1 \ draft`,
		Description:   strings.Repeat("Überprüfung der Zahlen. ", 8) + "\nsecond line",
		ScheduledTime: &at, Duration: 45, Status: mesh.StatusScheduled}
	link := "http://127.0.0.1:7700/m/0123456789abcdef0123456789abcdef#k=" + strings.Repeat("x", 43)
	lines := unfold(t, string(calendarICS(v, link, time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC))))
	want := map[string]string{
		"UID":      v.ID + "@meshmeet",
		"DTSTART":  "20261201T083000Z",
		"DTSTAMP":  "20261127T120000Z",
		"DURATION": "PT45M",
		"SUMMARY":  `Plan\; budget\, Q1 \\ draft`,
		"URL":      link,
	}
	got := map[string]string{}
	for _, l := range lines {
		k, val, _ := strings.Cut(l, ":")
		got[k] = val
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %q, want %q", k, got[k], w)
		}
	}
	if d := got["DESCRIPTION"]; !strings.HasPrefix(d, "Überprüfung") || !strings.Contains(d, `\nsecond line\n\nJoin: `+link) {
		t.Errorf("DESCRIPTION = %q", d)
	}
	if lines[0] != "BEGIN:VCALENDAR" || lines[len(lines)-1] != "END:VCALENDAR" || got["STATUS"] != "" {
		t.Errorf("calendar frame: %q … %q, status %q", lines[0], lines[len(lines)-1], got["STATUS"])
	}
	v.Status = mesh.StatusEnded
	if !strings.Contains(string(calendarICS(v, link, time.Now())), "STATUS:CANCELLED\r\n") {
		t.Error("an ended meeting is not cancelled")
	}
}

// TestCalendarEndpoint: the API serves a meeting's .ics with its join link, to the token only.
func TestCalendarEndpoint(t *testing.T) {
	a := startNode(t, "alice", "")
	m := a.create(t, map[string]any{"title": "Retro", "duration": 30})
	url := a.UIURL() + "/api/meetings/" + m.Meeting.ID + "/calendar.ics"
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+a.c.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/calendar") {
		t.Fatalf("GET calendar.ics = %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	lines := unfold(t, string(body))
	if !slices.Contains(lines, "SUMMARY:Retro") || !slices.Contains(lines, "DURATION:PT30M") || !slices.Contains(lines, "URL:"+m.JoinURL) {
		t.Fatalf("calendar %q", lines)
	}
	resp, err = http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("calendar without token = %d, want 401", resp.StatusCode)
	}
}
