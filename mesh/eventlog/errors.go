package eventlog

import "errors"

// Sentinel errors; callers match them with errors.Is. The mesh exports the
// same values to the API.
var (
	ErrInvalid   = errors.New("invalid")
	ErrTooLarge  = errors.New("too large")
	ErrNotFound  = errors.New("unknown meeting")
	ErrForbidden = errors.New("not allowed")
	ErrConflict  = errors.New("conflict")
)
