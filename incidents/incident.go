// Package incidents is the domain at the centre of incident-bot: incidents,
// their lifecycle and their timeline. It knows nothing of Slack, AWS or SQL;
// adapters below it (incidents/postgres, incidents/sqlite) implement Store,
// and the bot package drives Service from Slack.
package incidents

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Severity ranks an incident; 1 is the most severe.
type Severity int

// The four severities the team uses.
const (
	Sev1 Severity = 1
	Sev2 Severity = 2
	Sev3 Severity = 3
	Sev4 Severity = 4
)

// DefaultSeverity applies when someone declares an incident without naming
// one: a sev3 is "something is wrong, we are looking", which is what a bare
// declaration usually means at 3 a.m.
const DefaultSeverity = Sev3

// ParseSeverity accepts "sev1".."sev4", "SEV2", "s3" or a bare digit.
func ParseSeverity(s string) (Severity, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "sev")
	s = strings.TrimPrefix(s, "s")
	s = strings.TrimPrefix(s, "p")
	if len(s) != 1 || s[0] < '1' || s[0] > '4' {
		return 0, false
	}
	return Severity(s[0] - '0'), true
}

// Valid reports whether s is one of the four severities.
func (s Severity) Valid() bool { return s >= Sev1 && s <= Sev4 }

func (s Severity) String() string {
	if !s.Valid() {
		return fmt.Sprintf("sev?(%d)", int(s))
	}
	return fmt.Sprintf("sev%d", int(s))
}

// Label is the upper-case form used in Slack text ("SEV1").
func (s Severity) Label() string { return strings.ToUpper(s.String()) }

// Status is where an incident is in its lifecycle.
type Status string

// The lifecycle is investigating → mitigated → resolved. A mitigated incident
// may regress to investigating; a resolved incident is closed for good.
const (
	StatusInvestigating Status = "investigating"
	StatusMitigated     Status = "mitigated"
	StatusResolved      Status = "resolved"
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	switch s {
	case StatusInvestigating, StatusMitigated, StatusResolved:
		return true
	}
	return false
}

// Title is the capitalised form for display.
func (s Status) Title() string {
	if s == "" {
		return ""
	}
	return strings.ToUpper(string(s[:1])) + string(s[1:])
}

// Open reports whether work on the incident is still going on.
func (s Status) Open() bool { return s != StatusResolved }

// transitions lists the allowed status changes; anything else is refused.
var transitions = map[Status][]Status{
	StatusInvestigating: {StatusMitigated, StatusResolved},
	StatusMitigated:     {StatusInvestigating, StatusResolved},
}

// CanMoveTo reports whether the lifecycle allows going from s to next.
func (s Status) CanMoveTo(next Status) bool {
	for _, t := range transitions[s] {
		if t == next {
			return true
		}
	}
	return false
}

// Incident is one declared incident. Times are UTC.
type Incident struct {
	ID          uuid.UUID
	Number      int64 // human-friendly, assigned by the store: "#12"
	Title       string
	Description string
	Severity    Severity
	Status      Status
	Commander   string // Slack user ID
	Reporter    string // Slack user ID
	ChannelID   string // empty until the channel exists
	ChannelName string
	HeaderTS    string // ts of the header message, so it can be kept current
	Summary     string // resolution summary
	DeclaredAt  time.Time
	UpdatedAt   time.Time
	MitigatedAt time.Time // zero when not mitigated
	ResolvedAt  time.Time // zero when open
	// LastStatusUpdateAt is when the last status update was posted (or the
	// declaration, before the first update): the reminder clock reads it.
	LastStatusUpdateAt time.Time

	// Timers, kept on the incident so that every change that affects them
	// (an update, a resolution) moves them in the same transaction. Zero
	// means not scheduled.
	RemindAt        time.Time // next "post a status update" reminder
	EscalateAt      time.Time // next escalation level falls due
	EscalationLevel int       // escalation levels already fired
	ReminderSnoozed bool      // the current reminder was snoozed (once)

	// Acknowledgement: a person took command, or a paging provider says
	// someone acknowledged the page. Until then an incident an alert
	// opened pages the first level at AckDueAt.
	AckDueAt       time.Time // zero: no acknowledgement awaited
	AcknowledgedAt time.Time // zero: nobody has acknowledged it
	AcknowledgedBy string    // a Slack user ID, or the provider's "PagerDuty: name"
	// Paged are the pages sent: acknowledged and resolved as they were
	// sent, whatever the settings or the severity have become since.
	Paged []Paged
}

// OnCallPaged says whether the first level was paged (for want of an
// acknowledgement, or on demand): read from the pages sent.
func (i Incident) OnCallPaged() bool {
	return slices.ContainsFunc(i.Paged, func(p Paged) bool { return p.Level == LevelAck })
}

// Paged is one page sent: its level and where it went.
type Paged struct {
	Level  string     `json:"level"`
	Target PageTarget `json:"target"`
}

// NextTimer is the earliest scheduled timer, or zero when none is.
func (i Incident) NextTimer() time.Time {
	var next time.Time
	for _, t := range []time.Time{i.RemindAt, i.EscalateAt, i.AckDueAt} {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	return next
}

// Ref is how people refer to an incident: "#12".
func (i Incident) Ref() string { return fmt.Sprintf("#%d", i.Number) }

// Duration is how long the incident has lasted, up to now or its resolution.
func (i Incident) Duration(now time.Time) time.Duration {
	end := now
	if !i.ResolvedAt.IsZero() {
		end = i.ResolvedAt
	}
	return end.Sub(i.DeclaredAt)
}
