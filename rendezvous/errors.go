package rendezvous

import "errors"

// Sentinel errors. Errors returned by this package wrap one of these with %w.
var (
	// ErrInvalidConfig reports a Config that New rejects.
	ErrInvalidConfig = errors.New("invalid rendezvous config")
	// ErrInvalidNamespace reports a namespace that is empty, too long or has
	// characters outside [0-9A-Za-z_-].
	ErrInvalidNamespace = errors.New("invalid namespace")
	// ErrInvalidTTL reports a negative TTL.
	ErrInvalidTTL = errors.New("invalid ttl")
	// ErrMalformed reports a message that is not a valid frame of strict JSON.
	ErrMalformed = errors.New("malformed message")
	// ErrMessageTooLarge reports a frame above the size limit.
	ErrMessageTooLarge = errors.New("message too large")
	// ErrRateLimited reports a peer sending requests faster than allowed.
	ErrRateLimited = errors.New("rate limited")
	// ErrTooManyRegistrations reports a peer (or the server) at its
	// registration cap.
	ErrTooManyRegistrations = errors.New("too many registrations")
	// ErrTooManyWaits reports a peer (or the server) at its cap of
	// discoverers waiting for new registrations at once.
	ErrTooManyWaits = errors.New("too many waiting discovers")
	// ErrServer reports an error answer from a server that maps to no other
	// sentinel.
	ErrServer = errors.New("rendezvous server error")
	// ErrNoServers reports a client without any rendezvous server.
	ErrNoServers = errors.New("no rendezvous servers")
	// ErrInvalidServerAddr reports a server multiaddr that cannot be used.
	ErrInvalidServerAddr = errors.New("invalid rendezvous server address")
	// ErrNoTURN reports a server that runs no TURN relay.
	ErrNoTURN = errors.New("no TURN relay on this rendezvous server")
	// ErrNotReady reports a Server that is not (or no longer) running.
	ErrNotReady = errors.New("rendezvous server not running")
)

// Wire error codes and the sentinels they stand for.
const (
	codeInvalidNamespace = "invalid_namespace"
	codeInvalidTTL       = "invalid_ttl"
	codeMalformed        = "malformed"
	codeTooLarge         = "too_large"
	codeRateLimited      = "rate_limited"
	codeTooMany          = "too_many_registrations"
	codeNoTURN           = "no_turn"
	codeTooManyWaits     = "too_many_waits"
	codeInternal         = "internal"
)

var codeErrors = map[string]error{
	codeInvalidNamespace: ErrInvalidNamespace,
	codeInvalidTTL:       ErrInvalidTTL,
	codeMalformed:        ErrMalformed,
	codeTooLarge:         ErrMessageTooLarge,
	codeRateLimited:      ErrRateLimited,
	codeTooMany:          ErrTooManyRegistrations,
	codeNoTURN:           ErrNoTURN,
	codeTooManyWaits:     ErrTooManyWaits,
}

// errorCode maps an error to its wire code.
func errorCode(err error) string {
	for code, sentinel := range codeErrors {
		if errors.Is(err, sentinel) {
			return code
		}
	}
	return codeInternal
}

// codeError maps a wire code (and message) back to a wrapped sentinel.
func codeError(code, msg string) error {
	if sentinel, ok := codeErrors[code]; ok {
		return &remoteError{sentinel: sentinel, msg: msg}
	}
	return &remoteError{sentinel: ErrServer, msg: msg}
}

type remoteError struct {
	sentinel error
	msg      string
}

func (e *remoteError) Error() string {
	if e.msg == "" {
		return "server: " + e.sentinel.Error()
	}
	return "server: " + e.msg
}

func (e *remoteError) Unwrap() error { return e.sentinel }
