package bot

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/slack-go/slack"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/alerting"
	"github.com/incident-bot/incident-bot/internal/txt"
)

// Buttons of a triage card; the value is the card's problem.
const (
	ActionTriageDeclare = "alert_triage_declare"
	ActionTriageMonitor = "alert_triage_monitor"
	ActionTriageDismiss = "alert_triage_dismiss"
)

var triageDecisions = map[string]string{
	ActionTriageDeclare: alerting.DecideDeclare,
	ActionTriageMonitor: alerting.DecideMonitor,
	ActionTriageDismiss: alerting.DecideDismiss,
}

func isTriage(actionID string) bool { return triageDecisions[actionID] != "" }

// TriageCard is the message asking a person what a problem's warnings
// mean: its first alert, the latest of its conditions, how many alerts
// came. Once every condition has resolved it is settled: no buttons.
func (r Renderer) TriageCard(c alerting.Card) (string, []slack.Block) {
	first := alerting.FromData(c.First)
	title := Escape(first.Title)
	if extra := c.Total - 1; extra > 0 {
		title += fmt.Sprintf(" (+%d more)", extra)
	}
	text := ":warning: Warning alert: " + title
	body := ":warning: *" + title + "*"
	if first.Text != "" && c.Total <= 1 {
		body += "\n" + Escape(txt.Clip(first.Text, 1200))
	}
	for _, l := range first.Links {
		body += "\n" + link(l)
	}
	if c.Total > 1 {
		for _, l := range c.Latest {
			mark := ":small_orange_diamond:"
			if l.Resolved {
				mark = ":white_check_mark:"
			}
			body += fmt.Sprintf("\n%s %s · %s", mark, Escape(l.Title), l.At.In(r.Location).Format("15:04 MST"))
		}
		if more := c.Total - len(c.Latest); more > 0 {
			body += fmt.Sprintf("\n…and %d more", more)
		}
	}
	count := max(c.Count, 1)
	ctx := fmt.Sprintf("%s · %d alert(s) since %s · repeats are counted, not reposted", Escape(first.Source), count, c.Since.In(r.Location).Format("15:04 MST"))
	blocks := []slack.Block{slack.NewSectionBlock(mrkdwn(body), nil, nil)}
	if c.Settled() {
		at := c.Since
		for _, l := range c.Latest {
			if l.At.After(at) {
				at = l.At
			}
		}
		ctx = fmt.Sprintf(":white_check_mark: All resolved at %s · %s", at.In(r.Location).Format("15:04 MST"), ctx)
		return text + " (resolved)", append(blocks, slack.NewContextBlock("", mrkdwn(ctx)))
	}
	return text, append(blocks,
		slack.NewContextBlock("", mrkdwn(ctx)),
		slack.NewActionBlock("alert_triage",
			slack.NewButtonBlockElement(ActionTriageDeclare, c.Key, plain("Declare incident")).WithStyle(slack.StylePrimary),
			slack.NewButtonBlockElement(ActionTriageMonitor, c.Key, plain("Monitor")),
			slack.NewButtonBlockElement(ActionTriageDismiss, c.Key, plain("Dismiss as false positive")).WithStyle(slack.StyleDanger),
		))
}

// decide hands a person's choice on a card to the alert side.
func (t *triageDesk) decide(ctx context.Context, o Origin, act slack.BlockAction) error {
	if t.alerts == nil {
		return incidents.Errorf(incidents.ENOTFOUND, "alerts are not set up here")
	}
	return t.alerts.Decide(ctx, alerting.Click{Card: act.Value, Decision: triageDecisions[act.ActionID], User: o.User, Channel: o.Channel, TS: o.MessageTS})
}

// cardChannel is where triage cards go; ok is false without an alert
// side or a triage channel.
func (t *triageDesk) cardChannel() (channel string, ok bool) {
	return t.triageChannel, t.triageChannel != "" && t.alerts != nil
}

// card draws the triage card an effect stands for, as the alert side has
// its problem now.
func (t *triageDesk) card(ctx context.Context, data map[string]string) (string, []slack.Block, error) {
	c, err := t.alerts.Card(ctx, data)
	if err != nil {
		return "", nil, err
	}
	text, blocks := t.render.TriageCard(c)
	return text, blocks, nil
}

// stillFiring completes a notice that asks what still fires with what
// does, as stored now: a recovery another replica stored meanwhile is not
// reported as firing.
func (t *triageDesk) stillFiring(ctx context.Context, incident uuid.UUID, n alerting.Notice) (alerting.Notice, error) {
	if !n.AskedStill || t.alerts == nil {
		return n, nil
	}
	still, err := t.alerts.FiringNow(ctx, incident, n)
	if err != nil {
		return n, err
	}
	n.StillFiring, n.StillFiringCount = still[:min(len(still), 10)], len(still)
	return n, nil
}

// doTriageUpdate redraws a triage card in place with its problem's alerts
// as they are now; a card a person decided on is left as they settled it.
func (t *triageDesk) doTriageUpdate(ctx context.Context, e incidents.Effect) error {
	if t.alerts == nil {
		return nil
	}
	c, err := t.alerts.Card(ctx, e.Data)
	if err != nil || c.Decided || c.TS == "" {
		// A card never posted had its failure reported; one a person
		// decided on keeps what they settled it to.
		return err
	}
	text, blocks := t.render.TriageCard(c)
	if _, _, _, err := t.api.UpdateMessageContext(ctx, c.Channel, c.TS, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...)); err != nil {
		return deliveryErr(err, false)
	}
	return nil
}
