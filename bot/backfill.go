package bot

import (
	"context"
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/postmortem"
	"github.com/incident-bot/incident-bot/internal/txt"
)

// The postmortem draft reads the channel as the bot recorded it while the
// incident went on (capture.go). Slack's history is read only for what
// the bot did not hear — it was down, or the incident predates it — since
// Slack limits conversations.history and .replies (for commercially
// distributed apps outside the Marketplace: a call a minute, 15 messages
// a page), and a channel read at the end may be archived or its messages
// deleted. The calls it took are counted and said.

// historyPage is how many messages one history or replies call asks for
// (Slack may answer with fewer).
const historyPage = 200

// source is where the draft reads the channel from: the recording, with
// Slack's history for the stretches not heard (all of the channel when
// nothing is recorded).
func (p *postmortemDesk) source() postmortem.Source {
	src := postmortem.Recorded{History: slackHistory{p}, BotUserIDs: []string{p.botUser}}
	if p.transcript != nil {
		src.Transcript = p.transcript
	}
	return src
}

// historyNote tells, in the draft's message, how much history was read.
func historyNote(ch postmortem.Channel) string {
	note := fmt.Sprintf(" (read %d history pages)", ch.HistoryCalls)
	if ch.HistoryMissing != "" {
		note += "; what I did not hear while I was away is missing: " + Escape(ch.HistoryMissing)
	}
	return note
}

// slackHistory reads stretches of a channel from Slack (postmortem.History).
type slackHistory struct{ p *postmortemDesk }

func (h slackHistory) Between(ctx context.Context, channel string, s incidents.Span) ([]incidents.ChannelMessage, int, error) {
	msgs, calls, err := h.p.readSpan(ctx, channel, s)
	if err != nil {
		return msgs, calls, incidents.Errorf(incidents.EINVALID, "Slack's history could not be read (%s)", DescribeSlackError(SlackErrorCode(err)))
	}
	return msgs, calls, nil
}

// readSpan reads the messages posted in s (after From, up to To), with
// the replies posted in s of the threads begun in it, page by page (the
// client waits out rate limits), and counts the calls.
func (p *postmortemDesk) readSpan(ctx context.Context, channel string, s incidents.Span) ([]incidents.ChannelMessage, int, error) {
	oldest, latest := slackTS(s.From), slackTS(s.To)
	// A reply "also sent to the channel" comes back from both history and
	// replies: keep it once.
	var out []incidents.ChannelMessage
	seen := map[string]bool{}
	add := func(m incidents.ChannelMessage) {
		if !seen[m.TS] {
			seen[m.TS] = true
			out = append(out, m)
		}
	}
	calls, cursor := 0, ""
	for {
		calls++
		page, err := p.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: channel, Cursor: cursor,
			Limit: historyPage, Oldest: oldest, Latest: latest})
		if err != nil {
			return out, calls, err
		}
		for _, m := range page.Messages {
			add(recordedMessage(channel, m.Msg))
			if m.ReplyCount > 0 {
				replies, n, err := p.replies(ctx, channel, m.Timestamp, oldest, latest)
				calls += n
				if err != nil {
					return out, calls, err
				}
				for _, r := range replies {
					add(r)
				}
			}
		}
		if !page.HasMore || page.ResponseMetaData.NextCursor == "" {
			return out, calls, nil
		}
		cursor = page.ResponseMetaData.NextCursor
	}
}

// replies reads a thread's replies posted between oldest and latest (the
// parent is already in history), and counts the calls.
func (p *postmortemDesk) replies(ctx context.Context, channel, ts, oldest, latest string) ([]incidents.ChannelMessage, int, error) {
	var out []incidents.ChannelMessage
	calls, cursor := 0, ""
	for {
		calls++
		msgs, more, next, err := p.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{ChannelID: channel, Timestamp: ts,
			Cursor: cursor, Limit: historyPage, Oldest: oldest, Latest: latest})
		if err != nil {
			return nil, calls, err
		}
		for _, m := range msgs {
			if m.Timestamp != ts {
				out = append(out, recordedMessage(channel, m.Msg))
			}
		}
		if !more || next == "" {
			return out, calls, nil
		}
		cursor = next
	}
}

// slackTS writes a time as a Slack ts ("" for none: no bound).
func slackTS(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return fmt.Sprintf("%d.%06d", t.Unix(), t.Nanosecond()/1000)
}

// tsTime reads a Slack ts ("1767693900.000200") as a time; what is not
// one (it comes from outside) reads as the zero time.
func tsTime(ts string) time.Time {
	t, _ := txt.SlackTS(ts)
	return t
}
