package incidents

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/incident-bot/incident-bot/internal/txt"
)

// Scheduler fires due reminders and escalations. Due times live in the
// store, so timers survive restarts; several schedulers (replicas) may
// sweep one store: each firing is decided under the incident's row lock
// and moves the timer in the same transaction, so it happens once. The
// notices are effects written in that same transaction, so a firing is
// never recorded without its notice being owed.
type Scheduler struct {
	svc   *Service
	log   *zap.Logger
	batch int
}

// NewScheduler builds a scheduler over the service's store and policy.
func NewScheduler(svc *Service, log *zap.Logger) (*Scheduler, error) {
	if svc == nil {
		return nil, errors.New("incidents: a scheduler needs a service")
	}
	if log == nil {
		log = zap.NewNop()
	}
	return &Scheduler{svc: svc, log: log, batch: 200}, nil
}

// SweepResult says what a sweep did and when the next timer is due.
type SweepResult struct {
	Fired int
	Next  time.Time // zero: nothing scheduled
}

// errNotDue aborts an Update when another scheduler fired first.
var errNotDue = errors.New("no timer due")

// Sweep fires every timer due at now. A timer that fell due long ago (the
// bot was down) fires once, and the next one is counted from now. The time
// is passed in so tests drive it with a fake clock.
func (s *Scheduler) Sweep(ctx context.Context, now time.Time) (SweepResult, error) {
	var res SweepResult
	for {
		ids, next, err := s.svc.store.Due(ctx, now, s.batch)
		if err != nil {
			return res, fmt.Errorf("find due timers: %w", err)
		}
		res.Next = earliest(res.Next, next)
		var errs []error
		for _, id := range ids {
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			n, after, err := s.fire(ctx, id, now)
			if err != nil {
				// One incident that cannot be written must not hold up the
				// timers of every other one.
				s.log.Error("could not fire timers", zap.String("incident_id", id.String()), zap.Error(err))
				errs = append(errs, err)
				continue
			}
			res.Fired += n
			res.Next = earliest(res.Next, after)
		}
		if len(ids) < s.batch || len(errs) == len(ids) {
			return res, errors.Join(errs...)
		}
	}
}

// earliest is the earlier non-zero time.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// fire fires the incident's due timers and returns how many fired and
// its next timer. A due timer that may no longer fire (the policy changed:
// reminders paused, fewer escalation levels) is rescheduled or cleared
// without an event, so it does not stay due for ever.
func (s *Scheduler) fire(ctx context.Context, id uuid.UUID, now time.Time) (int, time.Time, error) {
	fired := 0
	inc, err := s.svc.update(ctx, id, "", func(inc *Incident) (Change, error) {
		fired = 0 // Update may retry fn
		if !inc.Status.Open() || inc.NextTimer().IsZero() || now.Before(inc.NextTimer()) {
			return Change{}, errNotDue // another scheduler got here first
		}
		rules := s.svc.policy.For(inc.Severity)
		if !inc.RemindAt.IsZero() && !now.Before(inc.RemindAt) && (rules.UpdateInterval <= 0 || s.svc.policy.remindingPaused(inc)) {
			s.svc.policy.scheduleReminder(inc, now) // clears it
		}
		if !inc.EscalateAt.IsZero() && !now.Before(inc.EscalateAt) && inc.EscalationLevel >= len(rules.Escalation) {
			inc.EscalateAt = time.Time{}
		}
		var ch Change
		if acked := s.svc.firePageAck(inc, now); acked != nil {
			ch = *acked
		}
		if !inc.RemindAt.IsZero() && !now.Before(inc.RemindAt) {
			since := txt.Duration(now.Sub(inc.LastStatusUpdateAt))
			ev := s.svc.event(inc.ID, now, ActorBot, EventReminder,
				fmt.Sprintf("Reminder: no status update for %s", since),
				map[string]string{"commander": inc.Commander, "due": inc.RemindAt.Format(time.RFC3339Nano),
					"interval": rules.UpdateInterval.String()})
			inc.ReminderSnoozed = false
			s.svc.policy.scheduleReminder(inc, now) // from now: one reminder however late
			// The reminder's Snooze names this cycle: the next due time.
			ev.Data["next"] = inc.RemindAt.Format(time.RFC3339Nano)
			ch.Events = append(ch.Events, ev)
			ch.Effects = append(ch.Effects, post(ev, ToChannel, inc.Commander))
		}
		// Every level that fell due fires (each once), e.g. after downtime.
		for !inc.EscalateAt.IsZero() && !now.Before(inc.EscalateAt) && inc.EscalationLevel < len(rules.Escalation) {
			lv := rules.Escalation[inc.EscalationLevel]
			inc.EscalationLevel++
			ev := s.svc.event(inc.ID, now, ActorBot, EventEscalated,
				fmt.Sprintf("Escalated (level %d): not resolved %s after it was declared", inc.EscalationLevel, txt.Duration(lv.After)),
				map[string]string{"level": fmt.Sprint(inc.EscalationLevel), "group": lv.Group, "due": inc.EscalateAt.Format(time.RFC3339Nano),
					"after": lv.After.String(), "commander": inc.Commander})
			ch.Events = append(ch.Events, ev)
			ch.Effects = append(ch.Effects, post(ev, ToChannel, inc.Commander), post(ev, ToAnnounce, inc.Commander))
			ch.Effects = append(ch.Effects, pages(inc, escalationLevel(inc.EscalationLevel), PageTrigger,
				fmt.Sprintf("escalated to level %d: not resolved %s after it was declared", inc.EscalationLevel, txt.Duration(lv.After)), lv.Pages)...)
			s.svc.policy.scheduleEscalation(inc)
		}
		fired = len(ch.Events)
		return ch, nil
	})
	if errors.Is(err, errNotDue) || errors.Is(err, ErrNotFound) {
		return 0, time.Time{}, nil
	}
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("fire timers of incident %s: %w", id, err)
	}
	return fired, inc.NextTimer(), nil
}
