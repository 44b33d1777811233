package bot

import (
	"context"
	"strings"

	"github.com/google/uuid"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"go.uber.org/zap"

	"github.com/incident-bot/incident-bot/incidents/alerting"
	"github.com/incident-bot/incident-bot/incidents/alerts"
)

// AlertDesk is the alert side the Slack transport serves: it takes the
// alerts read in alert channels, says what a triage card shows, and
// records the decisions taken on cards (incidents/alerting.Router).
type AlertDesk interface {
	alerts.Sink
	Card(ctx context.Context, data map[string]string) (alerting.Card, error)
	FiringNow(ctx context.Context, incident uuid.UUID, n alerting.Notice) ([]string, error)
	Decide(ctx context.Context, c alerting.Click) error
}

// UseAlerts wires the alert side: desk decides, triageChannel receives
// triage cards, and the integrations' messages in channels (Slack channel
// IDs) are read as alerts.
func (a *App) UseAlerts(desk AlertDesk, triageChannel string, channels []string) {
	a.alerts, a.triageChannel = desk, triageChannel
	a.alertChannels = map[string]bool{}
	for _, c := range channels {
		a.alertChannels[c] = true
	}
}

func (a *App) isAlertChannel(ch string) bool { return a.alerts != nil && a.alertChannels[ch] }

// alertMessage reads an integration's message in an alert channel. People
// talking in the channel, the bot itself, edits, deletions and thread
// replies are not alerts.
func (a *App) alertMessage(ctx context.Context, m *slackevents.MessageEvent) error {
	if m.BotID == "" && m.SubType != "bot_message" {
		return nil
	}
	if m.User == a.botUser || (m.ThreadTimeStamp != "" && m.ThreadTimeStamp != m.TimeStamp) || (m.SubType != "" && m.SubType != "bot_message") {
		return nil
	}
	cm := alerts.ChatMessage{Channel: m.Channel, Sender: m.Username, Text: m.Text, At: tsTime(m.TimeStamp)}
	if cm.Sender == "" {
		cm.Sender = m.BotID
	}
	var attachments []slack.Attachment
	if m.Message != nil {
		attachments = m.Message.Attachments
	}
	for _, at := range attachments {
		if cm.Title == "" {
			cm.Title = at.Title
		}
		if cm.Color == "" {
			cm.Color = at.Color
		}
		text := at.Text
		if strings.TrimSpace(text) == "" {
			text = at.Fallback
		}
		cm.Text = strings.TrimSpace(cm.Text + "\n" + text)
	}
	al, err := alerts.FromChat(cm, a.svc.Now())
	if err != nil {
		a.logFor(ctx).Debug("alert channel message is not an alert", zap.String("channel", m.Channel), zap.String("reason", err.Error()))
		return nil
	}
	al.DeliveryID = "slack:" + m.Channel + ":" + m.TimeStamp
	// The message's job is retried (durably) until the store takes it.
	return a.alerts.Receive(ctx, []alerts.Alert{al})
}
