package alerting

import (
	"context"
	"strings"
	"time"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/internal/txt"
)

// Decisions a person takes on a triage card.
const (
	DecideDeclare = "declare"
	DecideMonitor = "monitor"
	DecideDismiss = "dismiss"
)

// Click is a person's decision on a triage card.
type Click struct {
	Card     string // the button's value: the card's problem
	Decision string // DecideDeclare, DecideMonitor or DecideDismiss
	User     string
	// Channel and TS are the card's message: settled in place, and the
	// key that makes a double click one decision.
	Channel, TS string
}

// CardKey reads a card button's value. Cards posted before problems were
// grouped carry a bare fingerprint.
func CardKey(value string) string {
	for _, p := range []string{"group:", "svc:", "fp:", "fold:"} {
		if strings.HasPrefix(value, p) {
			return value
		}
	}
	return "fp:" + value
}

// Decide records a person's decision on a card, with the card's settling
// owed in the same transaction. Declaring opens an incident from the
// problem's latest alert, with the clicker as reporter and commander,
// and attaches the problem's alerts to it; the card's message makes it
// happen once.
func (r *Router) Decide(ctx context.Context, c Click) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return ErrStopped
	}
	key := CardKey(c.Card)
	v, err := r.store.CardAlerts(ctx, key, time.Time{}, 1)
	if err != nil {
		return err
	}
	if len(v.Latest) == 0 {
		return incidents.Errorf(incidents.ENOTFOUND, "I have no record of that alert")
	}
	al := FromRecord(v.Latest[0])
	now := r.svc.Now()
	t := incidents.Triage{Card: key, By: c.User, At: now}
	done := map[string]string{"title": al.Title, "by": c.User, "at": now.Format(time.RFC3339)}
	switch c.Decision {
	case DecideMonitor:
		t.Decision, done["settle"] = incidents.TriageMonitor, "monitor"
	case DecideDismiss:
		t.Decision, done["settle"] = incidents.TriageDismissed, "dismissed"
	default:
		if inc, err := r.store.AlertIncident(ctx, al.Fingerprint); err == nil {
			if inc.Reporter == c.User && now.Sub(inc.DeclaredAt) < time.Minute {
				return nil // this person's own click a moment ago: the card already says so
			}
			// Meanwhile the problem got an incident of its own: recorded as
			// the card's decision, so a later redraw leaves it settled.
			done["settle"], done["incident"], done["incident_channel"] = "joined", inc.Ref(), inc.ChannelID
			t.Decision, t.IncidentID = incidents.TriageDeclared, inc.ID
			return r.svc.Triage(ctx, t, settleCard(key, c, done))
		}
		// The card's problem is what the incident stands for: its later
		// conditions join it (see Router.state).
		keys := []string{"fp:" + al.Fingerprint, cardProblemKey(key)}
		if strings.HasPrefix(key, "group:") {
			keys = append(keys, key)
		}
		// A person declared it: the procedure for critical alerts applies when no playbook fits.
		inc, _, err := r.svc.Declare(ctx, incidents.Declaration{
			Title: txt.Clip(al.Title, incidents.MaxTitleLen), Description: Description(al),
			Reporter: c.User, Source: "alert triage (" + al.Source + ")", Key: "triage:" + c.Channel + ":" + c.TS,
			Runbook: incidents.RunbookQuery{Text: al.MatchText(), Labels: al.Labels, Critical: true}, AlertKeys: keys,
		})
		if err != nil {
			return err
		}
		t.Decision, t.IncidentID = incidents.TriageDeclared, inc.ID
		done["settle"], done["incident"] = "declared", inc.Ref()
	}
	return r.svc.Triage(ctx, t, settleCard(key, c, done))
}

// cardProblemKey is the alert key of an incident declared from a card.
func cardProblemKey(card string) string { return "card:" + card }

// settleCard is the effect replacing a card's buttons with what was
// decided; its key is the card's message, so a card is settled once, and
// it goes in the card's lane, after any redraw already owed.
func settleCard(card string, c Click, data map[string]string) []incidents.Effect {
	d := map[string]string{"channel": c.Channel, "ts": c.TS}
	for k, v := range data {
		d[k] = v
	}
	return []incidents.Effect{{Key: "settle:" + c.Channel + ":" + c.TS, Lane: cardLane(card), Kind: incidents.EffectSettle, Data: d}}
}
