package webui

import (
	"golang.org/x/time/rate"
)

const (
	// anonRateLimit and anonBurst bound every request that brings no valid
	// credential (refused ones and the unauthenticated readiness probe), all
	// together: a local process flooding the port spends this bucket only.
	anonRateLimit = rate.Limit(20)
	anonBurst     = 50
)

// limits counts requests after authentication: the API token's requests
// (bearer or a ticket it minted) in one bucket, and requests without a valid
// credential in another, so that no one without the token can make the
// token's requests fail. Pages and static files are not counted: they are
// constant bytes from memory, and the user's browser must always get them.
type limits struct {
	token *rate.Limiter
	anon  *rate.Limiter
}

func newLimits(limit rate.Limit, burst int) limits {
	return limits{
		token: rate.NewLimiter(limit, burst),
		anon:  rate.NewLimiter(anonRateLimit, anonBurst),
	}
}
