package webui

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"meshmeet/webui/api"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"
)

const (
	wsWriteTimeout   = 5 * time.Second  // a slower client is dropped
	wsPingInterval   = 30 * time.Second // keepalive, also detects dead clients
	wsMaxMessage     = 64 << 10         // largest client message accepted
	wsClientRate     = 50               // client messages per second
	wsClientBurst    = 100
	closeReasonEnded = "event stream ended"
	closeReasonGone  = "server shutting down"
)

// clientMessage is the envelope of every message a browser sends on the
// events WebSocket, e.g. {"type":"signal","data":{...}}.
type clientMessage struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

// wsHandler handles one type of client message for meeting id.
type wsHandler func(ctx context.Context, id string, data json.RawMessage) error

// wsDispatch maps client message types to handlers. It is empty for now:
// media signalling for the browser session registers here later.
type wsDispatch map[string]wsHandler

// serveEvents upgrades to a WebSocket and streams the meeting's events as
// JSON text messages until the client goes, the stream ends or the server stops.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	id, err := meetingID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !s.wsBegin() {
		s.writeError(w, r, api.ErrNotReady.With("the node is shutting down"))
		return
	}
	defer s.wsWG.Done()

	// r.Context() ends when Run shuts down (see BaseContext in Run).
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	events, err := s.backend.Subscribe(ctx, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// Origin was already checked by requireAuth, more strictly than Accept would.
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		s.log.Debug("websocket upgrade failed", "meetingId", id, "err", err)
		return
	}
	c.SetReadLimit(wsMaxMessage)
	s.log.Debug("websocket opened", "meetingId", id)

	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		defer cancel() // the client went: stop the subscription and the writer
		s.wsReadLoop(ctx, c, id)
	}()

	code, reason := s.wsWriteLoop(ctx, c, events)
	if err := c.Close(code, reason); err != nil {
		s.log.Debug("websocket close", "meetingId", id, "err", err)
	}
	<-readDone
	s.log.Debug("websocket closed", "meetingId", id)
}

// wsWriteLoop writes events until ctx ends or the stream is closed and
// returns the close status to send.
func (s *Server) wsWriteLoop(ctx context.Context, c *websocket.Conn, events <-chan api.Event) (websocket.StatusCode, string) {
	ping := time.NewTicker(wsPingInterval)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return websocket.StatusGoingAway, closeReasonGone
		case ev, ok := <-events:
			if !ok {
				if ctx.Err() != nil { // the backend closed it because we are stopping
					return websocket.StatusGoingAway, closeReasonGone
				}
				return websocket.StatusNormalClosure, closeReasonEnded
			}
			b, err := json.Marshal(ev)
			if err != nil {
				s.log.Error("event not encodable", "eventType", ev.Type, "err", err)
				continue
			}
			if err := s.wsWrite(ctx, c, b); err != nil {
				s.log.Debug("websocket write failed", "eventType", ev.Type, "err", err)
				return websocket.StatusPolicyViolation, "client too slow"
			}
		case <-ping.C:
			pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.wsTimeout)
			err := c.Ping(pctx)
			cancel()
			if err != nil {
				s.log.Debug("websocket ping failed", "err", err)
				return websocket.StatusGoingAway, "no answer to ping"
			}
		}
	}
}

// wsWrite writes one message within the write timeout. The timeout does not
// follow ctx's cancellation: the library closes the connection when a write's
// context ends, even just as the write completes, and shutdown must still be
// able to send a close frame afterwards.
func (s *Server) wsWrite(ctx context.Context, c *websocket.Conn, b []byte) error {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.wsTimeout)
	defer cancel()
	return c.Write(wctx, websocket.MessageText, b)
}

// wsReadLoop reads client messages until the connection ends and dispatches
// them by type; unknown types and malformed messages are dropped.
// Read itself runs without ctx's cancellation: it ends when the connection is
// closed, so that a cancelled ctx does not tear the connection down before
// the close handshake.
func (s *Server) wsReadLoop(ctx context.Context, c *websocket.Conn, id string) {
	lim := rate.NewLimiter(wsClientRate, wsClientBurst)
	readCtx := context.WithoutCancel(ctx)
	for {
		typ, b, err := c.Read(readCtx)
		if err != nil {
			if st := websocket.CloseStatus(err); st == -1 && !errors.Is(err, context.Canceled) {
				s.log.Debug("websocket read ended", "meetingId", id, "err", err)
			}
			return
		}
		if !lim.Allow() {
			s.log.Debug("websocket client too chatty", "meetingId", id)
			_ = c.CloseNow()
			return
		}
		if typ != websocket.MessageText {
			continue
		}
		var msg clientMessage
		if err := json.Unmarshal(b, &msg); err != nil || msg.Type == "" {
			s.log.Debug("websocket message malformed", "meetingId", id)
			continue
		}
		h, ok := s.ws[msg.Type]
		if !ok {
			s.log.Debug("websocket message type unknown", "meetingId", id, "messageType", msg.Type)
			continue
		}
		if err := h(ctx, id, msg.Data); err != nil {
			s.log.Debug("websocket message rejected", "meetingId", id, "messageType", msg.Type, "err", err)
		}
	}
}
