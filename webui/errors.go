package webui

import (
	"context"
	"errors"
	"net/http"
)

// Error codes in the "code" field of an error response: one per kind of
// error, stable, so the page can word each in the person's language
// (webui/static/i18n/*.js, keys "error.<code>"); the "error" field is the
// node's English sentence, which the page shows only for a code it does
// not know. Every code is listed here and nowhere else in Go.
const (
	codeInvalid          = "invalid"
	codeInvalidLink      = "invalid_link"
	codeNoSuchPage       = "no_such_page"
	codeUnauthorized     = "unauthorized"
	codeForbidden        = "forbidden"
	codeNotFound         = "not_found"
	codeMethodNotAllowed = "method_not_allowed"
	codeConflict         = "conflict"
	codeTooLarge         = "too_large"
	codeRateLimited      = "rate_limited"
	codeNotReady         = "not_ready"
	codeDiskFull         = "disk_full"
	codeWrongKey         = "wrong_key"
	codeClockSkew        = "clock_skew"
	codeInternal         = "internal"
)

// apiError is an error the handlers answer with as it is.
type apiError struct {
	status int
	code   string
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func errBadRequest(msg string) error { return &apiError{http.StatusBadRequest, codeInvalid, msg} }

// errorBody is the JSON shape of every error response.
type errorBody struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

// sentinelStatus maps the Backend's sentinel errors to statuses and codes.
var sentinelStatus = []struct {
	err    error
	status int
	code   string
}{
	{ErrBadLink, http.StatusBadRequest, codeInvalidLink}, // before ErrInvalid
	{ErrInvalid, http.StatusBadRequest, codeInvalid},
	{ErrWrongKey, http.StatusForbidden, codeWrongKey},
	{ErrClockSkew, http.StatusConflict, codeClockSkew},
	{ErrForbidden, http.StatusForbidden, codeForbidden},
	{ErrNotFound, http.StatusNotFound, codeNotFound},
	{ErrConflict, http.StatusConflict, codeConflict},
	{ErrTooLarge, http.StatusRequestEntityTooLarge, codeTooLarge},
	{ErrNotReady, http.StatusServiceUnavailable, codeNotReady},
	{ErrDiskFull, http.StatusInsufficientStorage, codeDiskFull},
}

// classify turns any error into the status, code and message shown to the client.
// The message of an unexpected error is never shown; ok is false for those.
func classify(err error) (status int, code, msg string, ok bool) {
	if ae, isAPI := errors.AsType[*apiError](err); isAPI {
		return ae.status, ae.code, ae.msg, true
	}
	for _, m := range sentinelStatus {
		if errors.Is(err, m.err) {
			return m.status, m.code, err.Error(), true
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return http.StatusServiceUnavailable, codeNotReady, "the node did not answer in time; try again", true
	}
	return http.StatusInternalServerError, codeInternal, "internal error; see the node's log for details", false
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
	_ = writeJSON(w, status, errorBody{Error: msg, Code: code})
}
