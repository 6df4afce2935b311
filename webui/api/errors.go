package api

import (
	"fmt"
	"net/http"
)

// Error is an error answer: its stable Code (which the page words in the
// person's language, webui/static/i18n/*.js "error.<code>"), its HTTP
// Status, and the node's English Message. The kinds below are the only
// values of Code; a backend returns one of them, or one made by With, and
// a client decodes an answer into an Error that errors.Is matches against
// its kind.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"error"`
}

func (e *Error) Error() string { return e.Message }

// Is makes every Error of a kind match that kind's sentinel.
func (e *Error) Is(target error) bool {
	k, ok := target.(*Error)
	return ok && k.Code == e.Code
}

// With is an error of kind e with a more specific message.
func (e *Error) With(format string, args ...any) *Error {
	return &Error{Status: e.Status, Code: e.Code, Message: fmt.Sprintf(format, args...)}
}

// The error kinds, each once: code, status, generic message.
var (
	ErrInvalid          = &Error{http.StatusBadRequest, "invalid", "invalid input"}
	ErrBadLink          = &Error{http.StatusBadRequest, "invalid_link", "join link not valid"}
	ErrBadReaction      = &Error{http.StatusBadRequest, "invalid_reaction", "not one of the reactions offered"}
	ErrUnauthorized     = &Error{http.StatusUnauthorized, "unauthorized", "missing or wrong API token"}
	ErrForbidden        = &Error{http.StatusForbidden, "forbidden", "not allowed"}
	ErrWrongKey         = &Error{http.StatusForbidden, "wrong_key", "wrong meeting key"}
	ErrNotFound         = &Error{http.StatusNotFound, "not_found", "not found"}
	ErrNoSuchPage       = &Error{http.StatusNotFound, "no_such_page", "no such page or API route"}
	ErrMethodNotAllowed = &Error{http.StatusMethodNotAllowed, "method_not_allowed", "method not allowed here"}
	ErrConflict         = &Error{http.StatusConflict, "conflict", "conflict"}
	ErrClockSkew        = &Error{http.StatusConflict, "clock_skew", "this computer's clock is wrong"}
	ErrTooLarge         = &Error{http.StatusRequestEntityTooLarge, "too_large", "too large"}
	ErrRateLimited      = &Error{http.StatusTooManyRequests, "rate_limited", "too many requests; slow down and try again"}
	ErrInternal         = &Error{http.StatusInternalServerError, "internal", "internal error; see the node's log for details"}
	ErrNotReady         = &Error{http.StatusServiceUnavailable, "not_ready", "node not ready"}
	ErrDiskFull         = &Error{http.StatusInsufficientStorage, "disk_full", "disk full"}
)

// Errors lists every kind (tests check each has a sentence in every language).
var Errors = []*Error{
	ErrInvalid, ErrBadLink, ErrBadReaction, ErrUnauthorized, ErrForbidden, ErrWrongKey, ErrNotFound,
	ErrNoSuchPage, ErrMethodNotAllowed, ErrConflict, ErrClockSkew, ErrTooLarge, ErrRateLimited,
	ErrInternal, ErrNotReady, ErrDiskFull,
}

// Kind returns the registered kind of code, or nil for a code no kind has.
func Kind(code string) *Error {
	for _, k := range Errors {
		if k.Code == code {
			return k
		}
	}
	return nil
}
