package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/slack-go/slack"

	"github.com/incident-bot/incident-bot/alerts"
	"github.com/incident-bot/incident-bot/incidents"
)

// Buttons of a warning alert's triage card; the value is the fingerprint.
const (
	ActionTriageDeclare = "alert_triage_declare"
	ActionTriageMonitor = "alert_triage_monitor"
	ActionTriageDismiss = "alert_triage_dismiss"
)

func isTriage(actionID string) bool {
	return actionID == ActionTriageDeclare || actionID == ActionTriageMonitor || actionID == ActionTriageDismiss
}

// TriageCard is the message asking a person what a warning alert means.
func (r Renderer) TriageCard(al alerts.Alert) (string, []slack.Block) {
	text := fmt.Sprintf(":warning: Warning alert: %s", Escape(al.Title))
	body := fmt.Sprintf(":warning: *%s*", Escape(al.Title))
	if al.Text != "" {
		body += "\n" + Escape(clipRunes(al.Text, 1200))
	}
	for _, l := range al.Links {
		body += "\n" + link(l)
	}
	ctx := fmt.Sprintf("%s · %s · repeats are counted, not reposted", Escape(al.Source), al.At.In(r.Location).Format("15:04 MST"))
	// Fingerprints are bounded by alerts (≤ 500 bytes), well within a
	// button value's 2,000 characters.
	fp := al.Fingerprint
	return text, []slack.Block{
		slack.NewSectionBlock(mrkdwn(body), nil, nil),
		slack.NewContextBlock("", mrkdwn(ctx)),
		slack.NewActionBlock("alert_triage",
			slack.NewButtonBlockElement(ActionTriageDeclare, fp, plain("Declare incident")).WithStyle(slack.StylePrimary),
			slack.NewButtonBlockElement(ActionTriageMonitor, fp, plain("Monitor")),
			slack.NewButtonBlockElement(ActionTriageDismiss, fp, plain("Dismiss as false positive")).WithStyle(slack.StyleDanger),
		),
	}
}

// triage records a person's choice on a triage card, with the card's
// settling owed in the same transaction. Declaring opens an incident from
// the alert's latest occurrence, with the clicker as reporter and
// commander; the card's ts makes it happen once.
func (a *App) triage(ctx context.Context, o Origin, act slack.BlockAction) error {
	fp := act.Value
	// One click on a card at a time: a double click waits for the first
	// to finish, then finds its incident.
	defer a.lock(uuid.NewSHA1(deliveryNS, []byte("card:"+o.Channel+":"+o.MessageTS)))()
	al, err := a.svc.Store().LatestAlert(ctx, fp)
	if errors.Is(err, incidents.ErrNotFound) {
		return incidents.Errorf(incidents.ENOTFOUND, "I have no record of that alert")
	}
	if err != nil {
		return err
	}
	t := incidents.Triage{Fingerprint: fp, By: o.User, At: a.svc.Now()}
	done := map[string]string{"title": al.Title, "by": o.User, "at": t.At.Format(time.RFC3339)}
	switch act.ActionID {
	case ActionTriageMonitor:
		t.Decision, done["settle"] = incidents.TriageMonitor, "monitor"
	case ActionTriageDismiss:
		t.Decision, done["settle"] = incidents.TriageDismissed, "dismissed"
	default:
		if inc, err := a.svc.Store().AlertIncident(ctx, fp); err == nil {
			if inc.Reporter == o.User && a.svc.Now().Sub(inc.DeclaredAt) < time.Minute {
				return nil // this person's own click a moment ago: the card already says so
			}
			// Meanwhile the condition got an incident of its own.
			done["settle"], done["incident"], done["incident_channel"] = "joined", inc.Ref(), inc.ChannelID
			return a.svc.AddEffects(ctx, settleCard(o, done))
		}
		rec := fromRecord(al)
		inc, _, err := a.svc.Declare(ctx, incidents.Declaration{
			Title: clipRunes(al.Title, incidents.MaxTitleLen), Description: alertDescription(rec),
			Reporter: o.User, Source: "alert triage (" + al.Source + ")", Key: "triage:" + o.Channel + ":" + o.MessageTS,
			Runbook: incidents.RunbookQuery{Text: al.Title + "\n" + al.Text, Labels: al.Labels},
		})
		if err != nil {
			return err
		}
		t.Decision, t.IncidentID = incidents.TriageDeclared, inc.ID
		done["settle"], done["incident"] = "declared", inc.Ref()
	}
	return a.svc.Triage(ctx, t, settleCard(o, done))
}

// settleCard is the effect replacing a triage card's buttons with what
// was decided; its key is the card, so a card is settled once.
func settleCard(o Origin, data map[string]string) []incidents.Effect {
	e := settle(o.Channel, o.MessageTS, data)
	e.Key, e.Lane = "settle:"+o.Channel+":"+o.MessageTS, "card:"+o.Channel+":"+o.MessageTS
	return []incidents.Effect{e}
}

func fromRecord(r incidents.AlertRecord) alerts.Alert {
	return alerts.Alert{Source: r.Source, Fingerprint: r.Fingerprint, Status: alerts.Status(r.Status), Severity: alerts.Severity(r.Severity),
		Title: r.Title, Text: r.Text, Labels: r.Labels, Links: r.Links, At: r.At}
}

// triageWindow: a warning that has had a card in this long is counted,
// not carded again.
const triageWindow = 24 * time.Hour
