package incidents

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/incident-bot/incident-bot/internal/txt"
)

// PostUpdate records a status update and posts it in the channel.
func (s *Service) PostUpdate(ctx context.Context, id uuid.UUID, by By, text string) (Incident, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return Incident{}, Errorf(EINVALID, "a status update needs some text")
	}
	if utf8.RuneCountInString(text) > MaxUpdateLen {
		return Incident{}, Errorf(EINVALID, "the update is longer than %d characters", MaxUpdateLen)
	}
	return s.change(ctx, id, by.Key, func(inc *Incident, now time.Time) (Change, error) {
		inc.LastStatusUpdateAt = now
		inc.ReminderSnoozed = false
		s.policy.scheduleReminder(inc, now) // an update resets the clock
		ev := s.event(inc.ID, now, by.User, EventStatusUpdate, text, map[string]string{"status": string(inc.Status), "severity": inc.Severity.String()})
		return Change{Events: []Event{ev}, Effects: []Effect{post(ev, ToChannel, by.User)}}, nil
	})
}

// SetSeverity changes the severity.
func (s *Service) SetSeverity(ctx context.Context, id uuid.UUID, by By, sev Severity) (Incident, error) {
	if !sev.Valid() {
		return Incident{}, Errorf(EINVALID, "severity must be sev1, sev2, sev3 or sev4")
	}
	return s.change(ctx, id, by.Key, func(inc *Incident, now time.Time) (Change, error) {
		if inc.Severity == sev {
			return Change{}, Errorf(ECONFLICT, "incident %s is already %s", inc.Ref(), sev.Label())
		}
		if err := s.authorise(inc, by, "change the severity of"); err != nil {
			return Change{}, err
		}
		old := inc.Severity
		inc.Severity = sev
		s.policy.changeSeverity(inc, old, now)
		ev := s.event(inc.ID, now, by.User, EventSeverityChanged,
			fmt.Sprintf("Severity changed from %s to %s", old.Label(), sev.Label()),
			map[string]string{"from": old.String(), "to": sev.String()})
		return Change{Events: []Event{ev}, Effects: []Effect{post(ev, ToChannel, by.User), refresh(ev, by.User)}}, nil
	})
}

// SetCommander hands command to another person, who is invited.
func (s *Service) SetCommander(ctx context.Context, id uuid.UUID, by By, commander string) (Incident, error) {
	if commander == "" {
		return Incident{}, Errorf(EINVALID, "name the new commander as @someone")
	}
	return s.change(ctx, id, by.Key, func(inc *Incident, now time.Time) (Change, error) {
		if inc.Commander == commander {
			return Change{}, Errorf(ECONFLICT, "that person is already the commander of %s", inc.Ref())
		}
		if err := s.authoriseCommand(inc, by, commander); err != nil {
			return Change{}, err
		}
		old := inc.Commander
		inc.Commander = commander
		ev := s.event(inc.ID, now, by.User, EventCommanderChanged,
			"Commander changed", // who from and to are in Data: renderers name them
			map[string]string{"from": old, "to": commander})
		ch := Change{Events: []Event{ev}, Effects: []Effect{
			invite(ev.ID.String()+":invite", commander, by.User), post(ev, ToChannel, by.User), refresh(ev, by.User),
		}}
		if ack, pages, ok := s.acknowledge(inc, commander, commander, "took command", now, nil); ok {
			ch.Events, ch.Effects = append(ch.Events, ack), append(ch.Effects, pages...)
		}
		return ch, nil
	})
}

// SetStatus moves the incident through its lifecycle. note is optional
// (the resolution summary, or what mitigated it).
func (s *Service) SetStatus(ctx context.Context, id uuid.UUID, by By, next Status, note string) (Incident, error) {
	note = strings.TrimSpace(note)
	if utf8.RuneCountInString(note) > MaxUpdateLen {
		return Incident{}, Errorf(EINVALID, "the text is longer than %d characters", MaxUpdateLen)
	}
	return s.change(ctx, id, by.Key, func(inc *Incident, now time.Time) (Change, error) {
		if inc.Status == next {
			return Change{}, Errorf(ECONFLICT, "incident %s is already %s", inc.Ref(), next)
		}
		if !inc.Status.CanMoveTo(next) {
			return Change{}, Errorf(ECONFLICT, "incident %s is %s; it cannot become %s", inc.Ref(), inc.Status, next)
		}
		if err := s.authorise(inc, by, "change the status of"); err != nil {
			return Change{}, err
		}
		ev := s.moveStatus(inc, by, next, note, now)
		effs := []Effect{post(ev, ToChannel, by.User), refresh(ev, by.User)}
		if next == StatusResolved {
			effs = append(effs, post(ev, ToAnnounce, by.User))
			effs = append(effs, followUp(inc, PageResolve, "resolved", nil)...)
		}
		return Change{Events: []Event{ev}, Effects: effs}, nil
	})
}

// moveStatus applies a status change to inc and returns its event.
func (s *Service) moveStatus(inc *Incident, by By, next Status, note string, now time.Time) Event {
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
	// may pause reminders; going back to investigating resumes them from
	// the last update (it is not an update itself), never earlier than now.
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
	s.policy.scheduleAck(inc)
	return s.event(inc.ID, now, by.User, kind, text, map[string]string{"from": string(from), "to": string(next), "note": note})
}

// Snooze puts the current update reminder off by one more interval. It
// names the reminder cycle it was offered for (its due time): a Snooze
// from an older reminder, after an update began a new cycle, is refused.
// Each reminder can be snoozed once; after that, only an update quiets it.
func (s *Service) Snooze(ctx context.Context, id uuid.UUID, by By, cycle time.Time) (Incident, error) {
	return s.change(ctx, id, by.Key, func(inc *Incident, now time.Time) (Change, error) {
		iv := s.policy.For(inc.Severity).UpdateInterval
		switch {
		case inc.RemindAt.IsZero() || iv <= 0:
			return Change{}, Errorf(ECONFLICT, "incident %s has no update reminder to snooze", inc.Ref())
		case !cycle.IsZero() && !cycle.Equal(inc.RemindAt):
			return Change{}, Errorf(ECONFLICT, "that reminder is out of date: an update or a later reminder came since")
		case inc.ReminderSnoozed:
			return Change{}, Errorf(ECONFLICT, "the reminder for %s was already snoozed once; post an update to reset it", inc.Ref())
		}
		inc.ReminderSnoozed = true
		base := inc.RemindAt
		if now.After(base) {
			base = now
		}
		inc.RemindAt = base.Add(iv)
		ev := s.event(inc.ID, now, by.User, EventSnoozed, fmt.Sprintf("Snoozed the update reminder by %s", txt.Duration(iv)),
			map[string]string{"until": inc.RemindAt.Format(time.RFC3339)})
		return Change{Events: []Event{ev}, Effects: []Effect{post(ev, ToChannel, by.User)}}, nil
	})
}

// Audit appends an event even to a resolved incident, with the effects
// that tell people about it: the outcome of something that began while it
// was open (an action's result) belongs in its record whenever it arrives.
func (s *Service) Audit(ctx context.Context, id uuid.UUID, actor string, kind EventKind, text string, data map[string]string, effs ...Effect) (Event, error) {
	var ev Event
	_, err := s.update(ctx, id, "", func(inc *Incident) (Change, error) {
		ev = s.event(inc.ID, s.clock.Now(), actor, kind, text, data)
		return Change{Events: []Event{ev}, Effects: bindEffects(ev, effs)}, nil
	})
	return ev, err
}

// Record appends an event to an open incident's timeline (a checklist
// item ticked), with the effects that show it. A repeated by.Key records
// nothing and returns ErrDuplicate.
func (s *Service) Record(ctx context.Context, id uuid.UUID, by By, kind EventKind, text string, data map[string]string, effs ...Effect) (Incident, error) {
	return s.change(ctx, id, by.Key, func(inc *Incident, now time.Time) (Change, error) {
		ev := s.event(inc.ID, now, by.User, kind, text, data)
		return Change{Events: []Event{ev}, Effects: bindEffects(ev, effs)}, nil
	})
}

// bindEffects ties effects given with an event to it: their keys derive
// from the event's (so one event never doubles them) and a post carries
// the event unless it names its own. A thread_key of ThreadOfPost
// becomes the key of the first post bound with it: its caller cannot
// know that key before the event exists. Without a post it stays as it
// is, and the graph, with no message to go under, is dropped quietly.
func bindEffects(ev Event, effs []Effect) []Effect {
	out := make([]Effect, len(effs))
	post := ""
	for i, e := range effs {
		e.Key = fmt.Sprintf("%s:%d:%s", ev.ID, i, e.Kind)
		if e.Kind == EffectPost && e.Event.ID == uuid.Nil {
			e.Event = ev
		}
		if e.Kind == EffectPost && post == "" {
			post = e.Key
		}
		out[i] = e
	}
	for i, e := range out {
		if e.Data["thread_key"] == ThreadOfPost && post != "" {
			out[i].Data = maps.Clone(e.Data) // the caller's map stays as given
			out[i].Data["thread_key"] = post
		}
	}
	return out
}
