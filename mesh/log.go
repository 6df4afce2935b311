package mesh

import "meshmeet/mesh/eventlog"

// The meeting log lives in package eventlog; these names are how the rest of
// the mesh and the API speak of it.
type (
	Event      = eventlog.Event
	Record     = eventlog.Record
	Settings   = eventlog.Settings
	FileRef    = eventlog.FileRef
	AuditEntry = eventlog.AuditEntry
)

// Event types, roles, statuses and limits of the log.
const (
	TypeGenesis = eventlog.TypeGenesis
	TypeJoin    = eventlog.TypeJoin
	TypeLeave   = eventlog.TypeLeave
	TypeRole    = eventlog.TypeRole
	TypeEnd     = eventlog.TypeEnd
	TypeChat    = eventlog.TypeChat
	TypeAdmit   = eventlog.TypeAdmit
	TypeDeny    = eventlog.TypeDeny
	TypeRemove  = eventlog.TypeRemove
	TypeMute    = eventlog.TypeMute
	TypeRecord  = eventlog.TypeRecord
	TypeExtend  = eventlog.TypeExtend
	TypeUpdate  = eventlog.TypeUpdate

	RoleHost        = eventlog.RoleHost
	RoleModerator   = eventlog.RoleModerator
	RoleParticipant = eventlog.RoleParticipant

	StatusScheduled = eventlog.StatusScheduled
	StatusActive    = eventlog.StatusActive
	StatusEnded     = eventlog.StatusEnded

	MaxTitle       = eventlog.MaxTitle
	MaxDescription = eventlog.MaxDescription
	MaxText        = eventlog.MaxText
	MaxName        = eventlog.MaxName
	MaxDuration    = eventlog.MaxDuration
	MaxCapacity    = eventlog.MaxCapacity
	MaxFile        = eventlog.MaxFile
	MaxFileName    = eventlog.MaxFileName
)

// decodeStrict decodes one JSON value from a peer or a page, refusing
// unknown fields and trailing data.
var decodeStrict = eventlog.DecodeStrict

// st is the meeting as its log folds it now (mu held).
func (m *meeting) st() *eventlog.State { return m.log.State() }
