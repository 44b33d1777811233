package alerts

import (
	"strings"
	"time"

	"github.com/incident-bot/incident-bot/internal/txt"
)

// ChatEvent is a message event from an alert channel, in the fields (and
// JSON names) of Slack's Events API that tell an integration's alert from
// people talking.
type ChatEvent struct {
	Type        string           `json:"type"`
	SubType     string           `json:"subtype"`
	Channel     string           `json:"channel"`
	User        string           `json:"user"`
	BotID       string           `json:"bot_id"`
	Username    string           `json:"username"`
	Text        string           `json:"text"`
	TS          string           `json:"ts"`
	ThreadTS    string           `json:"thread_ts"`
	Attachments []ChatAttachment `json:"attachments"`
}

// ChatAttachment is the part of a legacy attachment integrations fill in.
type ChatAttachment struct {
	Title    string `json:"title"`
	Text     string `json:"text"`
	Fallback string `json:"fallback"`
	Color    string `json:"color"`
}

// Message flattens the event into a ChatMessage. It is false for what is
// not an integration's alert: people talking in the channel, the bot
// itself (botUser), edits, deletions and thread replies.
func (e ChatEvent) Message(botUser string) (ChatMessage, bool) {
	if e.BotID == "" && e.SubType != "bot_message" {
		return ChatMessage{}, false
	}
	if (botUser != "" && e.User == botUser) || (e.ThreadTS != "" && e.ThreadTS != e.TS) || (e.SubType != "" && e.SubType != "bot_message") {
		return ChatMessage{}, false
	}
	m := ChatMessage{Channel: e.Channel, Sender: e.Username, Text: e.Text, At: chatTime(e.TS)}
	if m.Sender == "" {
		m.Sender = e.BotID
	}
	for _, at := range e.Attachments {
		if m.Title == "" {
			m.Title = at.Title
		}
		if m.Color == "" {
			m.Color = at.Color
		}
		text := at.Text
		if strings.TrimSpace(text) == "" {
			text = at.Fallback
		}
		m.Text = strings.TrimSpace(m.Text + "\n" + text)
	}
	return m, true
}

// chatTime reads a Slack message timestamp ("1700000000.000200"); what
// is not one reads as the zero time.
func chatTime(ts string) time.Time {
	t, _ := txt.SlackTS(ts)
	return t
}
