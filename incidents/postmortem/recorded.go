package postmortem

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/internal/txt"
)

// Transcript is what a draft reads of an incident channel recorded as it
// happened (incidents.Transcript).
type Transcript interface {
	Read(ctx context.Context, inc incidents.Incident) (incidents.Recording, error)
	Backfill(ctx context.Context, inc incidents.Incident, msgs []incidents.ChannelMessage) error
}

// History reads from Slack's history a channel's messages posted in a
// stretch, threads included, and says how many calls that took.
type History interface {
	Between(ctx context.Context, channel string, s incidents.Span) ([]incidents.ChannelMessage, int, error)
}

// Recorded is the bot's Source: the channel as the bot recorded it while
// the incident went on, and, for the stretches it may not have heard (it
// was down, or the incident predates it), what Slack's history has; that
// is recorded too, so the next draft reads it from the store.
type Recorded struct {
	// Transcript is the recording; nil: nothing was recorded, the whole
	// channel is read from History.
	Transcript Transcript
	// History reads Slack's history; nil: stretches not heard stay
	// unread (the offline draft).
	History    History
	BotUserIDs []string
}

// Channel reads the incident's channel. Deleted messages are left out;
// edited ones have their latest wording. A stretch the history could not
// be read for is named in HistoryMissing, and the draft is made from
// what there is.
func (r Recorded) Channel(ctx context.Context, inc incidents.Incident) (Channel, error) {
	ch := Channel{ID: inc.ChannelID, Name: inc.ChannelName, Users: map[string]string{}, BotUserIDs: r.BotUserIDs}
	if inc.ChannelID == "" {
		return ch, nil
	}
	rec := incidents.Recording{Unheard: []incidents.Span{{From: inc.DeclaredAt.Add(-clockMargin)}}}
	if r.Transcript != nil {
		var err error
		if rec, err = r.Transcript.Read(ctx, inc); err != nil {
			return ch, err
		}
	}
	msgs := rec.Messages
	for _, s := range rec.Unheard {
		if r.History == nil {
			ch.HistoryMissing = "Slack's history is not read here"
			break
		}
		got, calls, err := r.History.Between(ctx, inc.ChannelID, s)
		ch.HistoryCalls += calls
		if err != nil {
			ch.HistoryMissing = incidents.ErrorMessage(err)
			break
		}
		if r.Transcript != nil {
			if err := r.Transcript.Backfill(ctx, inc, got); err != nil {
				return ch, err
			}
		}
		msgs = merged(msgs, got)
	}
	for _, m := range msgs {
		if m.TS == inc.HeaderTS && m.User != "" && !slices.Contains(ch.BotUserIDs, m.User) {
			// The header is the bot's own post: its author is the bot,
			// also where the bot's user ID is not known (offline).
			ch.BotUserIDs = append(slices.Clone(ch.BotUserIDs), m.User)
		}
		if !m.Deleted {
			ch.Messages = append(ch.Messages, fromRecorded(m))
		}
	}
	return ch, nil
}

// clockMargin widens the read of a channel nothing was recorded of: its
// creation is known by this host's clock, Slack's may differ.
const clockMargin = time.Minute

// merged adds to the recorded messages those read from history that were
// not recorded; a recorded message wins (events have what happened to
// it since).
func merged(recorded, read []incidents.ChannelMessage) []incidents.ChannelMessage {
	have := make(map[string]bool, len(recorded))
	for _, m := range recorded {
		have[m.TS] = true
	}
	out := slices.Clone(recorded)
	for _, m := range read {
		if !have[m.TS] {
			have[m.TS] = true
			out = append(out, m)
		}
	}
	slices.SortStableFunc(out, func(a, b incidents.ChannelMessage) int { return strings.Compare(a.TS, b.TS) })
	return out
}

// fromRecorded turns a recorded message (plain text) into a draft's
// message, written as Slack writes it: the draft's reader keeps &lt; and
// &gt; escaped, and names the people mentioned.
func fromRecorded(m incidents.ChannelMessage) Message {
	pm := Message{TS: m.TS, At: m.At, User: m.User, BotID: m.BotID, Name: m.Name, Subtype: m.Subtype, Text: slackText(m.Text),
		ThreadTS: m.ThreadTS, Edited: m.Edited, Pinned: m.Pinned, Color: m.Color}
	for _, r := range m.Reactions {
		pm.Reactions = append(pm.Reactions, Reaction{Name: r.Name, Users: r.Users})
	}
	for _, f := range m.Files {
		pm.Files = append(pm.Files, File(f))
	}
	return pm
}

// plainMention is a mention of a person in plain text (@U…, as the bot
// records Slack's <@U…>), not part of an address.
var plainMention = regexp.MustCompile(`(^|[^\w@.])@([UW][A-Z0-9]{8,})\b`)

// slackText escapes plain text the way Slack does and writes the
// mentions of people as Slack's <@U…> again.
func slackText(plain string) string {
	return plainMention.ReplaceAllString(txt.SlackEscape(plain), "$1<@$2>")
}
