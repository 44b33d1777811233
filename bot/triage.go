package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/incident-bot/incident-bot/alerts"
	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/playbooks"
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
	text := fmt.Sprintf(":warning: Warning alert: %s", al.Title)
	body := fmt.Sprintf(":warning: *%s*", Escape(al.Title))
	if al.Text != "" {
		body += "\n" + Escape(clipRunes(al.Text, 1200))
	}
	for _, l := range al.Links {
		body += fmt.Sprintf("\n<%s>", l)
	}
	ctx := fmt.Sprintf("%s · %s · repeats are counted, not reposted", al.Source, al.At.In(r.Location).Format("15:04 MST"))
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

// triage records a person's choice on a triage card and settles the card.
// Declaring opens an incident from the alert's latest occurrence, with
// the clicker as reporter; the click's ts makes it happen once.
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
	var settled string
	switch act.ActionID {
	case ActionTriageMonitor:
		t.Decision, settled = incidents.TriageMonitor, fmt.Sprintf(":eyes: Monitoring — <@%s> at %s", o.User, t.At.In(a.render.Location).Format("15:04"))
	case ActionTriageDismiss:
		t.Decision, settled = incidents.TriageDismissed, fmt.Sprintf(":no_entry_sign: Dismissed as a false positive by <@%s> at %s", o.User, t.At.In(a.render.Location).Format("15:04"))
	default:
		if inc, err := a.svc.Store().AlertIncident(ctx, fp); err == nil {
			if inc.Reporter == o.User && a.svc.Now().Sub(inc.DeclaredAt) < time.Minute {
				return nil // this person's own click a moment ago: the card already says so
			}
			// Meanwhile the condition got an incident of its own.
			a.settleCard(ctx, o, al.Title, fmt.Sprintf(":link: Already part of incident %s (<#%s>)", inc.Ref(), inc.ChannelID))
			return nil
		}
		inc, created, err := a.svc.Declare(ctx, incidents.Declaration{
			Title: clipRunes(al.Title, incidents.MaxTitleLen), Description: alertDescription(fromRecord(al)),
			Reporter: o.User, Source: "alert triage (" + al.Source + ")", Key: "triage:" + o.Channel + ":" + o.MessageTS,
		})
		if err != nil {
			return err
		}
		t.Decision, t.IncidentID = incidents.TriageDeclared, inc.ID
		settled = fmt.Sprintf(":rotating_light: Declared as incident %s by <@%s>", inc.Ref(), o.User)
		if created {
			rec := fromRecord(al)
			defer a.setup(ctx, o, inc, func(ctx context.Context, inc incidents.Incident, f *failures) {
				a.runbookForAlert(ctx, inc, rec, f)
			})
		}
	}
	if err := a.svc.Store().TriageAlerts(ctx, t); err != nil {
		return err
	}
	a.settleCard(ctx, o, al.Title, settled)
	return nil
}

// settleCard replaces a triage card's buttons with what was decided.
func (a *App) settleCard(ctx context.Context, o Origin, title, settled string) {
	if _, _, _, err := a.api.UpdateMessageContext(ctx, o.Channel, o.MessageTS, slack.MsgOptionText(title+" — "+settled, false),
		slack.MsgOptionBlocks(slack.NewSectionBlock(mrkdwn(":warning: *"+Escape(title)+"*"), nil, nil), slack.NewContextBlock("", mrkdwn(settled)))); err != nil {
		a.log.Warn("could not settle the triage card", zap.String("slack_error", SlackErrorCode(err)))
	}
}

// runbookForAlert posts the runbook that best matches the alert, labels
// included.
func (a *App) runbookForAlert(ctx context.Context, inc incidents.Incident, al alerts.Alert, f *failures) {
	if a.catalog == nil {
		return
	}
	best, ok := a.catalog.Match(playbooks.Query{Text: al.Title + "\n" + al.Text, Labels: al.Labels}, candidatesShown).Best()
	if !ok {
		return
	}
	if err := a.postCard(ctx, inc, incidents.By{User: incidents.ActorBot}, best.Playbook, whyMatched(best), nil); err != nil {
		a.stepFailed(ctx, inc, "post the runbook card", err, f)
	}
}

func fromRecord(r incidents.AlertRecord) alerts.Alert {
	return alerts.Alert{Source: r.Source, Fingerprint: r.Fingerprint, Status: alerts.Status(r.Status), Severity: alerts.Severity(r.Severity),
		Title: r.Title, Text: r.Text, Labels: r.Labels, Links: r.Links, At: r.At}
}

// triageWindow: a warning that has had a card in this long is counted,
// not carded again.
const triageWindow = 24 * time.Hour
