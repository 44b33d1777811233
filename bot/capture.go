package bot

import (
	"context"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"go.uber.org/zap"

	"github.com/incident-bot/incident-bot/incidents"
)

// Keeping incident channels as they happen: the Events API reports every
// message, edit, deletion, thread reply, pin and reaction in the channels
// the bot is in, and those in incident channels are recorded by the
// Transcript, so the postmortem draft is made from the store. Such an
// event is stored in the inbox before its ack, like an alert channel's
// message; whether its channel is an incident's is asked when it is
// worked on (the store knows; a channel is an incident's from the moment
// the bot links it).

// capturing says whether an event may change an incident channel's
// record, and so is worth storing.
func (a *App) capturing(ev slackevents.EventsAPIEvent) bool {
	if a.transcript == nil {
		return false
	}
	_, ok := channelChange(ev.InnerEvent)
	return ok
}

// capture records the change an event reports, when its channel is an
// incident's.
func (a *App) capture(ctx context.Context, ev slackevents.EventsAPIEvent) error {
	if a.transcript == nil {
		return nil
	}
	c, ok := channelChange(ev.InnerEvent)
	if !ok {
		return nil
	}
	recorded, err := a.transcript.Take(ctx, c)
	if recorded {
		a.logFor(ctx).Debug("incident channel change recorded", zap.String("channel", c.Message.Channel),
			zap.String("ts", c.Message.TS), zap.String("change", string(c.Kind)))
	}
	return err
}

// heard records that the bot hears events from now on, after it
// (re)connected: what Slack could not deliver while it was away is read
// from the history when a draft needs it. It runs beside the socket loop,
// which must never wait for the store, and gives up when ctx ends (the
// bot stopping; the next start is recorded anyway).
func (a *App) heard(ctx context.Context) {
	if a.transcript == nil {
		return
	}
	go func() {
		for try := range 5 {
			wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err := a.transcript.Capturing(wctx)
			cancel()
			if err == nil || ctx.Err() != nil {
				return
			}
			a.log.Warn("could not record that capture resumed; trying again", zap.Int("attempt", try+1), zap.Error(err))
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second << try):
			}
		}
	}()
}

// channelChange reads an event as a change to a channel's messages; ok
// is false for events that are not one (a DM, a file's reaction).
func channelChange(inner slackevents.EventsAPIInnerEvent) (incidents.ChannelChange, bool) {
	switch e := inner.Data.(type) {
	case *slackevents.MessageEvent:
		return messageChange(e)
	case *slackevents.ReactionAddedEvent:
		return reactionChange(incidents.ReactionAdded, e.User, e.Reaction, e.Item, e.EventTimestamp)
	case *slackevents.ReactionRemovedEvent:
		return reactionChange(incidents.ReactionRemoved, e.User, e.Reaction, e.Item, e.EventTimestamp)
	case *slackevents.PinAddedEvent:
		return pinChange(incidents.MessagePinned, e.Channel, e.Item, e.EventTimestamp)
	case *slackevents.PinRemovedEvent:
		return pinChange(incidents.MessageUnpinned, e.Channel, e.Item, e.EventTimestamp)
	}
	return incidents.ChannelChange{}, false
}

// messageChange reads a message event: a new message (thread replies and
// the bot's own included), an edit, or a deletion. A thread parent
// deleted while it has replies stays as a tombstone: deleted too.
func messageChange(e *slackevents.MessageEvent) (incidents.ChannelChange, bool) {
	if e.Channel == "" || e.ChannelType == slackevents.ChannelTypeIM || e.ChannelType == slackevents.ChannelTypeMPIM {
		return incidents.ChannelChange{}, false
	}
	at := tsTime(firstNonEmpty(e.EventTimeStamp, e.TimeStamp))
	switch e.SubType {
	case "message_deleted":
		ts := e.DeletedTimeStamp
		if ts == "" && e.PreviousMessage != nil {
			ts = e.PreviousMessage.Timestamp
		}
		return incidents.ChannelChange{Kind: incidents.MessageDeleted, Message: incidents.ChannelMessage{Channel: e.Channel, TS: ts}, At: at}, ts != ""
	case "message_changed":
		if e.Message == nil || e.Message.Timestamp == "" {
			return incidents.ChannelChange{}, false
		}
		m := recordedMessage(e.Channel, *e.Message)
		if e.Message.SubType == "tombstone" {
			return incidents.ChannelChange{Kind: incidents.MessageDeleted, Message: m, At: at}, true
		}
		if e.Message.Edited != nil && e.Message.Edited.Timestamp != "" {
			at = tsTime(e.Message.Edited.Timestamp)
		}
		return incidents.ChannelChange{Kind: incidents.MessageEdited, Message: m, At: at}, true
	case "message_replied", "ekm_access_denied":
		// Hidden notices about a message, not messages: a reply arrives
		// as its own event.
		return incidents.ChannelChange{}, false
	}
	if e.Message == nil || e.TimeStamp == "" {
		return incidents.ChannelChange{}, false
	}
	m := recordedMessage(e.Channel, *e.Message)
	return incidents.ChannelChange{Kind: incidents.MessagePosted, Message: m, At: m.At}, true
}

func reactionChange(kind incidents.ChannelChangeKind, user, reaction string, it slackevents.Item, eventTS string) (incidents.ChannelChange, bool) {
	if it.Type != "message" || it.Channel == "" || it.Timestamp == "" || user == "" || reaction == "" {
		return incidents.ChannelChange{}, false
	}
	return incidents.ChannelChange{Kind: kind, Message: incidents.ChannelMessage{Channel: it.Channel, TS: it.Timestamp},
		Reaction: reaction, User: user, At: tsTime(eventTS)}, true
}

func pinChange(kind incidents.ChannelChangeKind, channel string, it slackevents.Item, eventTS string) (incidents.ChannelChange, bool) {
	ts := it.Timestamp
	if it.Message != nil && it.Message.Timestamp != "" {
		ts = it.Message.Timestamp
	}
	channel = firstNonEmpty(channel, it.Channel)
	if it.Type != "message" || channel == "" || ts == "" {
		return incidents.ChannelChange{}, false
	}
	return incidents.ChannelChange{Kind: kind, Message: incidents.ChannelMessage{Channel: channel, TS: ts}, At: tsTime(eventTS)}, true
}

// recordedMessage is a Slack message as the domain keeps it: plain text
// (Slack's escaping undone here, once; links as "label (url)", mentions
// as @U…). Alert bots often post only attachments: their fallback text
// stands in, so the alert is not lost.
func recordedMessage(channel string, m slack.Msg) incidents.ChannelMessage {
	rm := incidents.ChannelMessage{Channel: firstNonEmpty(channel, m.Channel), TS: m.Timestamp, At: tsTime(m.Timestamp),
		User: m.User, BotID: m.BotID, Name: m.Username, Subtype: m.SubType, ThreadTS: m.ThreadTimestamp,
		Edited: m.Edited != nil, Pinned: len(m.PinnedTo) > 0}
	if rm.Name == "" && m.BotProfile != nil {
		rm.Name = m.BotProfile.Name
	}
	text := m.Text
	for _, at := range m.Attachments {
		if rm.Color == "" {
			rm.Color = at.Color
		}
	}
	if strings.TrimSpace(text) == "" {
		var parts []string
		for _, at := range m.Attachments {
			t := at.Fallback
			if t == "" {
				t = strings.TrimSpace(at.Title + " " + at.Text)
			}
			if t != "" {
				parts = append(parts, t)
			}
		}
		text = strings.Join(parts, "\n")
	}
	rm.Text = PlainText(text)
	for _, r := range m.Reactions {
		rm.Reactions = append(rm.Reactions, incidents.ChannelReaction{Name: r.Name, Users: r.Users})
	}
	for _, f := range m.Files {
		rm.Files = append(rm.Files, incidents.ChannelFile{Name: f.Name, URL: f.Permalink})
	}
	return rm
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
