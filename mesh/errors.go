package mesh

import (
	"errors"

	"meshmeet/mesh/eventlog"
)

// Sentinel errors; callers match them with errors.Is. The log's rules give
// the first five.
var (
	ErrInvalid   = eventlog.ErrInvalid
	ErrTooLarge  = eventlog.ErrTooLarge
	ErrNotFound  = eventlog.ErrNotFound
	ErrForbidden = eventlog.ErrForbidden
	ErrConflict  = eventlog.ErrConflict
	ErrNotReady  = errors.New("mesh not running")
	ErrDataDir   = errors.New("data dir unusable")
	ErrDiskFull  = errors.New("disk full")
)
