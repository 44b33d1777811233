package bot

import (
	"context"
	"time"

	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/incident-bot/incident-bot/incidents"
)

// maxNameAttempts bounds the -2, -3 … retries after name_taken.
const maxNameAttempts = 20

// doChannel creates the incident's channel. After an attempt whose
// outcome is unknown (a crash, a lost answer), the channel that attempt
// may have created is looked for first and linked, not duplicated.
func (p *performer) doChannel(ctx context.Context, e incidents.Effect, inc incidents.Incident) (map[string]string, error) {
	if inc.ChannelID != "" {
		return channelResult(inc.ChannelID, inc.ChannelName), nil
	}
	if e.Uncertain {
		ch, err := p.findOrphan(ctx, inc)
		if err != nil {
			return nil, deliveryErr(err, false)
		}
		if ch != nil {
			p.logFor(ctx).Info("linking the channel an interrupted set-up created", zap.String("incident_id", inc.ID.String()), zap.String("channel", ch.ID))
			return channelResult(ch.ID, ch.Name), nil
		}
	}
	ch, err := p.createChannel(ctx, inc)
	if err != nil {
		return nil, deliveryErr(err, true)
	}
	return channelResult(ch.ID, ch.Name), nil
}

func channelResult(id, name string) map[string]string {
	return map[string]string{"channel_id": id, "channel_name": name}
}

// createChannel tries inc-YYYYMMDD-slug, then -2, -3 … while the name is taken.
func (p *performer) createChannel(ctx context.Context, inc incidents.Incident) (*slack.Channel, error) {
	var err error
	for attempt := 1; attempt <= maxNameAttempts; attempt++ {
		var ch *slack.Channel
		ch, err = p.api.CreateConversationContext(ctx, slack.CreateConversationParams{ChannelName: p.channelName(inc, attempt)})
		if err == nil {
			return ch, nil
		}
		if SlackErrorCode(err) != "name_taken" {
			return nil, err
		}
	}
	return nil, err
}

func (p *performer) channelName(inc incidents.Incident, attempt int) string {
	return ChannelName(p.prefix, inc.DeclaredAt.In(p.render.Location), inc.Title, attempt)
}

// findOrphan finds a channel an interrupted attempt created for inc: one
// of the names it would have tried, created by the bot since the incident
// was declared, and not the channel of any incident. Of several (each
// attempt got name_taken from the one before), the last is the one.
func (p *performer) findOrphan(ctx context.Context, inc incidents.Incident) (*slack.Channel, error) {
	names := map[string]int{}
	for i := 1; i <= maxNameAttempts; i++ {
		names[p.channelName(inc, i)] = i
	}
	var found *slack.Channel
	best := 0
	cursor := ""
	for {
		chans, next, err := p.api.GetConversationsContext(ctx, &slack.GetConversationsParameters{
			Cursor: cursor, Limit: 1000, ExcludeArchived: true, Types: []string{"public_channel"}})
		if err != nil {
			return nil, err
		}
		for i := range chans {
			ch := &chans[i]
			n, ok := names[ch.Name]
			if !ok || ch.Creator != p.botUser || ch.Created.Time().Before(inc.DeclaredAt.Add(-time.Minute)) || n <= best {
				continue
			}
			if _, err := p.svc.ByChannel(ctx, ch.ID); err == nil {
				continue // another incident's channel
			}
			found, best = ch, n
		}
		if next == "" {
			return found, nil
		}
		cursor = next
	}
}
