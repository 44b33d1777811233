package bot

import (
	"context"

	"github.com/slack-go/slack"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/alerting"
)

// doPost posts what an effect tells, where it goes: the incident channel
// (or a thread in it), the incidents channel, the triage channel, or a
// person. With nowhere configured (no INCIDENTS_CHANNEL) it is done.
func (a *App) doPost(ctx context.Context, e incidents.Effect, inc incidents.Incident) (map[string]string, error) {
	channel, thread, ok := a.target(e, inc)
	if !ok {
		return nil, nil
	}
	if channel == "" {
		return nil, errNoChannel
	}
	var (
		text   string
		blocks []slack.Block
	)
	switch e.Kind {
	case incidents.EffectTell:
		text = a.render.Tell(e.Data["text"])
	case incidents.EffectTriage:
		c, err := a.alerts.Card(ctx, e.Data)
		if err != nil {
			return nil, err
		}
		text, blocks = a.render.TriageCard(c)
	case incidents.EffectNotice:
		n := alerting.ReadNotice(e.Data)
		if n.AskedStill && a.alerts != nil {
			// What still fires, as stored now: a recovery another replica
			// stored meanwhile is not reported as firing.
			still, err := a.alerts.FiringNow(ctx, inc.ID, n)
			if err != nil {
				return nil, err
			}
			n.StillFiring, n.StillFiringCount = still[:min(len(still), 10)], len(still)
		}
		text = a.render.Notice(n)
	default:
		text, blocks = a.renderPost(e, inc)
	}
	ts, err := a.postOnce(ctx, e, channel, thread, text, blocks)
	if err != nil {
		return nil, err
	}
	return map[string]string{"ts": ts, "channel": channel}, nil
}

// target is where an effect's message goes; ok is false when there is
// nowhere to post it (no such channel configured, or it is for the bot).
func (a *App) target(e incidents.Effect, inc incidents.Incident) (channel, thread string, ok bool) {
	switch e.Kind {
	case incidents.EffectTell:
		switch user := e.Data["user"]; user {
		case a.botUser, incidents.ActorBot:
			return "", "", false
		case "":
			return a.announce, "", a.announce != ""
		default:
			return user, "", true // the person's DM with the bot
		}
	case incidents.EffectTriage:
		return a.triageChannel, "", a.triageChannel != "" && a.alerts != nil
	}
	switch e.Data["to"] {
	case incidents.ToAnnounce:
		return a.announce, "", a.announce != ""
	case incidents.ToThread:
		return inc.ChannelID, e.Data["thread"], true
	}
	return inc.ChannelID, "", true
}

// doSettle replaces a message's buttons with what was decided.
func (a *App) doSettle(ctx context.Context, e incidents.Effect) error {
	text := a.render.Settled(e)
	blocks := []slack.Block{slack.NewSectionBlock(mrkdwn(text), nil, nil)}
	if title := e.Data["title"]; title != "" {
		blocks = []slack.Block{slack.NewSectionBlock(mrkdwn(":warning: *"+Escape(title)+"*"), nil, nil), slack.NewContextBlock("", mrkdwn(text))}
		text = Escape(title) + " — " + text
	}
	_, _, _, err := a.api.UpdateMessageContext(ctx, e.Data["channel"], e.Data["ts"], slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
	if err != nil {
		return deliveryErr(err, false)
	}
	return nil
}
