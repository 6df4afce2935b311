package mesh

import (
	"errors"

	"meshmeet/mesh/datadir"
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
	ErrDataDir   = datadir.ErrUnusable
	ErrDiskFull  = errors.New("disk full")
	// ErrWrongKey: the link's key is not this meeting's (its signed genesis
	// commits to another, or a member holds it under another).
	ErrWrongKey = errors.New("the link's key does not open this meeting")
	// ErrClockSkew: this node's clock is so far ahead of its peers' that
	// they would drop what it posts.
	ErrClockSkew = errors.New("this computer's clock is wrong")
)
