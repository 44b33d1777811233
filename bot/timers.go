package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/incident-bot/incident-bot/incidents"
)

// ActionSnooze is the reminder's "Snooze" button; its value is the
// incident ID. The reminder's other button is ActionUpdate.
const ActionSnooze = "incident_snooze"

// Remind posts an update reminder in the incident channel, mentioning the
// commander, with buttons to post an update or snooze once. It implements
// incidents.Notifier.
func (a *App) Remind(ctx context.Context, inc incidents.Incident, ev incidents.Event) error {
	if inc.ChannelID == "" {
		return errors.New("the incident has no channel")
	}
	text := fmt.Sprintf(":alarm_clock: <@%s> %s on %s %s. Post one so everyone knows where things stand.",
		inc.Commander, lowerFirst(ev.Text), inc.Severity.Label(), inc.Ref())
	id := inc.ID.String()
	blocks := []slack.Block{
		slack.NewSectionBlock(mrkdwn(text), nil, nil),
		slack.NewActionBlock("incident_reminder_actions",
			slack.NewButtonBlockElement(ActionUpdate, id, plain("Post update")).WithStyle(slack.StylePrimary),
			// The value names this reminder's cycle, so a Snooze clicked on an
			// old reminder (after an update started a new cycle) is refused.
			slack.NewButtonBlockElement(ActionSnooze, id+"|"+inc.RemindAt.Format(time.RFC3339Nano), plain("Snooze "+incidents.HumanLag(a.svc.Policy().For(inc.Severity).UpdateInterval))),
		),
	}
	_, _, err := a.api.PostMessageContext(ctx, inc.ChannelID, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
	if err != nil {
		return fmt.Errorf("post reminder: %s", DescribeSlackError(SlackErrorCode(err)))
	}
	return nil
}

// Escalate pages the level's user group in the incident channel and
// announces the escalation in INCIDENTS_CHANNEL.
func (a *App) Escalate(ctx context.Context, inc incidents.Incident, number int, level incidents.Level, ev incidents.Event) error {
	who := "No escalation group is configured (ESCALATION_USERGROUP)."
	if level.Group != "" {
		who = "<!subteam^" + level.Group + ">"
	}
	text := fmt.Sprintf(":rotating_light: %s %s %s *%s* is not resolved after %s — escalating (level %d). Commander: <@%s>.",
		who, inc.Severity.Label(), inc.Ref(), Quiet(inc.Title), incidents.HumanLag(level.After), number, inc.Commander)
	var errs []error
	if inc.ChannelID != "" {
		if _, _, err := a.api.PostMessageContext(ctx, inc.ChannelID, slack.MsgOptionText(text, false)); err != nil {
			errs = append(errs, fmt.Errorf("post escalation in the incident channel: %s", DescribeSlackError(SlackErrorCode(err))))
		}
	}
	if a.announce != "" {
		where := ""
		if inc.ChannelID != "" {
			where = " — <#" + inc.ChannelID + ">"
		}
		ann := fmt.Sprintf(":rotating_light: Incident %s *%s* (%s) escalated to level %d: not resolved after %s%s",
			inc.Ref(), Quiet(inc.Title), inc.Severity.Label(), number, incidents.HumanLag(level.After), where)
		if _, _, err := a.api.PostMessageContext(ctx, a.announce, slack.MsgOptionText(ann, false)); err != nil {
			errs = append(errs, fmt.Errorf("announce escalation: %s", DescribeSlackError(SlackErrorCode(err))))
		}
	}
	return errors.Join(errs...)
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]|0x20) + s[1:]
}
