package bot

import (
	"context"

	"github.com/google/uuid"
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

// triageDesk owns the alert side's Slack end: integration messages in the
// alert channels become alerts, clicks on triage cards become decisions,
// and triage cards are drawn from what the AlertDesk says. Its own Slack
// call is chat.update, to redraw a card (MessagesAPI); the performer posts
// the cards, in the channel this desk names.
type triageDesk struct {
	*core
	api     MessagesAPI
	botUser string // its own messages in alert channels are not alerts
	// alerts decides what alerts and triage clicks mean; alertChannels'
	// integration messages are alerts; triageChannel receives triage
	// cards (all set by UseAlerts; nil alerts: no alert side).
	alerts        AlertDesk
	alertChannels map[string]bool
	triageChannel string
}

// UseAlerts wires the alert side: desk decides, triageChannel receives
// triage cards, and the integrations' messages in channels (Slack channel
// IDs) are read as alerts. It must be called before the App runs: the
// desk and the performer read these without a lock.
func (a *App) UseAlerts(desk AlertDesk, triageChannel string, channels []string) {
	a.triage.use(desk, triageChannel, channels)
}

func (t *triageDesk) use(desk AlertDesk, triageChannel string, channels []string) {
	t.alerts, t.triageChannel = desk, triageChannel
	t.alertChannels = map[string]bool{}
	for _, c := range channels {
		t.alertChannels[c] = true
	}
}

func (t *triageDesk) isAlertChannel(ch string) bool { return t.alerts != nil && t.alertChannels[ch] }

// alertMessage reads an integration's message in an alert channel, by
// the same reader `playbooks match --source chat` uses. People talking in
// the channel, the bot itself, edits, deletions and thread replies are
// not alerts.
func (t *triageDesk) alertMessage(ctx context.Context, m *slackevents.MessageEvent) error {
	ev := alerts.ChatEvent{Type: m.Type, SubType: m.SubType, Channel: m.Channel, User: m.User, BotID: m.BotID,
		Username: m.Username, Text: m.Text, TS: m.TimeStamp, ThreadTS: m.ThreadTimeStamp}
	if m.Message != nil {
		for _, at := range m.Message.Attachments {
			ev.Attachments = append(ev.Attachments, alerts.ChatAttachment{Title: at.Title, Text: at.Text, Fallback: at.Fallback, Color: at.Color})
		}
	}
	cm, ok := ev.Message(t.botUser)
	if !ok {
		return nil
	}
	al, err := alerts.FromChat(cm, t.svc.Now())
	if err != nil {
		t.logFor(ctx).Debug("alert channel message is not an alert", zap.String("channel", m.Channel), zap.String("reason", err.Error()))
		return nil
	}
	al.DeliveryID = "slack:" + m.Channel + ":" + m.TimeStamp
	// The message's job is retried (durably) until the store takes it.
	return t.alerts.Receive(ctx, []alerts.Alert{al})
}
