package mesh

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

var meetingIDPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

// FormatJoinLink builds the link a host shares: the secret rides in the
// fragment, which browsers never send to a server.
func FormatJoinLink(base, meetingID string, secret []byte) string {
	return fmt.Sprintf("%s/m/%s#k=%s", strings.TrimRight(base, "/"), meetingID, base64.RawURLEncoding.EncodeToString(secret))
}

// FormatLobbyLink builds the link of a meeting that requires approval: it
// carries only the lobby key; the meeting key is handed over on admission.
func FormatLobbyLink(base, meetingID string, lobbyKey []byte) string {
	return fmt.Sprintf("%s/m/%s#l=%s", strings.TrimRight(base, "/"), meetingID, base64.RawURLEncoding.EncodeToString(lobbyKey))
}

// ParseJoinLink extracts the meeting ID and key from a join link, and
// whether the key is a lobby key. Any host works: each employee opens it
// against their own node.
func ParseJoinLink(link string) (string, []byte, bool, error) {
	if len(link) > 2048 {
		return "", nil, false, fmt.Errorf("%w: join link too long", ErrInvalid)
	}
	u, err := url.Parse(strings.TrimSpace(link))
	if err != nil {
		return "", nil, false, fmt.Errorf("%w: join link is not a URL", ErrInvalid)
	}
	id, ok := strings.CutPrefix(u.Path, "/m/")
	if !ok || !meetingIDPattern.MatchString(id) {
		return "", nil, false, fmt.Errorf("%w: join link has no meeting ID (expected /m/<id>#k=<key>)", ErrInvalid)
	}
	frag, err := url.ParseQuery(u.Fragment)
	lobby := err == nil && frag.Get("l") != "" && frag.Get("k") == ""
	enc := frag.Get("k")
	if lobby {
		enc = frag.Get("l")
	}
	if err != nil || enc == "" {
		return "", nil, false, fmt.Errorf("%w: join link has no meeting key (#k=...)", ErrInvalid)
	}
	key, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || len(key) != secretLen {
		return "", nil, false, fmt.Errorf("%w: join link's meeting key is malformed", ErrInvalid)
	}
	return id, key, lobby, nil
}
