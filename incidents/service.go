package incidents

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Clock tells the time. Tests inject a fake one.
type Clock interface{ Now() time.Time }

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns the current time in UTC.
func (SystemClock) Now() time.Time { return time.Now().UTC() }

// Limits on user-supplied text, so one paste cannot blow up a Slack message
// or the store.
const (
	MaxTitleLen       = 150
	MaxDescriptionLen = 3000
	MaxUpdateLen      = 3000
)

// Service applies the lifecycle rules and records every change in the
// timeline, with the effects it implies (channel, posts, announcements) in
// the same transaction. It is safe for concurrent use.
type Service struct {
	store  ServiceStore
	clock  Clock
	newID  func() uuid.UUID
	policy Policy
	wake   func()
	// botUser commands the incidents alerts open until a person takes
	// over; anyoneMayChange opens every incident's changes to everyone.
	botUser         string
	anyoneMayChange bool
}

// ServiceOptions configures NewService. Clock and NewID default to the
// real clock and random UUIDs.
type ServiceOptions struct {
	Store ServiceStore
	Clock Clock
	NewID func() uuid.UUID
	// Policy sets the update reminders and escalation; the zero Policy
	// schedules no timers.
	Policy Policy
	// OnEffects is called after a change that added effects commits, so
	// the dispatcher performs them at once instead of at its next poll.
	OnEffects func()
	// BotUser is the bot's own user ID: the reporter and commander of
	// incidents alerts open, which anyone may take command of.
	BotUser string
	// AnyoneMayChange lets anyone hand over command, change the status or
	// the severity of any incident; otherwise only its commander, its
	// reporter and approvers may (see By.Approver).
	AnyoneMayChange bool
}

// NewService validates opts and returns a Service.
func NewService(opts ServiceOptions) (*Service, error) {
	if opts.Store == nil {
		return nil, errors.New("incidents: a store is required")
	}
	if opts.Clock == nil {
		opts.Clock = SystemClock{}
	}
	if opts.NewID == nil {
		opts.NewID = uuid.New
	}
	if err := opts.Policy.Validate(); err != nil {
		return nil, fmt.Errorf("incidents: timer policy: %w", err)
	}
	if opts.OnEffects == nil {
		opts.OnEffects = func() {}
	}
	return &Service{store: opts.Store, clock: opts.Clock, newID: opts.NewID, policy: opts.Policy, wake: opts.OnEffects,
		botUser: opts.BotUser, anyoneMayChange: opts.AnyoneMayChange}, nil
}

// OnEffects sets what is called after effects are added (the dispatcher's
// wake-up), for wiring that builds the dispatcher after the service.
func (s *Service) OnEffects(fn func()) { s.wake = fn }

// By says who asks for a change and, optionally, the idempotency key of
// the request (a Slack view ID or button click) so that a request Slack
// delivers twice changes the incident once.
type By struct {
	User string
	Key  string
	// Approver says the person is an approver (a member of the approver
	// user groups): the caller looks it up, as the domain knows nothing of
	// Slack's user groups.
	Approver bool
}

// Policy is the timer policy the service applies.
func (s *Service) Policy() Policy { return s.policy }

// Now is the service clock's time.
func (s *Service) Now() time.Time { return s.clock.Now() }

// Declaration is what someone supplies to open an incident.
type Declaration struct {
	Title       string
	Description string
	Severity    Severity // zero means DefaultSeverity
	Reporter    string   // Slack user ID; becomes the commander
	Source      string   // how it was declared ("slash command", "modal")
	// Key makes the declaration idempotent (e.g. the Slack trigger ID).
	Key string
	// Opening is an event recorded with the declaration (the alert that
	// opened it) and posted in the new channel after the header.
	Opening *Event
	// Runbook is what the set-up matches the runbook card on; empty, the
	// title and description.
	Runbook RunbookQuery
	// AlertKeys are the problems an incident opened from alerts stands
	// for (see Change.AlertKeys).
	AlertKeys []string
}

// RunbookQuery is what a runbook card is matched on.
type RunbookQuery struct {
	Text   string
	Labels map[string]string
	// Critical: a firing critical alert, which falls back to the
	// procedure for critical alerts when no playbook fits.
	Critical bool
}

// Declare opens an incident. When the same Key was declared before it
// returns the existing incident and created=false.
func (s *Service) Declare(ctx context.Context, d Declaration) (inc Incident, created bool, err error) {
	d.Title = strings.TrimSpace(d.Title)
	d.Description = strings.TrimSpace(d.Description)
	if d.Severity == 0 {
		d.Severity = DefaultSeverity
	}
	switch {
	case d.Title == "":
		return Incident{}, false, Errorf(EINVALID, "an incident needs a title")
	case utf8.RuneCountInString(d.Title) > MaxTitleLen:
		return Incident{}, false, Errorf(EINVALID, "the title is longer than %d characters", MaxTitleLen)
	case utf8.RuneCountInString(d.Description) > MaxDescriptionLen:
		return Incident{}, false, Errorf(EINVALID, "the description is longer than %d characters", MaxDescriptionLen)
	case !d.Severity.Valid():
		return Incident{}, false, Errorf(EINVALID, "severity must be sev1, sev2, sev3 or sev4")
	case d.Reporter == "":
		return Incident{}, false, Errorf(EINVALID, "an incident needs a reporter")
	}
	now := s.clock.Now()
	inc = Incident{
		ID:                 s.newID(),
		Title:              d.Title,
		Description:        d.Description,
		Severity:           d.Severity,
		Status:             StatusInvestigating,
		Commander:          d.Reporter,
		Reporter:           d.Reporter,
		DeclaredAt:         now,
		UpdatedAt:          now,
		LastStatusUpdateAt: now,
	}
	s.startTimers(&inc, now)
	data := map[string]string{"severity": d.Severity.String(), "commander": d.Reporter}
	if d.Source != "" {
		data["source"] = d.Source
	}
	ev := s.event(inc.ID, now, d.Reporter, EventDeclared, fmt.Sprintf("Declared %s: %s", d.Severity.Label(), d.Title), data)
	ch := Change{Events: []Event{ev}}
	if d.Opening != nil {
		op := *d.Opening
		op.ID, op.IncidentID = s.newID(), inc.ID
		if op.At.IsZero() {
			op.At = now
		}
		ch.Events = append(ch.Events, op)
		d.Opening = &op
	}
	ch.Effects = append(s.setupEffects(inc, ev, d), openingGraph(inc.ID, d.Opening)...)
	ch.AlertKeys = d.AlertKeys
	stored, err := s.store.Create(ctx, inc, ch, d.Key)
	if errors.Is(err, ErrDuplicate) {
		return stored, false, nil
	}
	if err != nil {
		return Incident{}, false, fmt.Errorf("store incident: %w", err)
	}
	s.wake()
	return stored, true, nil
}

// startTimers schedules a new incident's timers. One a person declared
// is theirs: acknowledged at once, nothing awaited.
func (s *Service) startTimers(inc *Incident, now time.Time) {
	if inc.Reporter != s.botUser {
		inc.AcknowledgedAt, inc.AcknowledgedBy = now, inc.Reporter
	}
	s.policy.scheduleReminder(inc, now)
	s.policy.scheduleEscalation(inc)
	s.policy.scheduleAck(inc)
}

func (s *Service) event(id uuid.UUID, at time.Time, actor string, kind EventKind, text string, data map[string]string) Event {
	return Event{ID: s.newID(), IncidentID: id, At: at, Actor: actor, Kind: kind, Text: text, Data: data}
}

// change runs fn on the open incident under the store's lock; closed
// incidents refuse every change. A repeated key returns ErrDuplicate.
func (s *Service) change(ctx context.Context, id uuid.UUID, key string, fn func(inc *Incident, now time.Time) (Change, error)) (Incident, error) {
	return s.update(ctx, id, key, func(inc *Incident) (Change, error) {
		if !inc.Status.Open() {
			return Change{}, Errorf(ECONFLICT, "incident %s is resolved; it can no longer be changed", inc.Ref())
		}
		now := s.clock.Now()
		ch, err := fn(inc, now)
		if err != nil {
			return Change{}, err
		}
		inc.UpdatedAt = now
		return ch, nil
	})
}

// update is the store's Update, waking the dispatcher when the change
// added effects.
func (s *Service) update(ctx context.Context, id uuid.UUID, key string, fn func(inc *Incident) (Change, error)) (Incident, error) {
	added := false
	inc, err := s.store.Update(ctx, id, key, func(inc *Incident) (Change, error) {
		ch, err := fn(inc)
		added = len(ch.Effects) > 0
		return ch, err
	})
	if err == nil && added {
		s.wake()
	}
	return inc, err
}

// Get returns the incident with the given ID.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (Incident, error) {
	return s.store.Get(ctx, id)
}

// ByChannel returns the incident whose Slack channel is channelID.
func (s *Service) ByChannel(ctx context.Context, channelID string) (Incident, error) {
	return s.store.ByChannel(ctx, channelID)
}

// List returns incidents, most recently declared first.
func (s *Service) List(ctx context.Context, f ListFilter) ([]Incident, error) {
	return s.store.List(ctx, f)
}

// Timeline returns the incident's events in the order they happened.
func (s *Service) Timeline(ctx context.Context, id uuid.UUID) ([]Event, error) {
	return s.store.Timeline(ctx, id)
}

// Once reports whether this is the first call with key, across every
// replica on the store (a daily digest posted once).
func (s *Service) Once(ctx context.Context, key string) (bool, error) { return s.store.Claim(ctx, key) }
