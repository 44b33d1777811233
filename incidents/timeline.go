package incidents

import (
	"time"

	"github.com/google/uuid"
)

// EventKind names what happened in a timeline event. Kinds are stored as
// text, so new kinds need no migration; readers must tolerate unknown ones.
type EventKind string

// Event kinds recorded by the incident core. Later capabilities (reminders,
// escalations, alerts, actions) add their own.
const (
	EventDeclared         EventKind = "declared"
	EventStatusUpdate     EventKind = "status_update"
	EventSeverityChanged  EventKind = "severity_changed"
	EventCommanderChanged EventKind = "commander_changed"
	EventMitigated        EventKind = "mitigated"
	EventReopened         EventKind = "reopened"
	EventResolved         EventKind = "resolved"
	EventChannelCreated   EventKind = "channel_created"
	// EventStepFailed records a side effect that did not happen (a Slack
	// call that failed), so the record says what was and was not done.
	EventStepFailed EventKind = "step_failed"
	EventNote       EventKind = "note"

	// Runbook cards: posted (or switched to another playbook) in the
	// channel, and checklist items ticked or unticked by someone.
	EventRunbookPosted   EventKind = "runbook_posted"
	EventRunbookSwitched EventKind = "runbook_switched"
	// No playbook fitted confidently: the closest were offered to choose
	// from (choosing one is EventRunbookSwitched on the same message).
	EventRunbookSuggested EventKind = "runbook_suggested"
	EventCheckDone        EventKind = "check_done"
	EventCheckUndone      EventKind = "check_undone"

	// Timers: a reminder to post an update, a snooze of it, an escalation.
	EventReminder  EventKind = "reminder"
	EventSnoozed   EventKind = "reminder_snoozed"
	EventEscalated EventKind = "escalated"

	// An alert that opened the incident, joined it or resolved; Data has
	// "source", "fingerprint", "status" and "at" (when it fired, RFC 3339).
	EventAlert EventKind = "alert"

	// Remediation actions: every run leaves who, what, parameters, the
	// outcome (AWS request ID or SQL result) and duration.
	EventActionPreviewed EventKind = "action_previewed"
	EventActionStarted   EventKind = "action_started"
	EventActionFinished  EventKind = "action_finished"
	EventActionCancelled EventKind = "action_cancelled"

	// The postmortem draft posted in the channel (Data has its ts, so the
	// next run replaces it), and an action item added with the resolution
	// message's button.
	EventPostmortem EventKind = "postmortem_posted"
	EventActionItem EventKind = "action_item"
)

// Event is one entry in an incident's timeline. Events are append-only.
type Event struct {
	ID         uuid.UUID
	IncidentID uuid.UUID
	At         time.Time
	Actor      string // Slack user ID, or "bot" for the bot itself
	Kind       EventKind
	Text       string            // human-readable summary
	Data       map[string]string // structured details (old/new values, error codes)
}

// ActorBot is the actor of events the bot records on its own behalf.
const ActorBot = "bot"
