package media

import (
	"errors"
	"fmt"
)

// Sentinel errors; callers test them with errors.Is.
var (
	ErrConfig         = errors.New("media: invalid config")
	ErrNotRunning     = errors.New("media: engine not running")
	ErrClosed         = errors.New("media: engine closed")
	ErrUnknownMeeting = errors.New("media: unknown meeting")
	ErrBadMessage     = errors.New("media: bad signalling message")
	ErrTooLarge       = errors.New("media: signalling message too large")
	ErrProtocol       = errors.New("media: signalling protocol violation")
)

func errorf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), sentinel)
}

// errNotBound: a sink's track is not (yet, or no longer) bound to a PeerConnection.
var errNotBound = errors.New("media: track not bound")
