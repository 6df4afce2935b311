package webui

import (
	"context"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"meshmeet/webui/api"
)

const (
	defaultMessageLimit = 100
	maxMessageLimit     = 1000
	maxIDLen            = 256
)

// apiFunc handles one API call: it returns the status and the JSON value to
// answer with (nil with 204), or an error that writeError maps.
type apiFunc func(w http.ResponseWriter, r *http.Request) (int, any, error)

// api adapts an apiFunc to an http.HandlerFunc.
func (s *Server) api(f apiFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		status, v, err := f(w, r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if status == http.StatusNoContent {
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(status)
			return
		}
		if err := writeJSON(w, status, v); err != nil {
			s.log.Error("response not encodable", "method", r.Method, "path", r.URL.Path, "err", err)
		}
	}
}

// meetingID returns the {id} path value after a sanity check; the backend
// decides whether it names a meeting.
func meetingID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if id == "" || len(id) > maxIDLen || !utf8.ValidString(id) ||
		strings.IndexFunc(id, func(c rune) bool { return unicode.IsControl(c) || unicode.IsSpace(c) }) >= 0 {
		return "", errBadRequest("meeting ID is malformed")
	}
	return id, nil
}

// ok200 wraps a backend result as a 200 response.
func ok200[T any](v T, err error) (int, any, error) {
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, v, nil
}

func (s *Server) getNode(_ http.ResponseWriter, r *http.Request) (int, any, error) {
	return ok200(s.backend.Node(r.Context()))
}

func (s *Server) listMeetings(_ http.ResponseWriter, r *http.Request) (int, any, error) {
	return ok200(s.backend.Meetings(r.Context()))
}

func (s *Server) createMeeting(w http.ResponseWriter, r *http.Request) (int, any, error) {
	body, err := readBody(w, r, false)
	if err != nil {
		return 0, nil, err
	}
	v, err := s.backend.CreateMeeting(r.Context(), body)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, v, nil
}

func (s *Server) joinMeeting(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var req api.JoinRequest
	if err := decodeBody(w, r, &req, false); err != nil {
		return 0, nil, err
	}
	if strings.TrimSpace(req.JoinURL) == "" {
		return 0, nil, errBadRequest("joinUrl is required")
	}
	v, waiting, err := s.backend.Join(r.Context(), strings.TrimSpace(req.JoinURL))
	return meetingOrWaiting(v, waiting, err, http.StatusAccepted)
}

func (s *Server) admit(w http.ResponseWriter, r *http.Request) (int, any, error) {
	return s.peerAction(w, r, s.backend.Admit)
}

func (s *Server) deny(w http.ResponseWriter, r *http.Request) (int, any, error) {
	return s.peerAction(w, r, s.backend.Deny)
}

func (s *Server) remove(w http.ResponseWriter, r *http.Request) (int, any, error) {
	return s.peerAction(w, r, s.backend.Remove)
}

func (s *Server) mute(w http.ResponseWriter, r *http.Request) (int, any, error) {
	return s.peerAction(w, r, s.backend.Mute)
}

// peerAction admits, denies, removes or mutes the peer named by {peerId}.
func (s *Server) peerAction(w http.ResponseWriter, r *http.Request, decide func(ctx context.Context, id, peerID string) error) (int, any, error) {
	id, err := meetingID(r)
	if err != nil {
		return 0, nil, err
	}
	var req api.PeerRequest
	if err := decodeBody(w, r, &req, false); err != nil {
		return 0, nil, err
	}
	if req.PeerID == "" {
		return 0, nil, errBadRequest("peerId is required")
	}
	if err := decide(r.Context(), id, req.PeerID); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

func (s *Server) getLobby(_ http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := meetingID(r)
	if err != nil {
		return 0, nil, err
	}
	return ok200(s.backend.Lobby(r.Context(), id))
}

func (s *Server) getMeeting(_ http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := meetingID(r)
	if err != nil {
		return 0, nil, err
	}
	m, waiting, err := s.backend.Meeting(r.Context(), id)
	return meetingOrWaiting(m, waiting, err, http.StatusOK)
}

// meetingOrWaiting answers with the meeting, or with where this node waits
// in its lobby (with waitStatus: 202 on a join, 200 on a look).
func meetingOrWaiting(m *api.Meeting, w *api.Waiting, err error, waitStatus int) (int, any, error) {
	switch {
	case err != nil:
		return 0, nil, err
	case w != nil:
		return waitStatus, w, nil
	}
	return http.StatusOK, m, nil
}

// updateMeeting edits a meeting (host only): the body holds the fields to change.
func (s *Server) updateMeeting(w http.ResponseWriter, r *http.Request) (int, any, error) {
	return withBody(w, r, s.backend.UpdateMeeting)
}

func (s *Server) leaveMeeting(w http.ResponseWriter, r *http.Request) (int, any, error) {
	return s.noBodyAction(w, r, s.backend.Leave)
}

func (s *Server) endMeeting(w http.ResponseWriter, r *http.Request) (int, any, error) {
	return s.noBodyAction(w, r, s.backend.End)
}

// rekey moves the meeting to a new key and returns it (its link changes).
func (s *Server) rekey(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var view api.Meeting
	code, _, err := s.noBodyAction(w, r, func(ctx context.Context, id string) (err error) {
		view, err = s.backend.Rekey(ctx, id)
		return err
	})
	if err != nil {
		return code, nil, err
	}
	return http.StatusOK, view, nil
}

// noBodyAction runs an action that takes no input; the body may be empty or {}.
func (s *Server) noBodyAction(w http.ResponseWriter, r *http.Request,
	act func(ctx context.Context, id string) error) (int, any, error) {
	id, err := meetingID(r)
	if err != nil {
		return 0, nil, err
	}
	var empty struct{}
	if err := decodeBody(w, r, &empty, true); err != nil {
		return 0, nil, err
	}
	if err := act(r.Context(), id); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

func (s *Server) setRole(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := meetingID(r)
	if err != nil {
		return 0, nil, err
	}
	var req api.RoleRequest
	if err := decodeBody(w, r, &req, false); err != nil {
		return 0, nil, err
	}
	if req.PeerID == "" || req.Role == "" {
		return 0, nil, errBadRequest("peerId and role are required")
	}
	return ok200(s.backend.SetRole(r.Context(), id, req.PeerID, req.Role))
}

// setRecording starts or stops recording: {"on": true|false}.
func (s *Server) setRecording(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := meetingID(r)
	if err != nil {
		return 0, nil, err
	}
	var req api.RecordingRequest
	if err := decodeBody(w, r, &req, false); err != nil {
		return 0, nil, err
	}
	if req.On == nil {
		return 0, nil, errBadRequest("on (true or false) is required")
	}
	return ok200(s.backend.SetRecording(r.Context(), id, *req.On))
}

// extend adds minutes to a meeting that ends by itself (host or moderator).
func (s *Server) extend(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := meetingID(r)
	if err != nil {
		return 0, nil, err
	}
	var req api.ExtendRequest
	if err := decodeBody(w, r, &req, false); err != nil {
		return 0, nil, err
	}
	if req.Minutes == nil || *req.Minutes < 1 {
		return 0, nil, errBadRequest("minutes (a positive number) is required")
	}
	return ok200(s.backend.Extend(r.Context(), id, *req.Minutes))
}

func (s *Server) getRecordings(_ http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := meetingID(r)
	if err != nil {
		return 0, nil, err
	}
	return ok200(s.backend.Recordings(r.Context(), id))
}

func (s *Server) setMediaState(w http.ResponseWriter, r *http.Request) (int, any, error) {
	return withBody(w, r, s.backend.SetMediaState)
}

// withBody passes a meeting's ID and the raw JSON body to a backend call.
func withBody[T any](w http.ResponseWriter, r *http.Request, call func(context.Context, string, []byte) (T, error)) (int, any, error) {
	id, err := meetingID(r)
	if err != nil {
		return 0, nil, err
	}
	body, err := readBody(w, r, false)
	if err != nil {
		return 0, nil, err
	}
	return ok200(call(r.Context(), id, body))
}

func (s *Server) listMessages(_ http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := meetingID(r)
	if err != nil {
		return 0, nil, err
	}
	q := r.URL.Query()
	limit := defaultMessageLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxMessageLimit {
			return 0, nil, errBadRequest(fmt.Sprintf("limit must be a whole number from 1 to %d", maxMessageLimit))
		}
		limit = n
	}
	after := q.Get("after")
	if len(after) > maxIDLen || !utf8.ValidString(after) {
		return 0, nil, errBadRequest("after is malformed")
	}
	return ok200(s.backend.Messages(r.Context(), id, after, limit))
}

func (s *Server) postMessage(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := meetingID(r)
	if err != nil {
		return 0, nil, err
	}
	var req api.MessageRequest
	if err := decodeBody(w, r, &req, false); err != nil {
		return 0, nil, err
	}
	if strings.TrimSpace(req.Text) == "" {
		return 0, nil, errBadRequest("text is required")
	}
	return ok200(s.backend.PostMessage(r.Context(), id, req.Text))
}

func (s *Server) listParticipants(_ http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := meetingID(r)
	if err != nil {
		return 0, nil, err
	}
	return ok200(s.backend.Participants(r.Context(), id))
}

func (s *Server) getMedia(_ http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := meetingID(r)
	if err != nil {
		return 0, nil, err
	}
	return ok200(s.backend.Media(r.Context(), id))
}

func (s *Server) getAudit(_ http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := meetingID(r)
	if err != nil {
		return 0, nil, err
	}
	return ok200(s.backend.Audit(r.Context(), id))
}

// getCalendar serves the meeting as an .ics file to add to a calendar.
func (s *Server) getCalendar(w http.ResponseWriter, r *http.Request) {
	id, err := meetingID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ics, err := s.backend.Calendar(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/calendar; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="meeting.ics"`)
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(ics)
}

// slogPrinter lets promhttp log through slog.
type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Println(v ...any) {
	p.log.Warn("metrics handler error", "detail", fmt.Sprint(v...))
}

// uploadTimeout bounds the reading of one shared file from the page.
const uploadTimeout = 10 * time.Minute

// postFile shares the raw request body as a file named by ?name= in the
// meeting's chat; its Content-Type is the file's type.
func (s *Server) postFile(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := meetingID(r)
	if err != nil {
		return 0, nil, err
	}
	name := r.URL.Query().Get("name")
	if strings.TrimSpace(name) == "" {
		return 0, nil, errBadRequest("name is required: POST the file's bytes to …/files?name=<file name>")
	}
	if max := s.cfg.MaxUpload; max > 0 && r.ContentLength > max {
		return 0, nil, api.ErrTooLarge.With("the file is larger than %d MiB", max>>20)
	}
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(uploadTimeout))
	msg, err := s.backend.ShareFile(r.Context(), id, name, r.Header.Get("Content-Type"), r.Body)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, msg, nil
}

// getFile downloads a shared file. It is always an attachment of a generic
// type, never rendered on this origin, so a shared HTML or SVG file cannot
// run script with the page's rights.
func (s *Server) getFile(w http.ResponseWriter, r *http.Request) {
	id, err := meetingID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f, err := s.backend.OpenFile(r.Context(), id, r.PathValue("sha"))
	s.serveAttachment(w, r, f, err)
}

// getRecording downloads one recorded track.
func (s *Server) getRecording(w http.ResponseWriter, r *http.Request) {
	id, err := meetingID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f, err := s.backend.OpenRecording(r.Context(), id, r.PathValue("start")+"/"+r.PathValue("file"))
	s.serveAttachment(w, r, f, err)
}

// serveAttachment sends f (or the error) as a download.
func (s *Server) serveAttachment(w http.ResponseWriter, r *http.Request, f *File, err error) {
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer f.Content.Close()
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	disposition := mime.FormatMediaType("attachment", map[string]string{"filename": f.Name})
	if disposition == "" {
		disposition = "attachment"
	}
	h.Set("Content-Disposition", disposition)
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, "", f.ModTime, f.Content)
}
