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
func (p *performer) doPost(ctx context.Context, e incidents.Effect, inc incidents.Incident) (map[string]string, error) {
	channel, thread, ok := p.target(e, inc)
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
		text = p.render.Tell(e.Data["text"])
	case incidents.EffectTriage:
		var err error
		if text, blocks, err = p.triage.card(ctx, e.Data); err != nil {
			return nil, err
		}
	case incidents.EffectNotice:
		n, err := p.triage.stillFiring(ctx, inc.ID, alerting.ReadNotice(e.Data))
		if err != nil {
			return nil, err
		}
		text = p.render.Notice(n)
	default:
		text, blocks = p.renderPost(e, inc)
	}
	ts, err := p.postOnce(ctx, e, channel, thread, text, blocks)
	if err != nil {
		return nil, err
	}
	return map[string]string{"ts": ts, "channel": channel}, nil
}

// target is where an effect's message goes; ok is false when there is
// nowhere to post it (no such channel configured, or it is for the bot).
func (p *performer) target(e incidents.Effect, inc incidents.Incident) (channel, thread string, ok bool) {
	switch e.Kind {
	case incidents.EffectTell:
		switch user := e.Data["user"]; user {
		case p.botUser, incidents.ActorBot:
			return "", "", false
		case "":
			return p.announce, "", p.announce != ""
		default:
			return user, "", true // the person's DM with the bot
		}
	case incidents.EffectTriage:
		channel, ok := p.triage.cardChannel()
		return channel, "", ok
	}
	switch e.Data["to"] {
	case incidents.ToAnnounce:
		return p.announce, "", p.announce != ""
	case incidents.ToThread:
		return inc.ChannelID, e.Data["thread"], true
	}
	return inc.ChannelID, "", true
}

// doSettle replaces a message's buttons with what was decided.
func (p *performer) doSettle(ctx context.Context, e incidents.Effect) error {
	text := p.render.Settled(e)
	blocks := []slack.Block{slack.NewSectionBlock(mrkdwn(text), nil, nil)}
	if title := e.Data["title"]; title != "" {
		blocks = []slack.Block{slack.NewSectionBlock(mrkdwn(":warning: *"+Escape(title)+"*"), nil, nil), slack.NewContextBlock("", mrkdwn(text))}
		text = Escape(title) + " — " + text
	}
	_, _, _, err := p.api.UpdateMessageContext(ctx, e.Data["channel"], e.Data["ts"], slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
	if err != nil {
		return deliveryErr(err, false)
	}
	return nil
}
