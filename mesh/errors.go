package mesh

import "errors"

// Sentinel errors; callers match them with errors.Is.
var (
	ErrInvalid   = errors.New("invalid")
	ErrTooLarge  = errors.New("too large")
	ErrNotFound  = errors.New("unknown meeting")
	ErrForbidden = errors.New("not allowed")
	ErrConflict  = errors.New("conflict")
	ErrNotReady  = errors.New("mesh not running")
	ErrDataDir   = errors.New("data dir unusable")
	ErrDiskFull  = errors.New("disk full")
)
