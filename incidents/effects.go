package incidents

import (
	"time"

	"github.com/google/uuid"
)

// EffectKind names something the bot does outside the store. Kinds are
// stored as text; a dispatcher that meets a kind it does not know fails
// that effect rather than guessing.
type EffectKind string

// The effects of an incident's set-up, in the order they are performed,
// and the effects later changes imply.
const (
	// EffectChannel creates the incident's channel, or finds the one an
	// interrupted attempt created; the result ("channel_id",
	// "channel_name") is attached to the incident.
	EffectChannel EffectKind = "channel"
	// EffectRefresh brings the channel topic and the header message up to
	// date with the incident as it is when performed.
	EffectRefresh EffectKind = "refresh"
	// EffectInvite invites Data["user"] to the channel.
	EffectInvite EffectKind = "invite"
	// EffectHeader posts the header message; its "ts" is kept.
	EffectHeader EffectKind = "header"
	// EffectRunbook posts a runbook card: Data["playbook"] when named,
	// else the best confident match for the incident (or Data["query"]).
	// The result records the card as EventRunbookPosted.
	EffectRunbook EffectKind = "runbook"
	// EffectPost tells people about Event: in the incident channel, the
	// incidents channel or a thread (Data["to"], see the To… constants).
	EffectPost EffectKind = "post"
	// EffectNotice is one line about an alert for the incident channel;
	// consecutive notices of one incident are posted as one message.
	EffectNotice EffectKind = "notice"
	// EffectTell tells one person (Data["user"]) something went wrong
	// (Data["text"]), privately.
	EffectTell EffectKind = "tell"
	// EffectTriage posts a problem's triage card (Data["card"], and the
	// first alert's fields); EffectTriageUpdate redraws it in place with
	// the problem's alerts as they are now, settled once all resolved.
	EffectTriage       EffectKind = "triage"
	EffectTriageUpdate EffectKind = "triage_update"
	// EffectSettle replaces a message's buttons with what was decided
	// (Data["channel"], Data["ts"], Data["text"]).
	EffectSettle EffectKind = "settle"
	// EffectRedraw redraws a runbook card from the record (Data["card_ts"]).
	EffectRedraw EffectKind = "redraw"
)

// Where an EffectPost goes (Data["to"]).
const (
	ToChannel  = "channel"  // the incident's channel (the default)
	ToAnnounce = "announce" // the channel every incident is announced in
	ToThread   = "thread"   // a thread in the incident channel (Data["thread"])
)

// Effect is something the bot decided to do outside the store: create a
// channel, post a message, invite someone. It is recorded in the same
// transaction as the change that implies it, and a Dispatcher performs it
// afterwards, retrying until it is done or fails for good, so nothing
// decided is lost to a crash or an outage.
type Effect struct {
	ID uuid.UUID
	// Key makes the effect idempotent: adding an effect whose key is
	// already stored adds nothing, and the performer uses it to recognise
	// its own earlier attempt (a message's metadata).
	Key string
	// Lane orders effects: those of one lane are performed one at a time,
	// in the order they were added. An incident's effects share the lane
	// named by its ID, so the header is never posted before the channel
	// exists.
	Lane       string
	IncidentID uuid.UUID // uuid.Nil for effects outside any incident
	Kind       EffectKind
	Event      Event             // what an EffectPost tells; zero otherwise
	Data       map[string]string // plain text; never Slack markup
	NotBefore  time.Time         // not performed before this time

	// Filled in by the store when the effect is claimed.
	Attempts  int    // attempts begun, this one included
	Uncertain bool   // an earlier attempt may have taken effect before it was interrupted
	LastError string // why the last attempt did not succeed
	Seq       int64  // the order of adding
}

// EffectState is where an effect is in its life.
type EffectState string

// Effect states: pending until performed, then done or (for good) failed.
const (
	EffectPending EffectState = "pending"
	EffectDone    EffectState = "done"
	EffectFailed  EffectState = "failed"
)

// Settlement is the outcome of an attempt at an effect (or a job).
type Settlement struct {
	ID      uuid.UUID
	Outcome Outcome
	Result  map[string]string // what the attempt produced (a message ts)
	Error   string            // why it failed or is retried
	// NotBefore is when a retried effect may be attempted again.
	NotBefore time.Time
	// Uncertain marks a retry whose failed attempt may still have taken
	// effect (a reset connection after the request was sent).
	Uncertain bool
}

// Outcome is what became of an attempt.
type Outcome string

// Outcomes of an attempt.
const (
	Done    Outcome = "done"
	Failed  Outcome = "failed"  // for good: nobody retries it unless repaired
	Retry   Outcome = "retry"   // again at NotBefore
	Release Outcome = "release" // not attempted; anyone may take it now
)

// Change is what an update writes in one transaction: the timeline
// events, the effects the change implies and the effects it settles.
type Change struct {
	Events  []Event
	Effects []Effect
	Settle  []Settlement
	// AlertKeys are the problems an incident opened by alerts stands for
	// (an alert group, a service and runbook): later alerts of the same
	// problem join it.
	AlertKeys []string
}

// Job is a request the bot accepted (a Slack envelope) whose work is not
// done yet. It is stored before the request is acknowledged, so work the
// bot said yes to survives a crash.
type Job struct {
	ID        uuid.UUID
	Key       string // the sender's delivery ID: a redelivery is the same job
	Kind      string
	Payload   []byte
	NotBefore time.Time
	Received  time.Time

	Attempts  int    // attempts begun, this one included (set on claim)
	LastError string // why the last attempt did not finish
}

// LaneOf is the lane of an incident's effects.
func LaneOf(id uuid.UUID) string { return id.String() }
