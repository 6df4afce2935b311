package webui

import (
	"net/http"
)

// getExport downloads the meeting's record: ?format=md (the default), html
// or json. It is an attachment under a sandbox CSP like shared files: the
// record holds participants' text, and the UI's origin never renders it.
func (s *Server) getExport(w http.ResponseWriter, r *http.Request) {
	id, err := meetingID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "md"
	}
	f, err := s.backend.Export(r.Context(), id, format)
	s.serveAttachment(w, r, f, err)
}

// deleteMeeting deletes this node's copy of the meeting.
func (s *Server) deleteMeeting(_ http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := meetingID(r)
	if err != nil {
		return 0, nil, err
	}
	if err := s.backend.Delete(r.Context(), id); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

// getDiagnostics answers `meshmeet doctor`.
func (s *Server) getDiagnostics(_ http.ResponseWriter, r *http.Request) (int, any, error) {
	return ok200(s.backend.Diagnostics(r.Context()))
}
