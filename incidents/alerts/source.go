package alerts

import (
	"fmt"
	"strings"
	"time"

	"github.com/incident-bot/incident-bot/incidents/alerts/sns"
)

// Sources are the payload kinds ParseSource reads, as `playbooks match
// --source` names them.
var Sources = []string{"alertmanager", "sns", "uptimerobot", "webhook", "chat"}

// ParseSource reads one raw payload of a named source through the same
// parser its receiver uses, so a team (and the matching evaluation) sees
// what production would make of it. An SNS body's signature is not
// checked here: nothing is trusted or stored.
func ParseSource(source string, body []byte, now time.Time) ([]Alert, error) {
	switch source {
	case "alertmanager":
		return ParseAlertmanager(body, now)
	case "sns":
		env, err := sns.Parse(body)
		if err != nil {
			return nil, err
		}
		if env.Type != "Notification" {
			return nil, fmt.Errorf("an SNS %s carries no alert", env.Type)
		}
		a, err := ParseSNSMessage(env.Subject, env.Message, env.TopicArn, now)
		if err != nil {
			return nil, err
		}
		return []Alert{a}, nil
	case "uptimerobot":
		a, err := ParseUptimeRobot(body, now)
		if err != nil {
			return nil, err
		}
		return []Alert{a}, nil
	case "webhook":
		return ParseWebhook(body, now)
	case "chat":
		var ev ChatEvent
		if err := decode(body, &ev); err != nil {
			return nil, err
		}
		m, ok := ev.Message("")
		if !ok {
			return nil, nil
		}
		a, err := FromChat(m, now)
		if err != nil {
			return nil, err
		}
		return []Alert{a}, nil
	}
	return nil, fmt.Errorf("unknown source %q: use one of %s", source, strings.Join(Sources, ", "))
}

// MatchText is the text a runbook is matched against: the title and the
// body, the same for every source.
func (a Alert) MatchText() string { return a.Title + "\n" + a.Text }
