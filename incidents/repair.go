package incidents

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"
)

// RepairReport says what a repair did.
type RepairReport struct {
	Added   int // set-up steps that were missing and are now owed
	Retried int // steps that had failed and are tried again
	Pending int // steps still on their way
}

// Say tells the person who asked, in a line.
func (r RepairReport) Say(inc Incident) string {
	if r.Added == 0 && r.Retried == 0 {
		if r.Pending > 0 {
			return fmt.Sprintf("Incident %s has %d step(s) on their way already; nothing failed.", inc.Ref(), r.Pending)
		}
		return fmt.Sprintf("Nothing to repair in %s: its set-up is complete and nothing failed.", inc.Ref())
	}
	return fmt.Sprintf("Repairing %s: %d missing set-up step(s) added, %d failed step(s) tried again. You will hear if one fails again.",
		inc.Ref(), r.Added, r.Retried)
}

// Repair completes an incident's set-up: the steps it never had (an
// incident from before the outbox, or whose set-up was lost) are owed
// again, and with retryFailed the steps that failed for good (say the
// workspace refused the channel until an admin allowed it) are tried
// again. Steps already done, or on their way, are left alone: their keys
// are the same, so nothing is done twice.
func (s *Service) Repair(ctx context.Context, id uuid.UUID, retryFailed bool) (RepairReport, error) {
	var rep RepairReport
	inc, err := s.store.Get(ctx, id)
	if err != nil {
		return rep, err
	}
	recs, err := s.store.Effects(ctx, LaneOf(inc.ID))
	if err != nil {
		return rep, err
	}
	have := map[string]bool{}
	for _, r := range recs {
		have[r.Key] = true
		if r.State == EffectPending {
			rep.Pending++
		}
	}
	var missing []Effect
	if inc.ChannelID == "" || inc.HeaderTS == "" {
		d := Declaration{Reporter: inc.Reporter}
		declared := s.event(inc.ID, inc.DeclaredAt, inc.Reporter, EventDeclared, "Declared "+inc.Severity.Label()+": "+inc.Title, nil)
		for _, e := range s.setupEffects(inc, declared, d) {
			if !have[e.Key] && needed(inc, e.Data["step"]) {
				missing = append(missing, e)
			}
		}
	}
	if len(missing) > 0 {
		if _, err := s.update(ctx, inc.ID, "", func(*Incident) (Change, error) { return Change{Effects: missing}, nil }); err != nil {
			return rep, err
		}
		rep.Added = len(missing)
	}
	if retryFailed {
		// The incident's own lane, and its pages' (one per target).
		lanes := []string{LaneOf(inc.ID), GraphLane(inc.ID)}
		for _, p := range inc.Paged {
			if l := PageLane(inc.ID, p.Target.Key); !slices.Contains(lanes, l) {
				lanes = append(lanes, l)
			}
		}
		for _, lane := range lanes {
			n, err := s.store.RetryFailed(ctx, lane, s.clock.Now())
			if err != nil {
				return rep, err
			}
			rep.Retried += n
		}
		if rep.Retried > 0 {
			s.wake()
		}
	}
	return rep, nil
}

// needed says whether a set-up step is still to do, from what the
// incident shows.
func needed(inc Incident, step string) bool {
	switch step {
	case "header":
		return inc.HeaderTS == ""
	case "intro", "runbook":
		return false // cannot be told apart from "nothing matched"; left to /incident runbook
	}
	return inc.ChannelID == ""
}

// RepairAll repairs every open incident whose set-up is not complete.
func (s *Service) RepairAll(ctx context.Context, retryFailed bool) (int, error) {
	incs, err := s.store.List(ctx, ListFilter{OpenOnly: true})
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, inc := range incs {
		if inc.ChannelID != "" && inc.HeaderTS != "" {
			continue
		}
		rep, err := s.Repair(ctx, inc.ID, retryFailed)
		if err != nil {
			errs = append(errs, fmt.Errorf("repair %s: %w", inc.Ref(), err))
			continue
		}
		if rep.Added+rep.Retried > 0 {
			n++
		}
	}
	return n, errors.Join(errs...)
}

// ByNumber finds an incident by its number ("#12").
func (s *Service) ByNumber(ctx context.Context, n int64) (Incident, error) {
	incs, err := s.store.List(ctx, ListFilter{})
	if err != nil {
		return Incident{}, err
	}
	for _, inc := range incs {
		if inc.Number == n {
			return inc, nil
		}
	}
	return Incident{}, Errorf(ENOTFOUND, "There is no incident #%d.", n)
}
