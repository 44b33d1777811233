// Package alerting decides what alerts mean: which incident an alert
// opens or joins, which triage card it belongs to, what the incident
// channel is told. Every piece of correlation state — the problems
// incidents stand for, cards posted, decisions taken, what an incident
// was told — is read from and written to the store, so a restart or a
// second replica decides exactly as one long-running process would. The
// Slack side only draws the effects these decisions owe.
package alerting

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/alerts"
)

// Matcher names the runbook an alert matches, if any.
type Matcher interface {
	Runbook(al alerts.Alert) (id string, ok bool)
}

// Log is what the router reads of the store: the alert log, and the
// effects of a card's lane (where it was posted).
type Log interface {
	AlertIncident(ctx context.Context, fingerprint string) (incidents.Incident, error)
	KeyedIncident(ctx context.Context, key string, since time.Time) (incidents.Incident, int, error)
	LatestAlert(ctx context.Context, fingerprint string) (incidents.AlertRecord, error)
	StillFiring(ctx context.Context, incident uuid.UUID) ([]incidents.AlertRecord, error)
	LatestCard(ctx context.Context, card string) (incidents.TriageCard, error)
	CardAlerts(ctx context.Context, card string, since time.Time, max int) (incidents.CardView, error)
	LastTriage(ctx context.Context, card string) (incidents.Triage, error)
	Effects(ctx context.Context, lane string) ([]incidents.EffectRecord, error)
}

// Options configure a Router.
type Options struct {
	Service *incidents.Service // every change goes through it
	Log     Log                // what the router reads
	Match   Matcher            // nil: no runbook is known
	// Window: a critical alert of the same service and runbook as an
	// incident opened less than Window ago joins it (default 30m).
	Window   time.Duration
	Severity incidents.Severity // of incidents alerts open (default sev2)
	BotUser  string             // reporter of incidents alerts open
	// Cards says a triage channel exists for warnings' cards.
	Cards bool
	// ServiceLabels are extra labels naming a service (see
	// alerts.Alert.Service).
	ServiceLabels []string
	MaxLines      int            // bounds one notice (default 10)
	Location      *time.Location // of times written in the timeline
	Logger        *zap.Logger
	Metrics       *Metrics // nil: not counted
}

// Router turns alerts into incidents, notices and triage cards
// (alerts.Sink). Decisions and the effects they owe are stored before
// Receive returns, so the sender's 2xx means nothing is lost.
type Router struct {
	opts  Options
	svc   *incidents.Service
	store Log
	// mu serialises this process's decisions; replicas agree through the
	// store (declaration keys, card epochs).
	mu      sync.Mutex
	stopped bool // under mu: Stop was called
}

// ErrStopped refuses alerts once the router stopped: the sender retries,
// at another replica or after the restart.
var ErrStopped = errors.New("alerting: stopping; retry")

// Stop waits (as long as ctx allows) for the decision in progress, then
// refuses new ones, so none runs while the store closes.
func (r *Router) Stop(ctx context.Context) {
	locked := make(chan struct{})
	go func() {
		r.mu.Lock()
		r.stopped = true
		r.mu.Unlock()
		close(locked)
	}()
	select {
	case <-locked:
	case <-ctx.Done():
	}
}

// New validates opts and returns a Router.
func New(opts Options) (*Router, error) {
	if opts.Service == nil || opts.Log == nil {
		return nil, errors.New("alerting: a service and the alert log are required")
	}
	if opts.BotUser == "" {
		return nil, errors.New("alerting: the bot's user is required (reporter of incidents alerts open)")
	}
	if opts.Window <= 0 {
		opts.Window = 30 * time.Minute
	}
	if opts.Severity == 0 {
		opts.Severity = incidents.Sev2
	}
	if opts.MaxLines <= 0 {
		opts.MaxLines = 10
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	return &Router{opts: opts, svc: opts.Service, store: opts.Log}, nil
}

// TriageWindow: a problem whose card was posted, or decided, this
// recently is counted on that card, not carded again.
const TriageWindow = 24 * time.Hour

// fpState is what one batch decided for one fingerprint.
type fpState struct {
	prob  problem
	inc   incidents.Incident
	has   bool // attached to an open incident
	isNew bool // that incident was opened by this batch: its opening message tells
	told  bool // the incident was told about this condition firing
	// lastID is the condition's latest stored alert (uuid.Nil: none).
	lastID   uuid.UUID
	lastRead bool // lastID was read
	first    alerts.Alert
	last     alerts.Alert
	firstID  uuid.UUID
	firing   int
	resolved int
	warning  bool
}

// batch is one Receive's decisions until they are stored.
type batch struct {
	now     time.Time
	states  map[string]*fpState
	order   []string
	opened  map[string]incidents.Incident // problem keys settled in this batch
	fresh   map[uuid.UUID]bool            // incidents this batch opened
	cards   map[string]bool               // cards this batch has owed an effect to
	foldKey string                        // the batch's shared card, once it has one
	folded  map[string]string             // problems (card keys) on the shared card
	joined  map[uuid.UUID][]string        // groups that joined an incident by service and runbook
	recs    []incidents.AlertRecord
	effs    []incidents.Effect
	cardsIn []incidents.TriageCard
	notices map[uuid.UUID]*noticeGroup
}

// Receive decides and stores; see Router.
func (r *Router) Receive(ctx context.Context, as []alerts.Alert) error {
	// A sender hanging up must not cut a decision in half (an incident
	// declared, its alerts not stored).
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return ErrStopped
	}
	b := &batch{now: r.svc.Now(), states: map[string]*fpState{}, opened: map[string]incidents.Incident{}, fresh: map[uuid.UUID]bool{},
		cards: map[string]bool{}, folded: map[string]string{}, joined: map[uuid.UUID][]string{}, notices: map[uuid.UUID]*noticeGroup{}}
	for _, al := range as {
		if err := r.take(ctx, b, al); err != nil {
			return err
		}
	}
	for _, fp := range b.order {
		if err := r.follow(ctx, b, b.states[fp]); err != nil {
			return err
		}
	}
	for i, rec := range b.recs {
		if key, ok := b.folded[rec.Card]; ok {
			b.recs[i].Card = key
		}
	}
	for id, keys := range b.joined {
		if err := r.svc.AddAlertKeys(ctx, id, keys); err != nil && !errors.Is(err, incidents.ErrNotFound) {
			return err
		}
	}
	// The incidents are told first: a crash before the alerts are stored
	// makes the sender retry, which tells them again under the same keys.
	if err := r.tellAll(ctx, b); err != nil {
		return err
	}
	return r.svc.RecordAlerts(ctx, incidents.AlertBatch{Alerts: b.recs, Effects: b.effs, Cards: b.cardsIn})
}

// take decides one alert of the batch: its fingerprint's state, and an
// incident for a critical one that has none.
func (r *Router) take(ctx context.Context, b *batch, al alerts.Alert) error {
	st, err := r.state(ctx, b, al)
	if err != nil {
		return err
	}
	st.last = al
	rec := incidents.AlertRecord{ID: recordID(al), ReceivedAt: b.now, Source: al.Source, Fingerprint: al.Fingerprint, Status: string(al.Status),
		Severity: string(al.Severity), Title: al.Title, Text: al.Text, Labels: al.Labels, Links: al.Links, At: al.At, Card: st.prob.card()}
	if st.firstID == uuid.Nil {
		st.firstID = rec.ID
	}
	if al.Status == alerts.Firing && al.Severity == alerts.Critical && !st.has {
		if err := r.open(ctx, b, st, al); err != nil {
			return err
		}
	}
	switch {
	case al.Status == alerts.Resolved:
		st.resolved++
	case al.Severity == alerts.Warning && !st.has:
		st.warning = true
	default:
		st.firing++
	}
	if st.has {
		rec.IncidentID = st.inc.ID
	}
	b.recs = append(b.recs, rec)
	return nil
}

// state is the batch's state of al's fingerprint, read from the store on
// first sight: the open incident it is attached to, and whether that
// incident was told it fires.
func (r *Router) state(ctx context.Context, b *batch, al alerts.Alert) (*fpState, error) {
	if st := b.states[al.Fingerprint]; st != nil {
		return st, nil
	}
	st := &fpState{prob: r.problemOf(al), first: al}
	inc, err := r.store.AlertIncident(ctx, al.Fingerprint)
	switch {
	case err == nil:
		st.inc, st.has = inc, true
		last, err := r.latest(ctx, st)
		if err != nil {
			return nil, err
		}
		st.told = st.lastID != uuid.Nil && last.IncidentID == inc.ID && last.Status == string(alerts.Firing)
	case !errors.Is(err, incidents.ErrNotFound):
		return nil, err
	default:
		// A problem declared from its triage card: its new conditions
		// belong to that incident (news to it, so told).
		inc, _, err := r.keyed(ctx, b, cardProblemKey(st.prob.card()), time.Time{})
		switch {
		case err == nil:
			st.inc, st.has = inc, true
		case !errors.Is(err, incidents.ErrNotFound):
			return nil, err
		}
	}
	b.states[al.Fingerprint] = st
	b.order = append(b.order, al.Fingerprint)
	return st, nil
}

// latest reads the condition's latest stored alert, once per delivery
// (only conditions an incident hears about need it).
func (r *Router) latest(ctx context.Context, st *fpState) (incidents.AlertRecord, error) {
	last, err := r.store.LatestAlert(ctx, st.first.Fingerprint)
	switch {
	case err == nil:
		st.lastID = last.ID
	case errors.Is(err, incidents.ErrNotFound):
		err = nil
	}
	st.lastRead = true
	return last, err
}
