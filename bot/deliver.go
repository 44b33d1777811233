package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/slack-go/slack"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/playbooks"
)

// performMaxWait is how long one attempt waits for Slack's rate limits;
// a longer wait goes back to the outbox, which comes back when Slack
// said, without holding a worker (or losing the wait to a crash).
const performMaxWait = 2 * time.Second

// metadataType marks the bot's own messages: their metadata carries the
// effect's key, so a retry after an attempt whose answer was lost finds
// the message it posted instead of posting it twice.
const metadataType = "incident_bot_effect"

// performer does the outbox's effects in Slack (incidents.Performer):
// it creates (or finds again) incident channels, sets their topics,
// invites people, and posts or redraws headers, runbook cards, status
// messages, notices, announcements and triage cards, each message once
// even across retries. Its Slack calls: ChannelsAPI (conversations.create,
// .list, .join, .setTopic, .invite), MessagesAPI (chat.postMessage,
// chat.update) and HistoryAPI (conversations.history and .replies, to
// find a message an interrupted attempt already posted).
type performer struct {
	*core
	api      performerAPI
	announce string // INCIDENTS_CHANNEL; empty: no announcements
	prefix   string // channel names' prefix
	botUser  string // never invited; the creator of orphaned channels
	catalog  *playbooks.Catalog
	dryRun   bool // actions only say what they would do
	// triage draws triage cards and knows where they go (set by UseAlerts).
	triage *triageDesk
	// graphs draws alerts' graphs; nil: none are drawn.
	graphs  GraphRenderer
	uploads graphAPI
}

// performerAPI is the slice of Slack the performer uses.
type performerAPI interface {
	ChannelsAPI
	MessagesAPI
	HistoryAPI
}

// Perform does one effect of the outbox in Slack (incidents.Performer).
func (p *performer) Perform(ctx context.Context, e incidents.Effect) (map[string]string, error) {
	ctx = WithMaxWait(ctx, performMaxWait)
	var inc incidents.Incident
	if e.IncidentID != uuid.Nil {
		var err error
		if inc, err = p.svc.Get(ctx, e.IncidentID); err != nil {
			return nil, err // the store is briefly away: retried
		}
	}
	switch e.Kind {
	case incidents.EffectChannel:
		return p.doChannel(ctx, e, inc)
	case incidents.EffectRefresh:
		return nil, p.doRefresh(ctx, inc)
	case incidents.EffectInvite:
		return nil, p.doInvite(ctx, inc, e.Data["user"])
	case incidents.EffectHeader:
		return p.doHeader(ctx, e, inc)
	case incidents.EffectRunbook:
		return p.doRunbook(ctx, e, inc)
	case incidents.EffectPost, incidents.EffectNotice, incidents.EffectTell, incidents.EffectTriage:
		return p.doPost(ctx, e, inc)
	case incidents.EffectSettle:
		return nil, p.doSettle(ctx, e)
	case incidents.EffectTriageUpdate:
		return nil, p.triage.doTriageUpdate(ctx, e)
	case incidents.EffectRedraw:
		return nil, p.doRedraw(ctx, e, inc)
	case incidents.EffectGraph:
		return p.doGraph(ctx, e, inc)
	}
	return nil, &incidents.DeliveryError{Reason: "unknown effect " + string(e.Kind), Permanent: true}
}

// errNoChannel fails effects that need the incident channel when it could
// not be created: the people concerned were told about that already.
var errNoChannel = &incidents.DeliveryError{Reason: "the incident has no channel", Permanent: true, Quiet: true}

// doRefresh brings the topic and the header up to date.
func (p *performer) doRefresh(ctx context.Context, inc incidents.Incident) error {
	if inc.ChannelID == "" {
		return errNoChannel
	}
	if _, err := p.api.SetTopicOfConversationContext(ctx, inc.ChannelID, p.render.Topic(inc)); err != nil {
		return deliveryErr(err, false)
	}
	if inc.HeaderTS == "" {
		return nil
	}
	text, blocks := p.render.Header(inc)
	if _, _, _, err := p.api.UpdateMessageContext(ctx, inc.ChannelID, inc.HeaderTS, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...)); err != nil {
		return deliveryErr(err, false)
	}
	return nil
}

// doInvite invites user; being there already is fine.
func (p *performer) doInvite(ctx context.Context, inc incidents.Incident, user string) error {
	if inc.ChannelID == "" {
		return errNoChannel
	}
	if err := p.invite(ctx, inc, user); err != nil {
		return deliveryErr(err, false)
	}
	return nil
}

// invite adds user to the incident channel; already being there is fine.
func (p *performer) invite(ctx context.Context, inc incidents.Incident, user string) error {
	if user == "" || user == p.botUser || user == incidents.ActorBot || inc.ChannelID == "" {
		return nil
	}
	_, err := p.api.InviteUsersToConversationContext(ctx, inc.ChannelID, user)
	if code := SlackErrorCode(err); code == "already_in_channel" || code == "cant_invite_self" {
		return nil
	}
	return err
}

// doHeader posts the header once; its ts is kept to keep it current.
func (p *performer) doHeader(ctx context.Context, e incidents.Effect, inc incidents.Incident) (map[string]string, error) {
	if inc.HeaderTS != "" {
		return map[string]string{"ts": inc.HeaderTS}, nil
	}
	if inc.ChannelID == "" {
		return nil, errNoChannel
	}
	text, blocks := p.render.Header(inc)
	ts, err := p.postOnce(ctx, e, inc.ChannelID, "", text, blocks)
	if err != nil {
		return nil, err
	}
	return map[string]string{"ts": ts}, nil
}

// postOnce posts a message carrying the effect's key in its metadata.
// After an attempt whose outcome is unknown it first looks for that
// message, so a retry never posts twice.
func (p *performer) postOnce(ctx context.Context, e incidents.Effect, channel, thread, text string, blocks []slack.Block) (string, error) {
	if e.Uncertain {
		ts, err := p.findPosted(ctx, channel, thread, e.Key)
		if err != nil {
			return "", deliveryErr(err, false)
		}
		if ts != "" {
			return ts, nil
		}
	}
	opts := []slack.MsgOption{slack.MsgOptionText(text, false),
		slack.MsgOptionMetadata(slack.SlackMetadata{EventType: metadataType, EventPayload: map[string]any{"key": e.Key}})}
	if len(blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(blocks...))
	}
	if thread != "" {
		opts = append(opts, slack.MsgOptionTS(thread))
	}
	_, ts, err := p.api.PostMessageContext(ctx, channel, opts...)
	if err != nil {
		return "", deliveryErr(err, true)
	}
	return ts, nil
}

// findPosted looks among the latest messages of a channel (or thread) for
// the bot's message of effect key. A public channel the bot announces in
// without being a member is joined first, so it can look; where it still
// cannot read, it reports none: a duplicate is better than a lost message.
func (p *performer) findPosted(ctx context.Context, channel, thread, key string) (string, error) {
	msgs, err := p.latest(ctx, channel, thread)
	if SlackErrorCode(err) == "not_in_channel" && strings.HasPrefix(channel, "C") {
		if _, _, _, jerr := p.api.JoinConversationContext(ctx, channel); jerr == nil {
			msgs, err = p.latest(ctx, channel, thread)
		}
	}
	switch SlackErrorCode(err) {
	case "":
	case "not_in_channel", "channel_not_found":
		return "", nil
	default:
		return "", err
	}
	for _, m := range msgs {
		if m.Metadata.EventType == metadataType && fmt.Sprint(m.Metadata.EventPayload["key"]) == key {
			return m.Timestamp, nil
		}
	}
	return "", nil
}

// latest reads the latest messages of a channel or a thread, with their
// metadata.
func (p *performer) latest(ctx context.Context, channel, thread string) ([]slack.Message, error) {
	if thread != "" {
		msgs, _, _, err := p.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
			ChannelID: channel, Timestamp: thread, Limit: 100, IncludeAllMetadata: true})
		return msgs, err
	}
	h, err := p.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
		ChannelID: channel, Limit: 100, IncludeAllMetadata: true})
	if err != nil {
		return nil, err
	}
	return h.Messages, nil
}

// permanentCodes are Slack refusals that retrying will not change.
// Anything else ok:false (internal_error, fatal_error, …) is retried.
var transientCodes = map[string]bool{
	"ratelimited": true, "internal_error": true, "fatal_error": true, "service_unavailable": true,
	"request_timeout": true, "team_added_to_org": true,
}

// deliveryErr classifies a failed Slack call for the outbox. sent says
// the call was not idempotent: if no answer came, it may have happened.
func deliveryErr(err error, sent bool) error {
	if we, ok := errors.AsType[*WaitError](err); ok {
		return &incidents.DeliveryError{Reason: "rate limited by Slack", RetryAfter: time.Until(we.Until)}
	}
	if rl, ok := errors.AsType[*slack.RateLimitedError](err); ok {
		return &incidents.DeliveryError{Reason: "rate limited by Slack", RetryAfter: rl.RetryAfter}
	}
	code := SlackErrorCode(err)
	if _, ok := errors.AsType[slack.SlackErrorResponse](err); ok && !transientCodes[code] {
		return &incidents.DeliveryError{Code: code, Reason: ExplainSlackError(code), Permanent: true}
	}
	// A 5xx, a reset, a timeout: Slack may have done it before failing.
	return &incidents.DeliveryError{Code: code, Reason: ExplainSlackError(code), Uncertain: sent}
}
