package node

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// APIBase turns what a user gives as --api (a URL such as
// http://127.0.0.1:7700, or just HOST:PORT as --ui takes it) into the base
// URL the client prefixes to API paths.
func APIBase(s string) (string, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "://") {
		if _, _, err := net.SplitHostPort(s); err != nil {
			return "", fmt.Errorf("the API address %q is neither a URL (http://127.0.0.1:7700) nor HOST:PORT (127.0.0.1:7700)", s)
		}
		return "http://" + s, nil
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return "", fmt.Errorf("the API address %q is not an http:// URL with a host (such as http://127.0.0.1:7700)", s)
	}
	return strings.TrimRight(u.Scheme+"://"+u.Host+u.Path, "/"), nil
}
