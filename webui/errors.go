package webui

import (
	"context"
	"errors"
	"net/http"

	"meshmeet/webui/api"
)

// errBadRequest is a 400 with a specific message.
func errBadRequest(msg string) error { return api.ErrInvalid.With("%s", msg) }

// classify turns any error into the status, code and message shown to the
// client: an api.Error as it is (a bare kind, or one wrapped with context,
// shows the whole text). The message of an unexpected error is never shown;
// ok is false for those.
func classify(err error) (status int, code, msg string, ok bool) {
	if ae, isAPI := errors.AsType[*api.Error](err); isAPI {
		return ae.Status, ae.Code, err.Error(), true
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return api.ErrNotReady.Status, api.ErrNotReady.Code, "the node did not answer in time; try again", true
	}
	return api.ErrInternal.Status, api.ErrInternal.Code, api.ErrInternal.Message, false
}

// writeError answers with the JSON error for err and logs unexpected ones.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, code, msg, ok := classify(err)
	switch {
	case !ok && r.Context().Err() != nil:
		s.log.Debug("request abandoned by client", "method", r.Method, "path", r.URL.Path, "err", err)
	case !ok:
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	default:
		s.log.Debug("request rejected", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	}
	if status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	_ = writeJSON(w, status, api.Error{Message: msg, Code: code})
}
