package alerts

import (
	"errors"
	"regexp"
	"strings"
	"time"

	"github.com/incident-bot/incident-bot/internal/txt"
)

// SourceSlack marks alerts read from a Slack alert channel.
const SourceSlack = "slack"

// ChatMessage is a message an integration (AWS Chatbot, Uptime Robot's
// Slack integration, any alerting bot) posted in an alert channel: its
// text and attachments flattened, and the attachment colour, which those
// integrations use for state.
type ChatMessage struct {
	Channel string
	Sender  string // the bot's name, for the record
	Title   string // the attachment title, if any
	Text    string // the text and attachment texts
	Color   string // "danger", "good", "warning" or a hex colour
	At      time.Time
}

var (
	slackLink = regexp.MustCompile(`<([^|>]+)\|([^>]*)>`)
	slackBare = regexp.MustCompile(`<((?:https?://)[^>]+)>`)
	markup    = strings.NewReplacer("*", "", "`", "", "~", "")
	// Underscores are emphasis only around words ("_down_"); inside a
	// name (AWS_EC2_INSTANCE_STOP_SCHEDULED, :rotating_light:) they stay.
	underline   = regexp.MustCompile(`(^|[\s(])_([^_\s][^_]*?)_($|[\s).,:;!?])`)
	urlRE       = regexp.MustCompile(`https?://[^\s<>|)]+`)
	firingRE    = regexp.MustCompile(`(?i)\b(alarm|down|firing|critical|failed|failing|outage|error)\b`)
	resolvedRE  = regexp.MustCompile(`(?i)\b(ok|up|resolved|recovered|back to normal|healthy)\b`)
	warningRE   = regexp.MustCompile(`(?i)\b(warning|warn|insufficient[_ ]data|degraded|expir\w*)\b`)
	explicitRE  = regexp.MustCompile(`(?i)(?:state changed to|changed to|is now|\bis|status:|state:|from\s+(?:alarm|ok|insufficient[_ ]data)\s+(?:to|->|→))\s*(alarm|ok|down|up|insufficient[_ ]data|firing|resolved)\b`)
	stateWordRE = regexp.MustCompile(`(?i)\b(alarm|ok|up|down|firing|resolved|recovered|critical|warning|insufficient[_ ]data|is|now|monitor|state|changed|to|from)\b|[:|\-–—!()\[\]]`)
)

// FromChat reads an alert channel message as an alert. The state comes
// from the title's words (ALARM, DOWN, FIRING / OK, UP, RESOLVED), else
// from the attachment colour; an unclear message is a firing warning, so
// a person triages it rather than the bot guessing. The fingerprint is
// the title without its state words, so "Monitor is DOWN: API" and
// "Monitor is UP: API" are one condition.
func FromChat(m ChatMessage, now time.Time) (Alert, error) {
	text := plainChat(m.Text)
	title := plainChat(m.Title)
	if title == "" {
		title = txt.FirstLine(text)
	}
	if strings.TrimSpace(title) == "" {
		return Alert{}, errors.New("the message has no text")
	}
	a := Alert{Source: SourceSlack, Title: title, Text: text, At: m.At, Labels: map[string]string{"channel": m.Channel, "sender": m.Sender}}
	a.Links = urlRE.FindAllString(m.Text+" "+m.Title, maxLinks)
	head := title
	explicit := ""
	if mm := explicitRE.FindStringSubmatch(title + "\n" + text); mm != nil {
		explicit = strings.ToLower(mm[1])
	}
	switch {
	case explicit == "alarm" || explicit == "down" || explicit == "firing":
		a.Status, a.Severity = Firing, Critical
	case explicit == "ok" || explicit == "up" || explicit == "resolved":
		a.Status, a.Severity = Resolved, Critical
	case strings.HasPrefix(explicit, "insufficient"):
		a.Status, a.Severity = Firing, Warning
	case firingRE.MatchString(head) && !resolvedRE.MatchString(head):
		a.Status, a.Severity = Firing, Critical
	case resolvedRE.MatchString(head) && !firingRE.MatchString(head):
		a.Status, a.Severity = Resolved, Critical
	case m.Color == "good" || strings.EqualFold(m.Color, "#36a64f") || strings.EqualFold(m.Color, "#2eb886"):
		a.Status, a.Severity = Resolved, Critical
	case m.Color == "danger" || strings.EqualFold(m.Color, "#d00000") || strings.EqualFold(m.Color, "#a30200"):
		a.Status, a.Severity = Firing, Critical
	default:
		a.Status, a.Severity = Firing, Warning
	}
	if a.Status == Firing && warningRE.MatchString(head) {
		a.Severity = Warning
	}
	// The subject is the title up to its details: "Monitor is DOWN: API
	// health ( https://… ) - Reason: …" is about "API health".
	subject := title
	for _, cut := range []string{" (", " - ", ". "} {
		if i := strings.Index(subject, cut); i > 0 {
			subject = subject[:i]
		}
	}
	subject = strings.Join(strings.Fields(strings.ToLower(stateWordRE.ReplaceAllString(subject, " "))), " ")
	if subject == "" {
		subject = strings.ToLower(title)
	}
	a.Fingerprint = "slack:" + m.Channel + ":" + LabelsFingerprint(map[string]string{"subject": subject})
	a.normalise(now)
	return a, nil
}

// plainChat turns Slack markup into plain text: links to their labels
// (bare links to the URL), no emphasis.
func plainChat(s string) string {
	s = slackLink.ReplaceAllString(s, "$2 ($1)")
	s = slackBare.ReplaceAllString(s, "$1")
	s = txt.SlackUnescape(s)
	s = underline.ReplaceAllString(s, "$1$2$3")
	return strings.TrimSpace(markup.Replace(s))
}
