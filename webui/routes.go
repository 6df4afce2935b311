package webui

import (
	"net/http"

	"meshmeet/webui/api"

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
	mux.HandleFunc("GET "+api.RouteNode, s.optionalAuth(s.api(s.getNode)))
	mux.HandleFunc("POST "+api.RouteTickets, auth(s.api(s.mintTicket)))
	mux.HandleFunc("GET "+api.RouteMeetings, auth(s.api(s.listMeetings)))
	mux.HandleFunc("POST "+api.RouteMeetings, auth(s.api(s.createMeeting)))
	mux.HandleFunc("POST "+api.RouteJoin, auth(s.api(s.joinMeeting)))
	mux.HandleFunc("GET "+api.RouteMeeting, auth(s.api(s.getMeeting)))
	mux.HandleFunc("PATCH "+api.RouteMeeting, auth(s.api(s.updateMeeting)))
	mux.HandleFunc("POST "+api.RouteLeave, auth(s.api(s.leaveMeeting)))
	mux.HandleFunc("POST "+api.RouteEnd, auth(s.api(s.endMeeting)))
	mux.HandleFunc("POST "+api.RouteRole, auth(s.api(s.setRole)))
	mux.HandleFunc("POST "+api.RouteAdmit, auth(s.api(s.admit)))
	mux.HandleFunc("POST "+api.RouteDeny, auth(s.api(s.deny)))
	mux.HandleFunc("POST "+api.RouteRemove, auth(s.api(s.remove)))
	mux.HandleFunc("POST "+api.RouteMute, auth(s.api(s.mute)))
	mux.HandleFunc("POST "+api.RouteRecording, auth(s.api(s.setRecording)))
	mux.HandleFunc("POST "+api.RouteExtend, auth(s.api(s.extend)))
	mux.HandleFunc("POST "+api.RouteRekey, auth(s.api(s.rekey)))
	mux.HandleFunc("GET "+api.RouteRecordings, auth(s.api(s.getRecordings)))
	ticket("GET "+api.RouteRecordedFile, s.getRecording)
	mux.HandleFunc("GET "+api.RouteLobby, auth(s.api(s.getLobby)))
	mux.HandleFunc("POST "+api.RouteState, auth(s.api(s.setMediaState)))
	mux.HandleFunc("POST "+api.RouteReactions, auth(s.api(s.postReaction)))
	mux.HandleFunc("GET "+api.RouteMessages, auth(s.api(s.listMessages)))
	mux.HandleFunc("POST "+api.RouteMessages, auth(s.api(s.postMessage)))
	mux.HandleFunc("POST "+api.RouteFiles, auth(s.api(s.postFile)))
	ticket("GET "+api.RouteFile, s.getFile)
	mux.HandleFunc("GET "+api.RouteParticipants, auth(s.api(s.listParticipants)))
	mux.HandleFunc("GET "+api.RouteMedia, auth(s.api(s.getMedia)))
	mux.HandleFunc("GET "+api.RouteAudit, auth(s.api(s.getAudit)))
	ticket("GET "+api.RouteCalendar, s.getCalendar)
	ticket("GET "+api.RouteEvents, s.serveEvents)
	mux.HandleFunc("PUT "+api.RouteName, auth(s.api(s.putName)))
	mux.HandleFunc("GET "+api.RouteDiagnostics, auth(s.api(s.getDiagnostics)))
	ticket("GET "+api.RouteExport, s.getExport)
	mux.HandleFunc("DELETE "+api.RouteMeeting, auth(s.api(s.deleteMeeting)))

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
			s.writeError(w, r, api.ErrMethodNotAllowed.With("method %s is not allowed here", r.Method))
		case http.StatusNotFound:
			if wantsPage(r) { // a person, not a program: a page with a sentence
				s.serveMissingPage(w, r)
				return
			}
			s.writeError(w, r, api.ErrNoSuchPage)
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
