package webui

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// routes builds the mux. Every route needs the loopback Host (checked in
// secure). The API (but for the readiness probe GET /api/node) and the
// metrics also need the token in the Authorization header (requireAuth); the
// downloads and the events WebSocket take a ticket instead (ticket). The
// pages and scripts hold no secret and are served to anyone.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	auth := s.requireAuth
	s.ticketed = http.NewServeMux()
	ticket := func(pattern string, h http.HandlerFunc) {
		mux.HandleFunc(pattern, s.requireAuthOrTicket(h))
		s.ticketed.HandleFunc(pattern, http.NotFound)
	}

	// Browser app.
	mux.HandleFunc("GET /{$}", s.servePage)
	mux.HandleFunc("GET /m/{id}", s.servePage)
	mux.Handle("GET /static/", s.staticHandler())

	// API.
	mux.HandleFunc("GET /api/node", s.optionalAuth(s.api(s.getNode)))
	mux.HandleFunc("POST /api/tickets", auth(s.api(s.mintTicket)))
	mux.HandleFunc("GET /api/meetings", auth(s.api(s.listMeetings)))
	mux.HandleFunc("POST /api/meetings", auth(s.api(s.createMeeting)))
	mux.HandleFunc("POST /api/meetings/join", auth(s.api(s.joinMeeting)))
	mux.HandleFunc("GET /api/meetings/{id}", auth(s.api(s.getMeeting)))
	mux.HandleFunc("PATCH /api/meetings/{id}", auth(s.api(s.updateMeeting)))
	mux.HandleFunc("POST /api/meetings/{id}/leave", auth(s.api(s.leaveMeeting)))
	mux.HandleFunc("POST /api/meetings/{id}/end", auth(s.api(s.endMeeting)))
	mux.HandleFunc("POST /api/meetings/{id}/role", auth(s.api(s.setRole)))
	mux.HandleFunc("POST /api/meetings/{id}/admit", auth(s.api(s.admit)))
	mux.HandleFunc("POST /api/meetings/{id}/deny", auth(s.api(s.deny)))
	mux.HandleFunc("POST /api/meetings/{id}/remove", auth(s.api(s.remove)))
	mux.HandleFunc("POST /api/meetings/{id}/mute", auth(s.api(s.mute)))
	mux.HandleFunc("POST /api/meetings/{id}/recording", auth(s.api(s.setRecording)))
	mux.HandleFunc("POST /api/meetings/{id}/extend", auth(s.api(s.extend)))
	mux.HandleFunc("POST /api/meetings/{id}/rekey", auth(s.api(s.rekey)))
	mux.HandleFunc("GET /api/meetings/{id}/recordings", auth(s.api(s.getRecordings)))
	ticket("GET /api/meetings/{id}/recordings/{start}/{file}", s.getRecording)
	mux.HandleFunc("GET /api/meetings/{id}/lobby", auth(s.api(s.getLobby)))
	mux.HandleFunc("POST /api/meetings/{id}/state", auth(s.api(s.setMediaState)))
	mux.HandleFunc("GET /api/meetings/{id}/messages", auth(s.api(s.listMessages)))
	mux.HandleFunc("POST /api/meetings/{id}/messages", auth(s.api(s.postMessage)))
	mux.HandleFunc("POST /api/meetings/{id}/files", auth(s.api(s.postFile)))
	ticket("GET /api/meetings/{id}/files/{sha}", s.getFile)
	mux.HandleFunc("GET /api/meetings/{id}/participants", auth(s.api(s.listParticipants)))
	mux.HandleFunc("GET /api/meetings/{id}/media", auth(s.api(s.getMedia)))
	mux.HandleFunc("GET /api/meetings/{id}/audit", auth(s.api(s.getAudit)))
	ticket("GET /api/meetings/{id}/calendar.ics", s.getCalendar)
	ticket("GET /api/meetings/{id}/events", s.serveEvents)
	mux.HandleFunc("GET /api/node/diagnostics", auth(s.api(s.getDiagnostics)))
	ticket("GET /api/meetings/{id}/export", s.getExport)
	mux.HandleFunc("DELETE /api/meetings/{id}", auth(s.api(s.deleteMeeting)))

	if s.cfg.Metrics != nil {
		metrics := promhttp.HandlerFor(s.cfg.Metrics, promhttp.HandlerOpts{ErrorLog: slogPrinter{s.log}})
		mux.HandleFunc("GET /metrics", auth(metrics.ServeHTTP))
	}
	return s.jsonFallback(mux)
}

// jsonFallback answers unknown routes and wrong methods with a JSON error
// instead of the mux's plain-text one.
func (s *Server) jsonFallback(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		// Let the mux decide between 404, 405 (with its Allow header) and a redirect.
		rec := &statusRecorder{header: http.Header{}}
		h.ServeHTTP(rec, r)
		switch rec.status {
		case http.StatusMethodNotAllowed:
			w.Header().Set("Allow", rec.header.Get("Allow"))
			s.writeError(w, r, &apiError{http.StatusMethodNotAllowed, codeMethodNotAllowed,
				"method " + r.Method + " is not allowed here"})
		case http.StatusNotFound:
			if wantsPage(r) { // a person, not a program: a page with a sentence
				s.serveMissingPage(w, r)
				return
			}
			s.writeError(w, r, &apiError{http.StatusNotFound, codeNoSuchPage, "no such page or API route"})
		default:
			mux.ServeHTTP(w, r)
		}
	})
}

// statusRecorder captures a handler's status and headers and drops its body.
type statusRecorder struct {
	header http.Header
	status int
}

func (r *statusRecorder) Header() http.Header { return r.header }
func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return len(b), nil
}
