package webui

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"meshmeet/webui/api"
)

// Tickets let a browser reach the few GET routes it cannot send a header to —
// a download link and the events WebSocket — without any credential that
// outlives the request: the page asks POST /api/tickets (with its bearer
// token) for one URL, and gets that URL back with ?ticket=. A ticket opens
// that path with that query only, once, within ticketTTL.
const (
	ticketTTL    = 30 * time.Second
	ticketParam  = "ticket"
	ticketBytes  = 32
	maxTickets   = 256 // outstanding at once; the page asks for one per click
	maxTicketURL = 2048
)

// ticketStore holds the outstanding tickets, by the SHA-256 of their value
// (so that looking one up leaks nothing about the others through timing).
type ticketStore struct {
	now func() time.Time

	mu      sync.Mutex
	tickets map[[sha256.Size]byte]ticket
}

type ticket struct {
	target  string // path?canonical query, without the ticket
	expires time.Time
}

func newTicketStore() *ticketStore {
	return &ticketStore{now: time.Now, tickets: make(map[[sha256.Size]byte]ticket)}
}

// ticketTarget is the resource a request asks for: its path and its query
// without the ticket, in canonical order.
func ticketTarget(u *url.URL) string {
	q := u.Query()
	q.Del(ticketParam)
	if len(q) == 0 {
		return u.Path
	}
	return u.Path + "?" + q.Encode()
}

// mint returns a new ticket for target, or false when too many are outstanding.
func (ts *ticketStore) mint(target string) (string, time.Time, bool) {
	buf := make([]byte, ticketBytes)
	_, _ = rand.Read(buf) // crypto/rand.Read never fails
	tok := hex.EncodeToString(buf)
	now := ts.now()
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for k, t := range ts.tickets {
		if !now.Before(t.expires) {
			delete(ts.tickets, k)
		}
	}
	if len(ts.tickets) >= maxTickets {
		return "", time.Time{}, false
	}
	exp := now.Add(ticketTTL)
	ts.tickets[sha256.Sum256([]byte(tok))] = ticket{target: target, expires: exp}
	return tok, exp, true
}

// redeem reports whether r carries a live ticket for exactly its own path and
// query. Any ticket presented is spent, whether it fits or not.
func (ts *ticketStore) redeem(r *http.Request) bool {
	tok := r.URL.Query().Get(ticketParam)
	if tok == "" {
		return false
	}
	key := sha256.Sum256([]byte(tok))
	ts.mu.Lock()
	t, ok := ts.tickets[key]
	delete(ts.tickets, key)
	ts.mu.Unlock()
	return ok && ts.now().Before(t.expires) && t.target == ticketTarget(r.URL)
}

// ticketRequest is the body of POST /api/tickets.
type ticketRequest struct {
	// URL is the path (and query) the ticket is for, e.g.
	// "/api/meetings/{id}/files/{sha}".
	URL string `json:"url"`
}

// ticketResponse answers POST /api/tickets.
type ticketResponse struct {
	// URL is the requested URL with the ticket added: open it once, soon.
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// mintTicket answers POST /api/tickets for a URL that a ticket may open.
func (s *Server) mintTicket(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var req ticketRequest
	if err := decodeBody(w, r, &req, false); err != nil {
		return 0, nil, err
	}
	u, err := url.Parse(req.URL)
	if err != nil || len(req.URL) > maxTicketURL || u.Scheme != "" || u.Host != "" || u.User != nil ||
		u.Fragment != "" || !strings.HasPrefix(u.Path, "/api/") || path.Clean(u.Path) != u.Path || u.Query().Has(ticketParam) {
		return 0, nil, errBadRequest("url must be a path of this API, such as /api/meetings/{id}/files/{sha}")
	}
	probe := &http.Request{Method: http.MethodGet, URL: u, Host: r.Host}
	if _, pattern := s.ticketed.Handler(probe); pattern == "" {
		return 0, nil, errBadRequest("no ticket opens " + u.Path + ": tickets are for downloads and the events WebSocket")
	}
	target := ticketTarget(u)
	tok, exp, ok := s.tickets.mint(target)
	if !ok {
		return 0, nil, api.ErrRateLimited.With("too many tickets outstanding; use them or wait a few seconds")
	}
	sep := "?"
	if strings.Contains(target, "?") {
		sep = "&"
	}
	return http.StatusOK, ticketResponse{URL: target + sep + ticketParam + "=" + tok, ExpiresAt: exp}, nil
}
