// Package postmortem assembles a postmortem draft — timeline, actions
// taken, key figures, a five-whys scaffold — from an incident's record and
// its channel, in the shape of the team's own postmortems. It is pure:
// the bot (or the Slack export reader) fetches, this package writes.
package postmortem

import (
	"time"

	"github.com/incident-bot/incident-bot/incidents"
)

// Message is one channel message, whatever it was read from (the Web
// API's conversations.history/replies or a workspace export).
type Message struct {
	TS        string    // Slack ts, unique in the channel
	At        time.Time // the ts as a time
	User      string    // user ID ("" for some bot posts)
	BotID     string    // set for bot messages
	Name      string    // the sender's name when User cannot give one (a bot's username)
	Subtype   string    // "", "channel_join", "bot_message", "thread_broadcast", …
	Text      string    // latest text (edits applied), as Slack writes it: escaped, mentions as <@U…>
	ThreadTS  string    // set on replies (and on a thread's parent)
	Edited    bool
	Pinned    bool
	Color     string // an integration's attachment colour ("danger", "good", "#36a64f"): its state
	Reactions []Reaction
	Files     []File
}

// Reaction is an emoji reaction and who added it.
type Reaction struct {
	Name  string
	Users []string
}

// File is a file shared in a message.
type File struct {
	Name string
	URL  string // permalink
}

// Channel is an incident channel's messages (threads included, in any
// order) and who is who.
type Channel struct {
	ID, Name string
	Messages []Message
	// Users maps user IDs to display names; unknown IDs are shown as
	// <@U…> so nothing is lost.
	Users map[string]string
	// BotUserIDs are the incident bot's own user IDs: its reminders and
	// notices are counted, not narrated.
	BotUserIDs []string
	// HistoryCalls counts the calls made to Slack's history (history and
	// replies pages) to read what the bot did not record as it happened:
	// 0 when it heard everything. HistoryMissing says why a stretch it
	// did not hear could not be read; "" when all were.
	HistoryCalls   int
	HistoryMissing string
}

// LastRunbook is the title and likely causes of the last runbook posted
// or switched to in the incident (the five whys start from it), as get
// finds it; a runbook that no longer exists is skipped for the one
// before it.
func LastRunbook(evs []incidents.Event, get func(id string) (title string, causes []string, ok bool)) (string, []string) {
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Kind != incidents.EventRunbookPosted && evs[i].Kind != incidents.EventRunbookSwitched {
			continue
		}
		if title, causes, ok := get(evs[i].Data["playbook"]); ok {
			return title, causes
		}
	}
	return "", nil
}
