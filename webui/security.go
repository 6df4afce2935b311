package webui

import (
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"meshmeet/webui/api"
)

// legacyCookie is the cookie that carried the API token to the browser app
// before the token moved to the page's own storage. It is no longer read; the
// pages expire it where a browser still holds it.
const legacyCookie = "meshmeet_token"

// secure wraps the whole mux: loopback Host check and security headers on
// every request. Credentials, Origin and rate limits are per route (see
// requireAuth), as the pages and scripts need none.
func (s *Server) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		if !isLoopbackHost(r.Host) {
			s.writeError(w, r, api.ErrForbidden.With("this API only answers requests addressed to 127.0.0.1, localhost or [::1]"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// requireAuth guards the API and the metrics: a present Origin must be this
// very loopback origin, and the request must carry the API token in its
// Authorization header. No cookie opens anything: cookies are not bound to a
// port, so any program on another port of 127.0.0.1 would receive them.
func (s *Server) requireAuth(next http.HandlerFunc) http.HandlerFunc {
	return s.guard(next, false)
}

// requireAuthOrTicket is requireAuth for the routes a browser reaches without
// a header (downloads, the events WebSocket): a ticket minted for exactly this
// URL (see tickets.go) stands in for the header.
func (s *Server) requireAuthOrTicket(next http.HandlerFunc) http.HandlerFunc {
	return s.guard(next, true)
}

func (s *Server) guard(next http.HandlerFunc, ticketOK bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if origin := r.Header.Get("Origin"); origin != "" && !sameLoopbackOrigin(origin, r.Host) {
			s.refuse(w, r, api.ErrForbidden.With("requests from other web sites are not allowed"))
			return
		}
		ok := s.bearerValid(r)
		if !ok && ticketOK && r.Header.Get("Authorization") == "" {
			ok = s.tickets.redeem(r)
		}
		if !ok {
			s.refuse(w, r, api.ErrUnauthorized.With("%s", "missing or wrong API token: send 'Authorization: Bearer <token>' with the token from the node's api-token file, or open the login address the node printed"))
			return
		}
		if !s.limits.token.Allow() {
			s.writeError(w, r, api.ErrRateLimited)
			return
		}
		next(w, r)
	}
}

// optionalAuth is for the readiness probe, which answers anyone: with the
// token it counts in the token's bucket, without it in the strangers' bucket.
func (s *Server) optionalAuth(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		lim := s.limits.anon
		if s.bearerValid(r) {
			lim = s.limits.token
		}
		if !lim.Allow() {
			s.writeError(w, r, api.ErrRateLimited)
			return
		}
		next(w, r)
	}
}

// refuse answers a request without a valid credential with err, or with 429
// once the strangers' bucket is empty; it never touches the token's bucket.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, err error) {
	if !s.limits.anon.Allow() {
		err = api.ErrRateLimited
	}
	s.writeError(w, r, err)
}

// bearerValid reports whether r carries the API token as a bearer token.
func (s *Server) bearerValid(r *http.Request) bool {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	return ok && strings.EqualFold(scheme, "Bearer") && s.tokenEqual(strings.TrimSpace(tok))
}

func (s *Server) tokenEqual(tok string) bool {
	return subtle.ConstantTimeCompare([]byte(tok), []byte(s.cfg.Token)) == 1
}

// loginParam is the fragment parameter of the login address (Server.LoginURL).
const loginParam = "token"

// LoginURL is the address that logs a browser in: the node prints it at start.
// The token rides in the #fragment, which the browser never sends: the page
// moves it into its own origin's storage and removes it from the address bar.
func (s *Server) LoginURL() string {
	return s.URL() + "/#" + loginParam + "=" + url.QueryEscape(s.cfg.Token)
}

// splitHost splits "host[:port]" and strips IPv6 brackets; ok is false when malformed.
func splitHost(hostport string) (host string, ok bool) {
	if hostport == "" {
		return "", false
	}
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h, true
	}
	if strings.HasPrefix(hostport, "[") && strings.HasSuffix(hostport, "]") {
		return hostport[1 : len(hostport)-1], true
	}
	if strings.Contains(hostport, ":") {
		return "", false
	}
	return hostport, true
}

// loopbackListen refuses a listen address that is not on loopback: the UI and API hold
// every meeting's keys and history, and only this machine's user may reach them.
func loopbackListen(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("webui: the UI address %q is not HOST:PORT: %w", addr, err)
	}
	if ip := net.ParseIP(host); (ip != nil && ip.IsLoopback()) || strings.EqualFold(host, "localhost") {
		return nil
	}
	return fmt.Errorf("webui: the UI address %q is not on loopback: the UI holds every meeting's keys and history, so it only listens on 127.0.0.1, [::1] or localhost (for example --ui 127.0.0.1:7700)", addr)
}

// isLoopbackHost reports whether a Host header names this machine by a loopback name.
func isLoopbackHost(hostport string) bool {
	host, ok := splitHost(hostport)
	if !ok {
		return false
	}
	switch strings.ToLower(host) {
	case "127.0.0.1", "localhost", "::1":
		return true
	}
	return false
}

// sameLoopbackOrigin reports whether origin is http://<host> for the request's loopback Host.
func sameLoopbackOrigin(origin, host string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Scheme != "http" || u.User != nil || (u.Path != "" && u.Path != "/") ||
		u.RawQuery != "" || u.Fragment != "" {
		return false
	}
	return isLoopbackHost(u.Host) && strings.EqualFold(u.Host, host)
}
