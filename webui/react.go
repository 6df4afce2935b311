package webui

import (
	"net/http"
	"strings"

	"meshmeet/webui/api"
)

// postReaction shows an emoji to everyone in the meeting: {"emoji":"👍"}.
func (s *Server) postReaction(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := meetingID(r)
	if err != nil {
		return 0, nil, err
	}
	var req api.ReactionRequest
	if err := decodeBody(w, r, &req, false); err != nil {
		return 0, nil, err
	}
	if req.Emoji == "" {
		return 0, nil, errBadRequest("emoji is required")
	}
	if err := s.backend.React(r.Context(), id, req.Emoji); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

// putName changes this node's display name: {"name":"Ana"}.
func (s *Server) putName(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var req api.NameRequest
	if err := decodeBody(w, r, &req, false); err != nil {
		return 0, nil, err
	}
	if strings.TrimSpace(req.Name) == "" {
		return 0, nil, errBadRequest("name is required")
	}
	return ok200(s.backend.SetName(r.Context(), strings.TrimSpace(req.Name)))
}
