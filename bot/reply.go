package bot

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/slack-go/slack"
	"go.uber.org/zap"
)

// Origin is who asked and where: enough to answer them privately.
type Origin struct {
	User        string
	Channel     string
	MessageTS   string // for clicks: the message the button or box is on
	TriggerID   string
	ResponseURL string // from the slash command or interaction; never logged
}

// replier sends ephemeral answers: through the response_url when there is
// one (works in any channel, even where the bot is not a member), else
// with chat.postEphemeral.
type replier struct {
	api  MessagesAPI
	http *http.Client
	log  *zap.Logger
}

func (r replier) ephemeral(ctx context.Context, o Origin, text string) {
	r.ephemeralBlocks(ctx, o, text, nil)
}

// ephemeralBlocks is ephemeral with Block Kit content (text is the
// notification fallback).
func (r replier) ephemeralBlocks(ctx context.Context, o Origin, text string, blocks []slack.Block) {
	if o.ResponseURL != "" {
		msg := &slack.WebhookMessage{ResponseType: slack.ResponseTypeEphemeral, Text: text}
		if len(blocks) > 0 {
			msg.Blocks = &slack.Blocks{BlockSet: blocks}
		}
		err := slack.PostWebhookCustomHTTPContext(ctx, o.ResponseURL, r.http, msg)
		if err == nil {
			return
		}
		r.log.Warn("reply through response_url failed; trying chat.postEphemeral", zap.String("error", redactURL(err)))
	}
	if o.Channel == "" || o.User == "" {
		return
	}
	opts := []slack.MsgOption{slack.MsgOptionText(text, false)}
	if len(blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(blocks...))
	}
	if _, err := r.api.PostEphemeralContext(ctx, o.Channel, o.User, opts...); err != nil {
		r.log.Warn("ephemeral reply failed", zap.String("channel", o.Channel), zap.String("slack_error", SlackErrorCode(err)))
	}
}

// redactURL describes err without the URL a *url.Error carries: a
// response_url is a bearer credential for 30 minutes.
func redactURL(err error) string {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return ue.Op + ": " + ue.Err.Error()
	}
	return err.Error()
}
