package incidents

import (
	"time"

	"github.com/google/uuid"
)

// AlertRecord is an alert as stored. Every alert received is kept,
// whatever became of it (opened an incident, fed one, waited for triage,
// or was a repeat): during a storm nothing is dropped, and afterwards the
// postmortem can say when monitoring first knew.
type AlertRecord struct {
	ID          uuid.UUID
	ReceivedAt  time.Time
	Source      string // "cloudwatch", "alertmanager", …
	Fingerprint string // identifies the condition across repeats
	Status      string // "firing" or "resolved"
	Severity    string // "critical" or "warning"
	Title, Text string
	Labels      map[string]string
	Links       []string
	At          time.Time // when the sender says it happened
	// IncidentID is the incident the alert opened or fed; uuid.Nil when
	// none (a warning awaiting triage, a resolution of nothing open).
	IncidentID uuid.UUID
}

// AlertStats summarises the alerts with one fingerprint.
type AlertStats struct {
	Count       int
	First, Last time.Time // by received time
}

// Triage is a person's decision on a warning alert.
type Triage struct {
	Fingerprint string
	Decision    string // TriageDeclared, TriageMonitor or TriageDismissed
	By          string // Slack user ID
	At          time.Time
	IncidentID  uuid.UUID // the incident declared, for TriageDeclared
}

// Triage decisions.
const (
	TriageDeclared  = "declared"
	TriageMonitor   = "monitor"
	TriageDismissed = "dismissed"
)
