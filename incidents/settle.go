package incidents

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// EffectDone records a performed effect with what it produced, and what
// that means for the incident: the channel it now has, the header to keep
// current, the runbook card to redraw later.
func (s *Service) EffectDone(ctx context.Context, e Effect, result map[string]string) error {
	done := Settlement{ID: e.ID, Outcome: Done, Result: result}
	if e.IncidentID == uuid.Nil {
		return s.store.SettleEffects(ctx, []Settlement{done})
	}
	_, err := s.update(ctx, e.IncidentID, "", func(inc *Incident) (Change, error) {
		ch := Change{Settle: []Settlement{done}}
		now := s.clock.Now()
		switch e.Kind {
		case EffectChannel:
			if inc.ChannelID == "" && result["channel_id"] != "" {
				inc.ChannelID, inc.ChannelName = result["channel_id"], result["channel_name"]
				ch.Events = append(ch.Events, s.event(inc.ID, now, ActorBot, EventChannelCreated, "Channel #"+inc.ChannelName+" created",
					map[string]string{"channel_id": inc.ChannelID, "channel_name": inc.ChannelName}))
			}
		case EffectHeader:
			if result["ts"] != "" {
				inc.HeaderTS = result["ts"]
			}
		case EffectPage:
			pc := s.pageDone(inc, e, result, now)
			ch.Events, ch.Effects = pc.Events, pc.Effects
		case EffectRunbook:
			if result["card_ts"] != "" {
				actor := e.Data["by"]
				if actor == "" {
					actor = ActorBot
				}
				kind, text := EventRunbookPosted, "Runbook posted: "+result["title"]
				if result["playbook"] == "" {
					kind, text = EventRunbookSuggested, "Runbooks suggested: "+result["title"]
				}
				ch.Events = append(ch.Events, s.event(inc.ID, now, actor, kind, text,
					map[string]string{"playbook": result["playbook"], "card_ts": result["card_ts"], "why": result["why"], "candidates": result["candidates"]}))
			}
		}
		return ch, nil
	})
	if errors.Is(err, ErrNotFound) {
		return s.store.SettleEffects(ctx, []Settlement{done})
	}
	if errors.Is(err, ErrNotHeld) {
		return nil // recorded already: what it means for the incident too
	}
	return err
}

// EffectRetry puts an attempt off until at.
func (s *Service) EffectRetry(ctx context.Context, e Effect, at time.Time, reason string, uncertain bool) error {
	retry := Settlement{ID: e.ID, Outcome: Retry, NotBefore: at, Error: reason, Uncertain: uncertain}
	if e.Kind == EffectPage && e.Attempts == 1 && e.IncidentID != uuid.Nil {
		// A page that does not go through is told at once, not after
		// hours of retries: someone must page by hand meanwhile.
		err := s.pageRetry(ctx, e, retry)
		if errors.Is(err, ErrNotFound) {
			return s.store.SettleEffects(ctx, []Settlement{retry})
		}
		if errors.Is(err, ErrNotHeld) {
			return nil
		}
		return err
	}
	return s.store.SettleEffects(ctx, []Settlement{retry})
}

// EffectFailed records an effect that failed for good: the timeline says
// what was not done and why, and the people concerned are told. A quiet
// failure (it follows from one recorded and told already: no channel, so
// no header) is only settled. Nobody retries it until the incident is
// repaired.
func (s *Service) EffectFailed(ctx context.Context, e Effect, why DeliveryError) error {
	reason := why.Reason
	failed := Settlement{ID: e.ID, Outcome: Failed, Error: reason}
	if e.IncidentID == uuid.Nil || e.Kind == EffectTell || why.Quiet {
		return s.store.SettleEffects(ctx, []Settlement{failed})
	}
	code := why.Code
	if code == "" {
		code = reason
	}
	_, err := s.update(ctx, e.IncidentID, "", func(inc *Incident) (Change, error) {
		step := Describe(e)
		ev := s.event(inc.ID, s.clock.Now(), ActorBot, EventStepFailed, fmt.Sprintf("Could not %s: %s", step, reason),
			map[string]string{"step": step, "error": code, "reason": reason, "effect": e.Key})
		return Change{Events: []Event{ev}, Settle: []Settlement{failed}, Effects: s.tellFailure(inc, e, ev)}, nil
	})
	if errors.Is(err, ErrNotFound) {
		return s.store.SettleEffects(ctx, []Settlement{failed})
	}
	if errors.Is(err, ErrNotHeld) {
		return nil // another process holds it now, or it is recorded already
	}
	return err
}

// tellFailure tells the person the effect was for that it did not
// happen; with nobody to tell (the bot opened the incident), the
// incidents channel hears of it.
func (s *Service) tellFailure(inc *Incident, e Effect, ev Event) []Effect {
	user := e.Data["notify"]
	if user == s.botUser || user == ActorBot {
		user = ""
	}
	text := fmt.Sprintf("Incident %s (%s): %s. Once the cause is fixed, `/incident repair %d` retries it.", inc.Ref(), inc.Title, ev.Text, inc.Number)
	return []Effect{{
		// Keyed by the failure: failing again after a repair tells again.
		Key: e.Key + ":tell:" + ev.ID.String(), Lane: "tell:" + e.Key, IncidentID: inc.ID, Kind: EffectTell,
		Data: map[string]string{"user": user, "text": text},
	}}
}
