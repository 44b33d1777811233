package incidents

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
)

// Store keeps incidents and their timelines durably. Every method that
// changes an incident writes the incident, its new timeline events and its
// channel mapping in one transaction: either all of it happened or none.
//
// Implementations: incidents/postgres (several replicas may share one
// database) and incidents/sqlite (the embedded single-replica store). Both
// pass the suite in incidents/storetest.
type Store interface {
	// Create stores a new incident with its first timeline events and
	// assigns its Number. key makes creation idempotent: when an incident
	// was already created with the same non-empty key (a redelivered Slack
	// envelope, a double-submitted form), Create stores nothing and returns
	// that incident with ErrDuplicate.
	Create(ctx context.Context, inc Incident, events []Event, key string) (Incident, error)

	// Get returns the incident with the given ID, or ErrNotFound.
	Get(ctx context.Context, id uuid.UUID) (Incident, error)

	// ByChannel returns the incident whose Slack channel is channelID, or
	// ErrNotFound.
	ByChannel(ctx context.Context, channelID string) (Incident, error)

	// List returns incidents, most recently declared first.
	List(ctx context.Context, f ListFilter) ([]Incident, error)

	// Update reads the incident under a write lock, calls fn with it, and
	// stores the modified incident together with the events fn returns.
	// If fn returns an error nothing is written and Update returns it.
	// fn may be called more than once if the store retries a transaction,
	// so it must not have side effects.
	Update(ctx context.Context, id uuid.UUID, fn func(*Incident) ([]Event, error)) (Incident, error)

	// UpdateOnce is Update made idempotent by key (a Slack view ID, a
	// button click): when key was used by an earlier successful UpdateOnce
	// or Create, fn is not called, nothing is written, and the incident is
	// returned as it is with ErrDuplicate. The key is recorded in the same
	// transaction as the change, so a failed change leaves it unused. An
	// empty key behaves like Update.
	UpdateOnce(ctx context.Context, id uuid.UUID, key string, fn func(*Incident) ([]Event, error)) (Incident, error)

	// Timeline returns the incident's events in the order they happened.
	Timeline(ctx context.Context, id uuid.UUID) ([]Event, error)

	// Due returns the IDs of open incidents with a timer (RemindAt or
	// EscalateAt) at or before now, earliest first, at most limit, and
	// the earliest timer after now (zero when there is none) so the
	// scheduler knows when to look again. It reads without locking: the
	// caller re-checks each incident under Update's lock before firing.
	Due(ctx context.Context, now time.Time, limit int) (ids []uuid.UUID, next time.Time, err error)

	// Claim records key and reports whether this call was the first to
	// claim it. Scheduled jobs use it so that, with several replicas on
	// one database, a job meant to run once (the daily digest for a given
	// day) runs once. Claims never expire.
	Claim(ctx context.Context, key string) (bool, error)

	// AddAlerts stores alerts, all or none, in one transaction. An alert
	// whose ID is already stored is skipped, so a retried delivery does
	// not count twice.
	AddAlerts(ctx context.Context, alerts []AlertRecord) error

	// AlertIncident returns the open incident that an alert with this
	// fingerprint was attached to, the most recently declared if several,
	// or ErrNotFound.
	AlertIncident(ctx context.Context, fingerprint string) (Incident, error)

	// AlertStats counts the alerts with this fingerprint received at or
	// after since.
	AlertStats(ctx context.Context, fingerprint string, since time.Time) (AlertStats, error)

	// LatestAlert returns the alert with this fingerprint received last,
	// or ErrNotFound.
	LatestAlert(ctx context.Context, fingerprint string) (AlertRecord, error)

	// TriageAlerts records a person's triage decision on a fingerprint.
	// With a non-nil incident, the fingerprint's alerts not yet attached
	// to any incident are attached to it, in the same transaction, so
	// the next alert of that condition joins the incident.
	TriageAlerts(ctx context.Context, t Triage) error

	// LastTriage returns the latest triage decision on a fingerprint, or
	// ErrNotFound.
	LastTriage(ctx context.Context, fingerprint string) (Triage, error)

	// TryLock takes a named lock shared by every replica on the store —
	// the resource an action is changing — and returns its release
	// function. When someone else holds it, it returns ErrLocked at once.
	TryLock(ctx context.Context, name string) (release func(), err error)

	// Ping checks that the store is reachable.
	Ping(ctx context.Context) error

	Close() error
}

// ListFilter narrows List.
type ListFilter struct {
	OpenOnly bool // only incidents that are not resolved
	Limit    int  // 0 means no limit
}

// ErrDuplicate is returned (wrapped or not) by Store.Create when the
// idempotency key was used before.
var ErrDuplicate = errors.New("incident already created for this request")

// ErrLocked is returned by TryLock when the lock is held elsewhere.
var ErrLocked = errors.New("held by another")

// ErrChannelTaken is returned when a channel is already mapped to another
// incident: one channel belongs to at most one incident.
var ErrChannelTaken = &Error{Code: ECONFLICT, Message: "that channel already belongs to another incident"}
