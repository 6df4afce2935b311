package webui

import (
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// tokenCookie is the cookie that carries the API token to the browser app.
const tokenCookie = "meshmeet_token"

// secure wraps the whole mux: loopback Host check, security headers and the
// per-client rate limit on every request. Token and Origin checks are per
// route (see requireAuth), as the pages, scripts and readiness probe do not
// need them.
func (s *Server) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		if !isLoopbackHost(r.Host) {
			s.writeError(w, r, &apiError{http.StatusForbidden, codeForbidden,
				"this API only answers requests addressed to 127.0.0.1, localhost or [::1]"})
			return
		}
		if !s.limits.allow(clientIP(r)) {
			s.writeError(w, r, &apiError{http.StatusTooManyRequests, codeRateLimited,
				"too many requests; slow down and try again"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// requireAuth guards the API, its WebSocket and the metrics: a present Origin
// must be this very loopback origin, and the API token is required.
func (s *Server) requireAuth(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if origin := r.Header.Get("Origin"); origin != "" && !sameLoopbackOrigin(origin, r.Host) {
			s.writeError(w, r, &apiError{http.StatusForbidden, codeForbidden,
				"requests from other web sites are not allowed"})
			return
		}
		if !s.validToken(r) {
			s.writeError(w, r, &apiError{http.StatusUnauthorized, codeUnauthorized,
				"missing or wrong API token: send 'Authorization: Bearer <token>' with the token from the node's api-token file, or open the login address the node printed"})
			return
		}
		next(w, r)
	}
}

// validToken reports whether r carries the API token as a bearer token or cookie.
func (s *Server) validToken(r *http.Request) bool {
	if auth := r.Header.Get("Authorization"); auth != "" {
		scheme, tok, ok := strings.Cut(auth, " ")
		return ok && strings.EqualFold(scheme, "Bearer") && s.tokenEqual(strings.TrimSpace(tok))
	}
	if c, err := r.Cookie(tokenCookie); err == nil {
		return s.tokenEqual(c.Value)
	}
	return false
}

func (s *Server) tokenEqual(tok string) bool {
	return subtle.ConstantTimeCompare([]byte(tok), []byte(s.cfg.Token)) == 1
}

// setTokenCookie hands the token to the browser app; scripts cannot read it.
// It lasts (browsers cap it at 400 days) so a join link opened later finds the
// browser logged in; SameSite=Lax so that a join link clicked in another site
// carries it, while every state change is a POST (never sent cross-site with
// Lax) that also checks Origin.
func (s *Server) setTokenCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name:     tokenCookie,
		Value:    s.cfg.Token,
		Path:     "/",
		MaxAge:   400 * 24 * 3600,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	})
}

// loginParam is the query parameter of the login address (Server.LoginURL).
const loginParam = "token"

// LoginURL is the address that logs a browser in: the node prints it at start.
func (s *Server) LoginURL() string {
	return s.URL() + "/?" + loginParam + "=" + url.QueryEscape(s.cfg.Token)
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

// clientIP is the rate-limit key: the remote IP without the port.
func clientIP(r *http.Request) string {
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return h
	}
	return r.RemoteAddr
}
