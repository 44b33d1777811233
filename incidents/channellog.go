package incidents

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// ChannelMessage is one message of an incident's channel as the bot
// recorded it, from Slack's events as they arrived (or, for stretches it
// did not hear, from Slack's history): its latest wording, whether it was
// edited, deleted or pinned, and its reactions. Text is plain, as people
// typed it (mentions of people as @U…, links as "label (url)").
type ChannelMessage struct {
	IncidentID uuid.UUID
	Channel    string
	TS         string    // Slack's ts: the message's ID in its channel
	At         time.Time // when it was posted (the ts, read as a time)
	User       string    // "" for a bot without a user
	BotID      string
	Name       string // a bot's name, when it has no user to name it
	Subtype    string // Slack's: "", "bot_message", "channel_join", "thread_broadcast", …
	Text       string
	ThreadTS   string // set on replies (and on a thread's parent)
	Color      string // an integration's attachment colour: its state
	Files      []ChannelFile
	Reactions  []ChannelReaction
	Edited     bool
	Deleted    bool
	Pinned     bool
	// Changed is when the message last changed. On a write it is when
	// this version was written: the ts of a new message, the time of an
	// edit. A version older than the stored one changes nothing.
	Changed time.Time
}

// ChannelFile is a file shared in a message.
type ChannelFile struct {
	Name string
	URL  string // permalink
}

// ChannelReaction is an emoji and who reacted with it, in order.
type ChannelReaction struct {
	Name  string
	Users []string
}

// MessageRef names a message of an incident's channel.
type MessageRef struct {
	IncidentID uuid.UUID
	Channel    string
	TS         string
}

// Reacting is one person adding (or removing) one reaction, at a time.
type Reacting struct {
	Name  string
	User  string
	Added bool
	At    time.Time
}

// ChannelLog keeps incident channels' messages as Slack reports what
// happens to them. Messages are keyed by (channel, ts), and every change
// carries when it happened: a change Slack delivers twice, or after a
// later one (events are worked on by several workers), is applied once
// and never over a newer one. A pin, reaction or deletion that arrives
// before its message is kept and applied to it when it arrives.
//
// It is declared here, by the Transcript that uses it; both stores
// implement it and pass incidents/storetest.
type ChannelLog interface {
	// Record stores a message as it was posted, unless it is stored
	// already (a redelivery changes nothing).
	Record(ctx context.Context, m ChannelMessage) error
	// Edit stores a message's new version, unless one written at or after
	// m.Changed is stored; a deleted message stays deleted.
	Edit(ctx context.Context, m ChannelMessage) error
	// Delete marks a message deleted, for good.
	Delete(ctx context.Context, ref MessageRef, at time.Time) error
	// Pin pins or unpins a message, unless a later pin or unpin is stored.
	Pin(ctx context.Context, ref MessageRef, pinned bool, at time.Time) error
	// React adds or removes one person's reaction, unless a later change
	// of that person's reaction is stored.
	React(ctx context.Context, ref MessageRef, r Reacting) error
	// Messages returns the channel's messages, deleted ones included
	// (marked), in ts order; reactions by name, their users in order.
	Messages(ctx context.Context, channel string) ([]ChannelMessage, error)
	// CaptureStarted records that the bot began to hear events at at (a
	// process started, or its connection came back after a while).
	CaptureStarted(ctx context.Context, at time.Time) error
	// CaptureStarts returns the starts after since, in order, preceded
	// by the last one at or before since when there is one: what was
	// missed lies just before each start.
	CaptureStarts(ctx context.Context, since time.Time) ([]time.Time, error)
}
