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

// ParseJoinLink extracts the meeting ID and secret from a join link. Any
// host works: each employee opens it against their own node.
func ParseJoinLink(link string) (string, []byte, error) {
	if len(link) > 2048 {
		return "", nil, fmt.Errorf("%w: join link too long", ErrInvalid)
	}
	u, err := url.Parse(strings.TrimSpace(link))
	if err != nil {
		return "", nil, fmt.Errorf("%w: join link is not a URL", ErrInvalid)
	}
	id, ok := strings.CutPrefix(u.Path, "/m/")
	if !ok || !meetingIDPattern.MatchString(id) {
		return "", nil, fmt.Errorf("%w: join link has no meeting ID (expected /m/<id>#k=<key>)", ErrInvalid)
	}
	frag, err := url.ParseQuery(u.Fragment)
	if err != nil || frag.Get("k") == "" {
		return "", nil, fmt.Errorf("%w: join link has no meeting key (#k=...)", ErrInvalid)
	}
	secret, err := base64.RawURLEncoding.DecodeString(frag.Get("k"))
	if err != nil || len(secret) != secretLen {
		return "", nil, fmt.Errorf("%w: join link's meeting key is malformed", ErrInvalid)
	}
	return id, secret, nil
}
