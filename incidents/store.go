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
//
// Store is what an adapter implements; each part of the bot depends only
// on the role it uses: the Service on ServiceStore, the bot's inbox on
// Inbox, the alert router on its own read port, actions on Locks, the
// Transcript on ChannelLog.
type Store interface {
	IncidentStore
	Outbox
	Inbox
	AlertLog
	Claims
	Locks
	ChannelLog
	// Ping checks that the store is reachable.
	Ping(ctx context.Context) error
	Close() error
}

// ServiceStore is what the Service uses: incidents, the effects they owe,
// the alerts it records and once-only claims.
type ServiceStore interface {
	IncidentStore
	Outbox
	AlertWriter
	Claims
}

// Claims records keys once across every replica.
type Claims interface {
	// Claim records key and reports whether this call was the first to
	// claim it. Scheduled jobs use it so that, with several replicas on
	// one database, a job meant to run once (the daily digest for a given
	// day) runs once. Claims never expire.
	Claim(ctx context.Context, key string) (bool, error)
}

// Locks are named locks shared by every replica on the store.
type Locks interface {
	// TryLock takes a named lock — the resource an action is changing —
	// and returns its release function. When someone else holds it, it
	// returns ErrLocked at once.
	TryLock(ctx context.Context, name string) (release func(), err error)
}

// IncidentStore keeps incidents and their timelines. Every write of an
// incident writes its events and the effects it implies in the same
// transaction.
type IncidentStore interface {
	// Create stores a new incident with its first events and effects and
	// assigns its Number. key makes creation idempotent: when an incident
	// was already created with the same non-empty key (a redelivered Slack
	// envelope, a double-submitted form), Create stores nothing and returns
	// that incident with ErrDuplicate.
	Create(ctx context.Context, inc Incident, ch Change, key string) (Incident, error)

	// Get returns the incident with the given ID, or ErrNotFound.
	Get(ctx context.Context, id uuid.UUID) (Incident, error)

	// ByChannel returns the incident whose Slack channel is channelID, or
	// ErrNotFound.
	ByChannel(ctx context.Context, channelID string) (Incident, error)

	// List returns incidents, most recently declared first.
	List(ctx context.Context, f ListFilter) ([]Incident, error)

	// Update reads the incident under a write lock, calls fn with it, and
	// stores the modified incident together with the change fn returns
	// (events, new effects, effects settled), all or nothing. If fn
	// returns an error nothing is written and Update returns it. fn may
	// be called more than once if the store retries a transaction, so it
	// must not have side effects.
	//
	// A non-empty key (a Slack view ID, a button click) makes the update
	// idempotent: when key was used by an earlier successful Update or
	// Create, fn is not called, nothing is written, and the incident is
	// returned as it is with ErrDuplicate. The key is recorded in the
	// same transaction, so a failed change leaves it unused.
	Update(ctx context.Context, id uuid.UUID, key string, fn func(*Incident) (Change, error)) (Incident, error)

	// Timeline returns the incident's events in the order they happened.
	Timeline(ctx context.Context, id uuid.UUID) ([]Event, error)

	// Due returns the IDs of open incidents with a timer (RemindAt or
	// EscalateAt) at or before now, earliest first, at most limit, and
	// the earliest timer after now (zero when there is none) so the
	// scheduler knows when to look again. It reads without locking: the
	// caller re-checks each incident under Update's lock before firing.
	Due(ctx context.Context, now time.Time, limit int) (ids []uuid.UUID, next time.Time, err error)
}

// Outbox keeps the effects the bot decided on until they are performed.
// Claims are shared by every replica on the store: an effect is performed
// by one of them at a time, and the effects of a lane one after another.
// A claim dies with the process that holds it (PostgreSQL: its session;
// the embedded store: its process), so a crash hands the work on at once.
type Outbox interface {
	// AddEffects stores effects that belong to no incident change (a
	// triage card). An effect whose key is stored already is skipped.
	AddEffects(ctx context.Context, effs []Effect) error

	// ClaimEffects claims, for this process, up to limit pending effects
	// that are due at now and first in their lane, in the order they were
	// added, and returns them with when the next pending effect falls
	// due (zero when none is waiting for a time). Effects returned with
	// an error are claimed all the same and must be attempted.
	ClaimEffects(ctx context.Context, now time.Time, limit int) ([]Effect, time.Time, error)

	// SettleEffects records the outcome of attempts at claimed effects.
	// Settlements that change an incident go through Update instead.
	SettleEffects(ctx context.Context, ss []Settlement) error

	// Effects returns a lane's effects in order, whatever their state.
	Effects(ctx context.Context, lane string) ([]EffectRecord, error)

	// RetryFailed makes a lane's failed effects pending again (repair)
	// and says how many there were.
	RetryFailed(ctx context.Context, lane string, now time.Time) (int, error)

	// Prune deletes done effects and settled jobs settled before the
	// given time. Failed effects stay: they are what a repair does.
	Prune(ctx context.Context, before time.Time) (int, error)

	// Backlog counts the work owed: pending jobs and effects, and effects
	// that failed for good (they wait for a repair).
	Backlog(ctx context.Context) (Backlog, error)
}

// Backlog is the work owed, for metrics and for tests that wait for it.
type Backlog struct {
	Jobs, Effects, Failed int
	Oldest                time.Time // the oldest pending effect's creation; zero when none
}

// EffectRecord is a stored effect with its state.
type EffectRecord struct {
	Effect
	State   EffectState
	Result  map[string]string
	Created time.Time
}

// Inbox keeps the requests the bot accepted until their work is done.
type Inbox interface {
	// AddJobs stores jobs claimed by this process and says which were
	// new: a job whose key is stored already (a redelivery) is not.
	AddJobs(ctx context.Context, jobs []Job) ([]bool, error)

	// ClaimJobs claims up to limit due jobs nobody alive holds, and
	// this process's own jobs held longer than a minute (the caller skips
	// those it is still running).
	ClaimJobs(ctx context.Context, now time.Time, limit int) ([]Job, error)

	// SettleJobs records what became of claimed jobs.
	SettleJobs(ctx context.Context, ss []Settlement) error
}

// AlertLog keeps every alert received, the problems incidents opened by
// alerts stand for, triage cards and the decisions on them. Its readers
// declare what they read (incidents/alerting.Log).
type AlertLog interface {
	AlertWriter

	// AlertIncident returns the open incident that an alert with this
	// fingerprint was attached to, the most recently declared if several,
	// or ErrNotFound.
	AlertIncident(ctx context.Context, fingerprint string) (Incident, error)

	// KeyedIncident returns the open incident opened under key (see
	// Change.AlertKeys) at or after since, the most recent if several, or
	// ErrNotFound; and how many incidents were ever opened under key.
	KeyedIncident(ctx context.Context, key string, since time.Time) (inc Incident, opened int, err error)

	// LatestAlert returns the alert with this fingerprint received last,
	// or ErrNotFound.
	LatestAlert(ctx context.Context, fingerprint string) (AlertRecord, error)

	// StillFiring returns, for each fingerprint attached to the incident
	// whose latest alert is firing, that alert.
	StillFiring(ctx context.Context, incident uuid.UUID) ([]AlertRecord, error)

	// LatestCard returns the problem's latest triage card, or ErrNotFound.
	LatestCard(ctx context.Context, card string) (TriageCard, error)

	// CardAlerts summarises the problem's alerts received at or after
	// since, with the latest alert of at most max fingerprints.
	CardAlerts(ctx context.Context, card string, since time.Time, max int) (CardView, error)

	// LastTriage returns the latest decision on a card, or ErrNotFound.
	LastTriage(ctx context.Context, card string) (Triage, error)
}

// AlertWriter records alerts and decisions on them.
type AlertWriter interface {
	// AddAlerts stores a batch of alerts, all or none, with the effects
	// and triage cards they imply, in one transaction. An alert whose ID,
	// an effect whose key or a card whose key and epoch is stored already
	// is skipped, so a retried delivery does not count twice.
	AddAlerts(ctx context.Context, b AlertBatch) error

	// TriageAlerts records a person's decision on a card, with the
	// effects it implies. With a non-nil incident, the card's alerts not
	// yet attached to any incident are attached to it, in the same
	// transaction, so the next alert of that problem joins the incident.
	TriageAlerts(ctx context.Context, t Triage, effs []Effect) error
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

// ErrNotHeld refuses a change that settles work this process no longer
// holds, or that is settled already: another process took it over, or an
// earlier try of the same change was written although its answer was
// lost. Nothing of the change is written, so what it says (a step
// failed, a channel created) is not said twice.
var ErrNotHeld = errors.New("the work is no longer held by this process, or is settled already")

// ErrChannelTaken is returned when a channel is already mapped to another
// incident: one channel belongs to at most one incident.
var ErrChannelTaken = &Error{Code: ECONFLICT, Message: "that channel already belongs to another incident"}
