package api

import (
	"net/url"
	"strings"
)

// Routes of the local API, as http.ServeMux patterns without the method;
// {id} is a meeting ID. Path fills one in for a client.
const (
	RouteNode         = "/api/node"
	RouteName         = "/api/node/name"
	RouteDiagnostics  = "/api/node/diagnostics"
	RouteTickets      = "/api/tickets"
	RouteMeetings     = "/api/meetings"
	RouteJoin         = "/api/meetings/join"
	RouteMeeting      = "/api/meetings/{id}"
	RouteLeave        = "/api/meetings/{id}/leave"
	RouteEnd          = "/api/meetings/{id}/end"
	RouteRole         = "/api/meetings/{id}/role"
	RouteAdmit        = "/api/meetings/{id}/admit"
	RouteDeny         = "/api/meetings/{id}/deny"
	RouteRemove       = "/api/meetings/{id}/remove"
	RouteMute         = "/api/meetings/{id}/mute"
	RouteRecording    = "/api/meetings/{id}/recording"
	RouteExtend       = "/api/meetings/{id}/extend"
	RouteRekey        = "/api/meetings/{id}/rekey"
	RouteRecordings   = "/api/meetings/{id}/recordings"
	RouteRecordedFile = "/api/meetings/{id}/recordings/{start}/{file}"
	RouteLobby        = "/api/meetings/{id}/lobby"
	RouteState        = "/api/meetings/{id}/state"
	RouteReactions    = "/api/meetings/{id}/reactions"
	RouteMessages     = "/api/meetings/{id}/messages"
	RouteFiles        = "/api/meetings/{id}/files"
	RouteFile         = "/api/meetings/{id}/files/{sha}"
	RouteParticipants = "/api/meetings/{id}/participants"
	RouteMedia        = "/api/meetings/{id}/media"
	RouteAudit        = "/api/meetings/{id}/audit"
	RouteCalendar     = "/api/meetings/{id}/calendar.ics"
	RouteEvents       = "/api/meetings/{id}/events"
	RouteExport       = "/api/meetings/{id}/export"
)

// Path is route with the meeting ID filled in (escaped).
func Path(route, id string) string {
	return strings.Replace(route, "{id}", url.PathEscape(id), 1)
}
