package incidents

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Transcript keeps incident channels as they happen: what Slack says
// happened in a channel (a message, an edit, a deletion, a pin, a
// reaction) is recorded when its channel is an incident's, so the
// postmortem draft is made from the store instead of re-reading the
// channel at the end (Slack limits conversations.history, and a channel
// can be archived or its messages deleted by then). It also says which
// stretches the bot may not have heard, for the draft to read from
// Slack's history.
type Transcript struct {
	log       ChannelLog
	incidents interface {
		ByChannel(ctx context.Context, channelID string) (Incident, error)
	}
	clock Clock
}

// TranscriptOptions configures NewTranscript.
type TranscriptOptions struct {
	Log ChannelLog
	// Incidents says which channels are incidents' (the Service).
	Incidents interface {
		ByChannel(ctx context.Context, channelID string) (Incident, error)
	}
	Clock Clock // default SystemClock
}

// NewTranscript validates opts.
func NewTranscript(opts TranscriptOptions) (*Transcript, error) {
	if opts.Log == nil || opts.Incidents == nil {
		return nil, errors.New("incidents: a transcript needs a channel log and the incidents")
	}
	if opts.Clock == nil {
		opts.Clock = SystemClock{}
	}
	return &Transcript{log: opts.Log, incidents: opts.Incidents, clock: opts.Clock}, nil
}

// ChannelChangeKind is what happened to a message.
type ChannelChangeKind string

// The changes a channel's messages go through.
const (
	MessagePosted   ChannelChangeKind = "posted"
	MessageEdited   ChannelChangeKind = "edited"
	MessageDeleted  ChannelChangeKind = "deleted"
	MessagePinned   ChannelChangeKind = "pinned"
	MessageUnpinned ChannelChangeKind = "unpinned"
	ReactionAdded   ChannelChangeKind = "reaction_added"
	ReactionRemoved ChannelChangeKind = "reaction_removed"
)

// ChannelChange is one thing Slack says happened in a channel.
type ChannelChange struct {
	Kind ChannelChangeKind
	// Message is the message as it is now (posted, edited) or, for the
	// other kinds, only its Channel and TS.
	Message ChannelMessage
	// Reaction and User are the emoji and who added or removed it.
	Reaction, User string
	// At is when it happened.
	At time.Time
}

// maxTextLen bounds a recorded message's text: Slack cuts messages at
// 40,000 characters; anything longer is not a person's message.
const maxTextLen = 40_000

// Take records c when its channel belongs to an incident, and says
// whether it did; a change elsewhere, or one that names no message, is
// ignored.
func (t *Transcript) Take(ctx context.Context, c ChannelChange) (bool, error) {
	m := c.Message
	if m.Channel == "" || m.TS == "" {
		return false, nil
	}
	inc, err := t.incidents.ByChannel(ctx, m.Channel)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("incident of channel %s: %w", m.Channel, err)
	}
	m.IncidentID = inc.ID
	if len(m.Text) > maxTextLen {
		m.Text = strings.ToValidUTF8(m.Text[:maxTextLen], "")
	}
	ref := MessageRef{IncidentID: inc.ID, Channel: m.Channel, TS: m.TS}
	switch c.Kind {
	case MessagePosted:
		m.Changed = m.At
		err = t.log.Record(ctx, m)
	case MessageEdited:
		m.Changed = c.At
		err = t.log.Edit(ctx, m)
	case MessageDeleted:
		err = t.log.Delete(ctx, ref, c.At)
	case MessagePinned, MessageUnpinned:
		err = t.log.Pin(ctx, ref, c.Kind == MessagePinned, c.At)
	case ReactionAdded, ReactionRemoved:
		if c.Reaction == "" || c.User == "" {
			return false, nil
		}
		err = t.log.React(ctx, ref, Reacting{Name: c.Reaction, User: c.User, Added: c.Kind == ReactionAdded, At: c.At})
	default:
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("record %s message %s in %s: %w", c.Kind, m.TS, m.Channel, err)
	}
	return true, nil
}

// Capturing records that the bot hears events from now on: what it
// missed before now is read from Slack's history when a draft needs it.
func (t *Transcript) Capturing(ctx context.Context) error {
	return t.log.CaptureStarted(ctx, t.clock.Now())
}

// Span is a stretch of a channel's life; a zero To means up to now.
type Span struct {
	From, To time.Time
}

// Recording is an incident's channel as recorded: its messages (deleted
// ones included, marked) and the stretches the bot may not have heard.
type Recording struct {
	Messages []ChannelMessage
	Unheard  []Span
}

// Read returns what was recorded of the incident's channel.
func (t *Transcript) Read(ctx context.Context, inc Incident) (Recording, error) {
	var r Recording
	if inc.ChannelID == "" {
		return r, nil
	}
	var err error
	if r.Messages, err = t.log.Messages(ctx, inc.ChannelID); err != nil {
		return r, fmt.Errorf("messages of %s: %w", inc.ChannelID, err)
	}
	starts, err := t.log.CaptureStarts(ctx, inc.DeclaredAt)
	if err != nil {
		return r, fmt.Errorf("capture starts: %w", err)
	}
	r.Unheard = unheard(inc.DeclaredAt, r.Messages, starts)
	return r, nil
}

// Backfill records messages read from Slack's history for a stretch the
// bot did not hear; those it recorded already stay as they are.
func (t *Transcript) Backfill(ctx context.Context, inc Incident, msgs []ChannelMessage) error {
	for _, m := range msgs {
		if m.Channel != inc.ChannelID || m.TS == "" {
			continue
		}
		m.IncidentID = inc.ID
		if m.Changed.IsZero() {
			m.Changed = m.At
		}
		if err := t.log.Record(ctx, m); err != nil {
			return fmt.Errorf("record message %s read from history: %w", m.TS, err)
		}
	}
	return nil
}

// clockSkew widens a stretch read from Slack's history where its bound
// is this host's clock, not a Slack ts: the two clocks may differ, and
// what is read twice is merged.
const clockSkew = time.Minute

// unheard finds the stretches of a channel that began at from which the
// bot may have missed. Before each capture start after from (a process
// start, the incident predating capture, a long disconnection) lies a
// stretch back to the last message heard before it, or to from. With no
// start at all, nothing is known to have been heard.
func unheard(from time.Time, msgs []ChannelMessage, starts []time.Time) []Span {
	if len(starts) == 0 {
		return []Span{{From: from.Add(-clockSkew)}}
	}
	var out []Span
	for _, s := range starts {
		if !s.After(from) {
			continue // capture was on when the channel began
		}
		sp := Span{From: from.Add(-clockSkew), To: s.Add(clockSkew)}
		if last, ok := lastHeardBefore(msgs, s); ok && last.After(from) {
			sp.From = last // a Slack ts: read strictly after it
		}
		out = append(out, sp)
	}
	return mergeSpans(out)
}

// lastHeardBefore is when the latest message posted before t was.
func lastHeardBefore(msgs []ChannelMessage, t time.Time) (time.Time, bool) {
	var last time.Time
	for _, m := range msgs {
		if m.At.Before(t) && m.At.After(last) {
			last = m.At
		}
	}
	return last, !last.IsZero()
}

// mergeSpans joins overlapping stretches, so each is read once.
func mergeSpans(ss []Span) []Span {
	slices.SortFunc(ss, func(a, b Span) int { return a.From.Compare(b.From) })
	var out []Span
	for _, s := range ss {
		if n := len(out); n > 0 && !s.From.After(out[n-1].To) {
			if s.To.After(out[n-1].To) {
				out[n-1].To = s.To
			}
			continue
		}
		out = append(out, s)
	}
	return out
}
