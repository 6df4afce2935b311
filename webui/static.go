package webui

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed static
var staticFiles embed.FS

// pageCSP allows only this origin's scripts, styles, WebSocket and media.
const pageCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"media-src 'self' blob:; connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; " +
	"form-action 'self'; frame-ancestors 'none'"

// servePage serves the app shell for / and /m/{id} to anyone: it holds no
// secret. The page itself holds the token, in its origin's localStorage
// (bound to this port, unlike a cookie), and shows its login form when it has
// none; the login address carries the token in the #fragment (see LoginURL),
// which the server never sees. A browser that still holds the cookie of
// earlier versions is told to drop it.
func (s *Server) servePage(w http.ResponseWriter, r *http.Request) {
	s.servePageStatus(w, r, http.StatusOK)
}

func (s *Server) servePageStatus(w http.ResponseWriter, r *http.Request, status int) {
	w.Header().Set("Cache-Control", "no-store")
	if _, err := r.Cookie(legacyCookie); err == nil {
		http.SetCookie(w, &http.Cookie{Name: legacyCookie, Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	}
	s.serveHTML(w, r, "static/index.html", status)
}

// wantsPage: a browser navigating to an address outside the API and the
// static files (GET or HEAD asking for HTML).
func wantsPage(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	p := r.URL.Path
	return !strings.HasPrefix(p, "/api/") && !strings.HasPrefix(p, "/static/") &&
		strings.Contains(r.Header.Get("Accept"), "text/html")
}

// serveMissingPage answers a browser asking for an unknown address with the
// app (404), which says so in the person's language.
func (s *Server) serveMissingPage(w http.ResponseWriter, r *http.Request) {
	s.servePageStatus(w, r, http.StatusNotFound)
}

func (s *Server) serveHTML(w http.ResponseWriter, r *http.Request, name string, status int) {
	page, err := staticFiles.ReadFile(name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", pageCSP)
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(page)
	}
}

// staticHandler serves the embedded scripts and styles under /static/.
func (s *Server) staticHandler() http.Handler {
	sub, err := fs.Sub(staticFiles, "static")
	if err != nil {
		panic("webui: embedded static files missing: " + err.Error()) // cannot happen with go:embed
	}
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("Content-Security-Policy", pageCSP)
		files.ServeHTTP(w, r)
	})
}
