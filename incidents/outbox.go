package incidents

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
)

// RecordAlerts stores alerts with the effects they imply (notices, triage
// cards) in one transaction: a sender told "stored" is owed every one.
func (s *Service) RecordAlerts(ctx context.Context, b AlertBatch) error {
	if err := s.store.AddAlerts(ctx, b); err != nil {
		return err
	}
	if len(b.Effects) > 0 {
		s.wake()
	}
	return nil
}

// Triage records a person's decision on a warning alert with its effects.
func (s *Service) Triage(ctx context.Context, t Triage, effs []Effect) error {
	if err := s.store.TriageAlerts(ctx, t, effs); err != nil {
		return err
	}
	s.wake()
	return nil
}

// AddEffects owes effects that belong to no change of an incident.
func (s *Service) AddEffects(ctx context.Context, effs []Effect) error {
	if err := s.store.AddEffects(ctx, effs); err != nil {
		return err
	}
	s.wake()
	return nil
}

// Owe owes effects for an open incident without changing it (a runbook
// card someone asked for). A repeated key owes nothing and returns
// ErrDuplicate.
func (s *Service) Owe(ctx context.Context, id uuid.UUID, key string, effs ...Effect) error {
	_, err := s.change(ctx, id, key, func(*Incident, time.Time) (Change, error) {
		return Change{Effects: effs}, nil
	})
	return err
}

// PruneWork deletes settled work older than keep: the keys of done
// effects and jobs are kept that long, so a redelivery within it is
// still recognised.
func (s *Service) PruneWork(ctx context.Context, keep time.Duration) (int, error) {
	return s.store.Prune(ctx, s.clock.Now().Add(-keep))
}

// Tell records events about an open incident (alerts that joined it or
// recovered) with the notice that shows them, in one change. key makes it
// once: replicas that received the same alerts tell the incident once.
func (s *Service) Tell(ctx context.Context, id uuid.UUID, key string, events []Event, notice Effect) error {
	_, err := s.update(ctx, id, key, func(inc *Incident) (Change, error) {
		evs := make([]Event, len(events))
		for i, ev := range events {
			ev.ID, ev.IncidentID = s.newID(), inc.ID
			if ev.At.IsZero() {
				ev.At = s.clock.Now()
			}
			evs[i] = ev
		}
		return Change{Events: evs, Effects: append([]Effect{notice}, alertGraphs(inc.ID, key, evs)...)}, nil
	})
	if errors.Is(err, ErrDuplicate) {
		return nil
	}
	return err
}

// AddAlertKeys adds problems an open incident stands for (a group whose
// alert joined it by service and runbook), so the problem's later alerts
// join it too.
func (s *Service) AddAlertKeys(ctx context.Context, id uuid.UUID, keys []string) error {
	_, err := s.change(ctx, id, "", func(*Incident, time.Time) (Change, error) {
		return Change{AlertKeys: keys}, nil
	})
	return err
}
