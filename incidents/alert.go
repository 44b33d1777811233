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
	// Card is the problem the alert belongs to (its group, else its
	// service, else its fingerprint): warnings of one problem share one
	// triage card, and a decision on the card covers them all.
	Card string
}

// AlertBatch is what AddAlerts stores in one transaction.
type AlertBatch struct {
	Alerts  []AlertRecord
	Effects []Effect
	// Cards are the triage cards the batch opens. A card already stored
	// (another replica opened it from the same alerts) is kept once.
	Cards []TriageCard
}

// TriageCard is one triage card of a problem; Epoch counts the cards the
// problem has had, so that every replica names the next one alike.
type TriageCard struct {
	Key      string
	Epoch    int
	OpenedAt time.Time
}

// CardView is what a triage card shows: the problem's alerts received
// since the card opened.
type CardView struct {
	Count  int           // alerts received
	Latest []AlertRecord // the latest alert of each fingerprint, newest first, at most the limit asked
	Firing int           // fingerprints whose latest alert is firing
	Total  int           // fingerprints
}

// Triage is a person's decision on a triage card.
type Triage struct {
	Card       string // the card's problem (AlertRecord.Card)
	Decision   string // TriageDeclared, TriageMonitor or TriageDismissed
	By         string // Slack user ID
	At         time.Time
	IncidentID uuid.UUID // the incident declared, for TriageDeclared
}

// Triage decisions.
const (
	TriageDeclared  = "declared"
	TriageMonitor   = "monitor"
	TriageDismissed = "dismissed"
)
