package bot

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/internal/txt"
)

// Action IDs of the header buttons; the button value is the incident ID.
const (
	ActionUpdate   = "incident_update"
	ActionMitigate = "incident_mitigate"
	ActionResolve  = "incident_resolve"
)

// Renderer turns incidents into Slack text and blocks, with times in the
// team's display time zone.
type Renderer struct {
	Location *time.Location
}

func (r Renderer) when(t time.Time) string {
	return t.In(r.Location).Format("2006-01-02 15:04 MST")
}

func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}
func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, true, false)
}

// Escape makes text safe to show as mrkdwn: the domain holds plain text,
// so every text that did not come from the bot's own templates — titles,
// updates, alert fields, labels, action output — goes through Escape once,
// here at the edge. "<!channel>", "<@U…>", "<#C…>" and "<https://x|y>"
// then show as the characters they are, and ping or link nothing.
func Escape(s string) string { return txt.SlackEscape(s) }

// Unescape reverses Slack's escaping.
func Unescape(s string) string { return txt.SlackUnescape(s) }

// mention renders a Slack user ID as a mention. Anything that is not a
// user ID is shown as text.
func mention(id string) string {
	if userID.MatchString(id) {
		return "<@" + id + ">"
	}
	if id == incidents.ActorBot {
		return "the bot"
	}
	return Escape(id)
}

var userID = regexp.MustCompile(`^[UWB][A-Z0-9]{2,30}$`)

// link renders a URL from outside as a plain link: http(s) only, and
// nothing that could end the link early or give it other text ("|"),
// so a sender cannot disguise where it leads.
func link(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Escape(raw)
	}
	s := strings.NewReplacer("|", "%7C", "<", "%3C", ">", "%3E", " ", "%20", "&", "&amp;").Replace(u.String())
	return "<" + s + ">"
}

var sevEmoji = map[incidents.Severity]string{1: ":red_circle:", 2: ":large_orange_circle:", 3: ":large_yellow_circle:", 4: ":white_circle:"}

var statusEmoji = map[incidents.Status]string{
	incidents.StatusInvestigating: ":mag:", incidents.StatusMitigated: ":adhesive_bandage:", incidents.StatusResolved: ":white_check_mark:",
}

// Topic is the channel topic: severity, status, commander (Slack caps
// topics at 250 characters).
func (r Renderer) Topic(inc incidents.Incident) string {
	t := fmt.Sprintf("%s | %s | Commander: %s | %s", inc.Severity.Label(), inc.Status.Title(), mention(inc.Commander), Escape(inc.Title))
	return txt.ClipBytes(t, 250)
}

// Header is the pinned-in-spirit first message of the incident channel,
// kept current with chat.update. Closed incidents lose their buttons.
func (r Renderer) Header(inc incidents.Incident) (string, []slack.Block) {
	title := fmt.Sprintf("%s %s incident %s: %s", sevEmoji[inc.Severity], inc.Severity.Label(), inc.Ref(), Escape(inc.Title))
	fields := []*slack.TextBlockObject{
		mrkdwn("*Status*\n" + statusEmoji[inc.Status] + " " + inc.Status.Title()),
		mrkdwn("*Severity*\n" + inc.Severity.Label()),
		mrkdwn("*Commander*\n" + mention(inc.Commander)),
		mrkdwn("*Declared*\n" + r.when(inc.DeclaredAt)),
	}
	if !inc.ResolvedAt.IsZero() {
		fields = append(fields, mrkdwn("*Resolved*\n"+r.when(inc.ResolvedAt)+" (after "+txt.Duration(inc.Duration(inc.ResolvedAt))+")"))
	}
	blocks := []slack.Block{
		slack.NewSectionBlock(mrkdwn("*"+title+"*"), nil, nil),
		slack.NewSectionBlock(nil, fields, nil),
	}
	if inc.Description != "" {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(Escape(txt.Clip(inc.Description, 2900))), nil, nil))
	}
	if inc.Summary != "" {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn("*Resolution:* "+Escape(txt.Clip(inc.Summary, 2900))), nil, nil))
	}
	if inc.Status.Open() {
		id := inc.ID.String()
		btns := []slack.BlockElement{
			slack.NewButtonBlockElement(ActionUpdate, id, plain("Post update")).WithStyle(slack.StylePrimary),
		}
		if inc.Status != incidents.StatusMitigated {
			btns = append(btns, slack.NewButtonBlockElement(ActionMitigate, id, plain("Mitigated")))
		}
		btns = append(btns, slack.NewButtonBlockElement(ActionResolve, id, plain("Resolve")))
		blocks = append(blocks, slack.NewActionBlock("incident_header_actions", btns...))
	}
	blocks = append(blocks, slack.NewContextBlock("", mrkdwn(fmt.Sprintf("Declared by %s · `/incident help` for commands", mention(inc.Reporter)))))
	return title, blocks
}

// Announcement is posted in INCIDENTS_CHANNEL when an incident is declared.
func (r Renderer) Announcement(inc incidents.Incident) string {
	where := "no channel yet"
	if inc.ChannelID != "" {
		where = "join <#" + inc.ChannelID + ">"
	}
	return fmt.Sprintf("%s *%s* incident %s declared: *%s* — %s · commander %s · %s",
		sevEmoji[inc.Severity], inc.Severity.Label(), inc.Ref(), Escape(inc.Title), where, mention(inc.Commander), r.when(inc.DeclaredAt))
}

// ResolvedAnnouncement tells INCIDENTS_CHANNEL an incident is over.
func (r Renderer) ResolvedAnnouncement(inc incidents.Incident) string {
	s := fmt.Sprintf(":white_check_mark: Incident %s *%s* resolved after %s", inc.Ref(), Escape(inc.Title), txt.Duration(inc.Duration(inc.ResolvedAt)))
	if inc.ChannelID != "" {
		s += " — <#" + inc.ChannelID + ">"
	}
	return s
}

// StatusUpdate is the message posted for /incident update.
func (r Renderer) StatusUpdate(inc incidents.Incident, ev incidents.Event) (string, []slack.Block) {
	sev, status := inc.Severity.Label(), inc.Status.Title()
	if s, ok := incidents.ParseSeverity(ev.Data["severity"]); ok {
		sev = s.Label()
	}
	if st := incidents.Status(ev.Data["status"]); st.Valid() {
		status = st.Title()
	}
	head := fmt.Sprintf(":loudspeaker: *Status update* · %s · %s · by %s", sev, status, mention(ev.Actor))
	body := Escape(txt.Clip(ev.Text, 2900))
	return head + "\n" + body, []slack.Block{
		slack.NewSectionBlock(mrkdwn(head), nil, nil),
		slack.NewSectionBlock(mrkdwn(body), nil, nil),
		slack.NewContextBlock("", mrkdwn(r.when(ev.At))),
	}
}

// Summary is the ephemeral answer to /incident status.
func (r Renderer) Summary(inc incidents.Incident, now time.Time, last []incidents.Event) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*%s %s: %s*\n", inc.Severity.Label(), inc.Ref(), Escape(inc.Title))
	fmt.Fprintf(&b, "Status: %s · Commander: %s · Declared %s (%s ago)\n", inc.Status.Title(), mention(inc.Commander), r.when(inc.DeclaredAt), txt.Duration(inc.Duration(now)))
	if inc.Status.Open() {
		fmt.Fprintf(&b, "Last status update: %s ago\n", txt.Duration(now.Sub(inc.LastStatusUpdateAt)))
	}
	if len(last) > 0 {
		b.WriteString("*Recent timeline*\n")
		for _, e := range last {
			fmt.Fprintf(&b, "• %s — %s (%s)\n", e.At.In(r.Location).Format("15:04"), summaryLine(e), mention(e.Actor))
		}
	}
	return b.String()
}

// List is the ephemeral answer to /incident list.
func (r Renderer) List(incs []incidents.Incident, now time.Time) string {
	if len(incs) == 0 {
		return "No open incidents. :tada:"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "*%d open incident(s)*\n", len(incs))
	const shown = 30
	for i, inc := range incs {
		if i == shown {
			fmt.Fprintf(&b, "…and %d more\n", len(incs)-shown)
			break
		}
		ch := "no channel"
		if inc.ChannelID != "" {
			ch = "<#" + inc.ChannelID + ">"
		}
		fmt.Fprintf(&b, "• %s %s *%s* — %s · %s · %s · %s\n", sevEmoji[inc.Severity], inc.Ref(), Escape(txt.Clip(inc.Title, 80)),
			ch, inc.Status.Title(), mention(inc.Commander), txt.Duration(inc.Duration(now)))
	}
	return b.String()
}

// summaryLine is an event as the summary lists it: its text, escaped,
// or for a handover who handed over to whom.
func summaryLine(e incidents.Event) string {
	if e.Kind == incidents.EventCommanderChanged {
		return fmt.Sprintf("Commander changed from %s to %s", mention(e.Data["from"]), mention(e.Data["to"]))
	}
	return Escape(txt.Clip(e.Text, 200))
}
