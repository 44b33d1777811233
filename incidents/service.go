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
// timeline. It is safe for concurrent use.
type Service struct {
	store  Store
	clock  Clock
	newID  func() uuid.UUID
	policy Policy
}

// ServiceOptions configures NewService. Clock and NewID default to the
// real clock and random UUIDs.
type ServiceOptions struct {
	Store Store
	Clock Clock
	NewID func() uuid.UUID
	// Policy sets the update reminders and escalation; the zero Policy
	// schedules no timers.
	Policy Policy
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
	return &Service{store: opts.Store, clock: opts.Clock, newID: opts.NewID, policy: opts.Policy}, nil
}

// Store exposes the underlying store. Callers outside the domain use it
// for reads only; every change goes through Service so the lifecycle rules
// and the timeline are never bypassed.
func (s *Service) Store() Store { return s.store }

// By says who asks for a change and, optionally, the idempotency key of
// the request (a Slack view ID or button click) so that a request Slack
// delivers twice changes the incident once.
type By struct {
	User string
	Key  string
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
	s.policy.scheduleReminder(&inc, now)
	s.policy.scheduleEscalation(&inc)
	data := map[string]string{"severity": d.Severity.String(), "commander": d.Reporter}
	if d.Source != "" {
		data["source"] = d.Source
	}
	ev := s.event(inc.ID, now, d.Reporter, EventDeclared, fmt.Sprintf("Declared %s: %s", d.Severity.Label(), d.Title), data)
	stored, err := s.store.Create(ctx, inc, []Event{ev}, d.Key)
	if errors.Is(err, ErrDuplicate) {
		return stored, false, nil
	}
	if err != nil {
		return Incident{}, false, fmt.Errorf("store incident: %w", err)
	}
	return stored, true, nil
}

func (s *Service) event(id uuid.UUID, at time.Time, actor string, kind EventKind, text string, data map[string]string) Event {
	return Event{ID: s.newID(), IncidentID: id, At: at, Actor: actor, Kind: kind, Text: text, Data: data}
}

// change runs fn on the open incident under the store's lock; closed
// incidents refuse every change. A repeated key returns ErrDuplicate.
func (s *Service) change(ctx context.Context, id uuid.UUID, key string, fn func(inc *Incident, now time.Time) ([]Event, error)) (Incident, error) {
	return s.store.UpdateOnce(ctx, id, key, func(inc *Incident) ([]Event, error) {
		if !inc.Status.Open() {
			return nil, Errorf(ECONFLICT, "incident %s is resolved; it can no longer be changed", inc.Ref())
		}
		now := s.clock.Now()
		evs, err := fn(inc, now)
		if err != nil {
			return nil, err
		}
		inc.UpdatedAt = now
		return evs, nil
	})
}

// PostUpdate records a status update.
func (s *Service) PostUpdate(ctx context.Context, id uuid.UUID, by By, text string) (Incident, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return Incident{}, Errorf(EINVALID, "a status update needs some text")
	}
	if utf8.RuneCountInString(text) > MaxUpdateLen {
		return Incident{}, Errorf(EINVALID, "the update is longer than %d characters", MaxUpdateLen)
	}
	return s.change(ctx, id, by.Key, func(inc *Incident, now time.Time) ([]Event, error) {
		inc.LastStatusUpdateAt = now
		inc.ReminderSnoozed = false
		s.policy.scheduleReminder(inc, now) // an update resets the clock
		return []Event{s.event(inc.ID, now, by.User, EventStatusUpdate, text, map[string]string{"status": string(inc.Status)})}, nil
	})
}

// SetSeverity changes the severity.
func (s *Service) SetSeverity(ctx context.Context, id uuid.UUID, by By, sev Severity) (Incident, error) {
	if !sev.Valid() {
		return Incident{}, Errorf(EINVALID, "severity must be sev1, sev2, sev3 or sev4")
	}
	return s.change(ctx, id, by.Key, func(inc *Incident, now time.Time) ([]Event, error) {
		if inc.Severity == sev {
			return nil, Errorf(ECONFLICT, "incident %s is already %s", inc.Ref(), sev.Label())
		}
		old := inc.Severity
		inc.Severity = sev
		s.policy.changeSeverity(inc, old, now)
		return []Event{s.event(inc.ID, now, by.User, EventSeverityChanged,
			fmt.Sprintf("Severity changed from %s to %s", old.Label(), sev.Label()),
			map[string]string{"from": old.String(), "to": sev.String()})}, nil
	})
}

// SetCommander hands command to another person.
func (s *Service) SetCommander(ctx context.Context, id uuid.UUID, by By, commander string) (Incident, error) {
	if commander == "" {
		return Incident{}, Errorf(EINVALID, "name the new commander as @someone")
	}
	return s.change(ctx, id, by.Key, func(inc *Incident, now time.Time) ([]Event, error) {
		if inc.Commander == commander {
			return nil, Errorf(ECONFLICT, "<@%s> is already the commander of %s", commander, inc.Ref())
		}
		old := inc.Commander
		inc.Commander = commander
		return []Event{s.event(inc.ID, now, by.User, EventCommanderChanged,
			fmt.Sprintf("Commander changed from <@%s> to <@%s>", old, commander),
			map[string]string{"from": old, "to": commander})}, nil
	})
}

// SetStatus moves the incident through its lifecycle. note is optional
// (the resolution summary, or what mitigated it).
func (s *Service) SetStatus(ctx context.Context, id uuid.UUID, by By, next Status, note string) (Incident, error) {
	note = strings.TrimSpace(note)
	if utf8.RuneCountInString(note) > MaxUpdateLen {
		return Incident{}, Errorf(EINVALID, "the text is longer than %d characters", MaxUpdateLen)
	}
	return s.change(ctx, id, by.Key, func(inc *Incident, now time.Time) ([]Event, error) {
		if inc.Status == next {
			return nil, Errorf(ECONFLICT, "incident %s is already %s", inc.Ref(), next)
		}
		if !inc.Status.CanMoveTo(next) {
			return nil, Errorf(ECONFLICT, "incident %s is %s; it cannot become %s", inc.Ref(), inc.Status, next)
		}
		kind, text := EventReopened, "Back to investigating"
		switch next {
		case StatusMitigated:
			kind, text = EventMitigated, "Mitigated"
			inc.MitigatedAt = now
		case StatusResolved:
			kind, text = EventResolved, "Resolved"
			inc.ResolvedAt = now
			inc.Summary = note
		case StatusInvestigating:
			inc.MitigatedAt = time.Time{}
		}
		if note != "" {
			text += ": " + note
		}
		from := inc.Status
		inc.Status = next
		// Resolving clears every timer in this same transaction; mitigating
		// may pause reminders; going back to investigating resumes them
		// from the last update (it is not an update itself), never earlier
		// than now.
		switch {
		case next == StatusInvestigating && inc.RemindAt.IsZero():
			iv := s.policy.For(inc.Severity).UpdateInterval
			start := inc.LastStatusUpdateAt
			if start.Add(iv).Before(now) {
				start = now.Add(-iv)
			}
			s.policy.scheduleReminder(inc, start)
		case next != StatusInvestigating && (next != StatusMitigated || s.policy.remindingPaused(inc)):
			s.policy.scheduleReminder(inc, now)
		}
		s.policy.scheduleEscalation(inc)
		return []Event{s.event(inc.ID, now, by.User, kind, text,
			map[string]string{"from": string(from), "to": string(next)})}, nil
	})
}

// AttachChannel maps the incident to its Slack channel.
func (s *Service) AttachChannel(ctx context.Context, id uuid.UUID, channelID, name string) (Incident, error) {
	return s.store.Update(ctx, id, func(inc *Incident) ([]Event, error) {
		now := s.clock.Now()
		inc.ChannelID, inc.ChannelName = channelID, name
		return []Event{s.event(inc.ID, now, ActorBot, EventChannelCreated, "Channel #"+name+" created",
			map[string]string{"channel_id": channelID, "channel_name": name})}, nil
	})
}

// SetHeader remembers the header message so it can be kept current.
func (s *Service) SetHeader(ctx context.Context, id uuid.UUID, ts string) (Incident, error) {
	return s.store.Update(ctx, id, func(inc *Incident) ([]Event, error) {
		inc.HeaderTS = ts
		return nil, nil
	})
}

// Audit appends an event even to a resolved incident: the outcome of
// something that began while it was open (an action's result) belongs in
// its record whenever it arrives.
func (s *Service) Audit(ctx context.Context, id uuid.UUID, actor string, kind EventKind, text string, data map[string]string) error {
	_, err := s.store.Update(ctx, id, func(inc *Incident) ([]Event, error) {
		return []Event{s.event(inc.ID, s.clock.Now(), actor, kind, text, data)}, nil
	})
	return err
}

// RecordFailure notes in the timeline that a side effect did not happen,
// so the record says what was and was not done.
func (s *Service) RecordFailure(ctx context.Context, id uuid.UUID, step, reason string) error {
	_, err := s.store.Update(ctx, id, func(inc *Incident) ([]Event, error) {
		return []Event{s.event(inc.ID, s.clock.Now(), ActorBot, EventStepFailed,
			fmt.Sprintf("Could not %s: %s", step, reason),
			map[string]string{"step": step, "error": reason})}, nil
	})
	return err
}

// Record appends an event to an open incident's timeline: a runbook card
// posted, a checklist item ticked. A repeated by.Key records nothing and
// returns ErrDuplicate.
func (s *Service) Record(ctx context.Context, id uuid.UUID, by By, kind EventKind, text string, data map[string]string) (Incident, error) {
	return s.change(ctx, id, by.Key, func(inc *Incident, now time.Time) ([]Event, error) {
		return []Event{s.event(inc.ID, now, by.User, kind, text, data)}, nil
	})
}

// Snooze puts the current update reminder off by one more interval. It
// names the reminder cycle it was offered for (its due time): a Snooze
// from an older reminder, after an update began a new cycle, is refused.
// Each reminder can be snoozed once; after that, only an update quiets it.
func (s *Service) Snooze(ctx context.Context, id uuid.UUID, by By, cycle time.Time) (Incident, error) {
	return s.change(ctx, id, by.Key, func(inc *Incident, now time.Time) ([]Event, error) {
		iv := s.policy.For(inc.Severity).UpdateInterval
		switch {
		case inc.RemindAt.IsZero() || iv <= 0:
			return nil, Errorf(ECONFLICT, "incident %s has no update reminder to snooze", inc.Ref())
		case !cycle.IsZero() && !cycle.Equal(inc.RemindAt):
			return nil, Errorf(ECONFLICT, "that reminder is out of date: an update or a later reminder came since")
		case inc.ReminderSnoozed:
			return nil, Errorf(ECONFLICT, "the reminder for %s was already snoozed once; post an update to reset it", inc.Ref())
		}
		inc.ReminderSnoozed = true
		base := inc.RemindAt
		if now.After(base) {
			base = now
		}
		inc.RemindAt = base.Add(iv)
		return []Event{s.event(inc.ID, now, by.User, EventSnoozed, fmt.Sprintf("Snoozed the update reminder by %s", HumanLag(iv)),
			map[string]string{"until": inc.RemindAt.Format(time.RFC3339)})}, nil
	})
}
