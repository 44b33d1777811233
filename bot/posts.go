package bot

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/internal/txt"
)

// ActionSnooze is the reminder's "Snooze" button; its value is the
// incident ID and the reminder's cycle. The reminder's other button is
// ActionUpdate.
const ActionSnooze = "incident_snooze"

// ActionTakeCommand is the "Take command" button on the opening message
// of an incident an alert opened: whoever clicks it takes command, which
// acknowledges the incident (and its pages). Its value is the incident ID.
const ActionTakeCommand = "incident_take_command"

// renderPost draws the message an EffectPost stands for: the event it
// tells, for the incident channel or the incidents channel.
func (p *performer) renderPost(e incidents.Effect, inc incidents.Incident) (string, []slack.Block) {
	ev, r := e.Event, p.render
	if e.Data["to"] == incidents.ToAnnounce {
		switch ev.Kind {
		case incidents.EventResolved:
			return r.ResolvedAnnouncement(inc), nil
		case incidents.EventEscalated:
			return r.EscalationAnnouncement(inc, ev), nil
		default:
			return r.Announcement(inc), nil
		}
	}
	switch ev.Kind {
	case incidents.EventStatusUpdate:
		return r.StatusUpdate(inc, ev)
	case incidents.EventMitigated, incidents.EventReopened, incidents.EventResolved:
		return r.StatusChange(inc, ev)
	case incidents.EventSeverityChanged:
		return fmt.Sprintf(":arrows_counterclockwise: %s changed the severity from %s to *%s*", mention(ev.Actor),
			sevLabel(ev.Data["from"]), sevLabel(ev.Data["to"])), nil
	case incidents.EventCommanderChanged:
		return fmt.Sprintf(":saluting_face: %s is now the incident commander (handed over by %s)", mention(ev.Data["to"]), mention(ev.Actor)), nil
	case incidents.EventSnoozed:
		until, _ := time.Parse(time.RFC3339, ev.Data["until"])
		return fmt.Sprintf(":zzz: %s snoozed the update reminder until %s", mention(ev.Actor), until.In(r.Location).Format("15:04")), nil
	case incidents.EventReminder:
		return r.Reminder(inc, ev)
	case incidents.EventEscalated:
		return r.Escalation(inc, ev), nil
	case incidents.EventAlert:
		return r.alertIntroBlocks(inc, ev, p.graphs != nil && p.graphs.Draws(ev.Data["graph"]))
	case incidents.EventUnacknowledged, incidents.EventPaged, incidents.EventPageFailed, incidents.EventAcknowledged:
		return r.Paging(ev), nil
	case incidents.EventPageRequested:
		return r.PageRequested(inc, ev), nil
	case incidents.EventActionPreviewed:
		return r.ConfirmAction(ev, p.dryRun)
	case incidents.EventActionFinished:
		return r.ActionResult(ev), nil
	}
	return Escape(ev.Text), nil
}

func sevLabel(s string) string {
	if sev, ok := incidents.ParseSeverity(s); ok {
		return sev.Label()
	}
	return Escape(s)
}

// StatusChange is the channel message of a mitigation, a return to
// investigating or a resolution; the resolution leads to the postmortem.
func (r Renderer) StatusChange(inc incidents.Incident, ev incidents.Event) (string, []slack.Block) {
	var s string
	switch ev.Kind {
	case incidents.EventMitigated:
		s = fmt.Sprintf(":adhesive_bandage: %s marked the incident *mitigated*", mention(ev.Actor))
	case incidents.EventResolved:
		s = fmt.Sprintf(":white_check_mark: %s *resolved* the incident after %s", mention(ev.Actor), txt.Duration(ev.At.Sub(inc.DeclaredAt)))
	default:
		s = fmt.Sprintf(":mag: %s moved the incident back to *investigating*", mention(ev.Actor))
	}
	if note := ev.Data["note"]; note != "" {
		s += ": " + Escape(txt.Clip(note, 2800))
	}
	if ev.Kind != incidents.EventResolved {
		return s, nil
	}
	return s, []slack.Block{
		slack.NewSectionBlock(mrkdwn(s), nil, nil),
		slack.NewActionBlock("incident_resolved_actions",
			slack.NewButtonBlockElement(ActionPostmortem, inc.ID.String(), plain("Postmortem draft")).WithStyle(slack.StylePrimary),
			slack.NewButtonBlockElement(ActionAddItem, inc.ID.String(), plain("Add action item"))),
	}
}

// Reminder asks the commander for a status update, with buttons to post
// one or snooze once.
func (r Renderer) Reminder(inc incidents.Incident, ev incidents.Event) (string, []slack.Block) {
	commander := ev.Data["commander"]
	if commander == "" {
		commander = inc.Commander
	}
	text := fmt.Sprintf(":alarm_clock: %s %s on %s %s. Post one so everyone knows where things stand.",
		mention(commander), lowerFirst(Escape(ev.Text)), inc.Severity.Label(), inc.Ref())
	if !inc.Status.Open() {
		return text, nil
	}
	snooze := "Snooze"
	if iv, err := time.ParseDuration(ev.Data["interval"]); err == nil {
		snooze += " " + txt.Duration(iv)
	}
	id := inc.ID.String()
	// The cycle is the reminder's next due time once it fired: a Snooze
	// on an older reminder, after an update started a new cycle, is refused.
	return text, []slack.Block{
		slack.NewSectionBlock(mrkdwn(text), nil, nil),
		slack.NewActionBlock("incident_reminder_actions",
			slack.NewButtonBlockElement(ActionUpdate, id, plain("Post update")).WithStyle(slack.StylePrimary),
			slack.NewButtonBlockElement(ActionSnooze, id+"|"+ev.Data["next"], plain(snooze)),
		),
	}
}

// Escalation pages the level's user group in the incident channel.
func (r Renderer) Escalation(inc incidents.Incident, ev incidents.Event) string {
	who := "No escalation group is configured (ESCALATION_USERGROUP)."
	if g := ev.Data["group"]; usergroupID.MatchString(g) {
		who = "<!subteam^" + g + ">"
	}
	after, _ := time.ParseDuration(ev.Data["after"])
	commander := ev.Data["commander"]
	if commander == "" {
		commander = inc.Commander
	}
	return fmt.Sprintf(":rotating_light: %s %s %s *%s* is not resolved after %s — escalating (level %s). Commander: %s.",
		who, inc.Severity.Label(), inc.Ref(), Escape(inc.Title), txt.Duration(after), Escape(ev.Data["level"]), mention(commander))
}

// EscalationAnnouncement tells INCIDENTS_CHANNEL about an escalation.
func (r Renderer) EscalationAnnouncement(inc incidents.Incident, ev incidents.Event) string {
	where := ""
	if inc.ChannelID != "" {
		where = " — <#" + inc.ChannelID + ">"
	}
	after, _ := time.ParseDuration(ev.Data["after"])
	return fmt.Sprintf(":rotating_light: Incident %s *%s* (%s) escalated to level %s: not resolved after %s%s",
		inc.Ref(), Escape(inc.Title), inc.Severity.Label(), Escape(ev.Data["level"]), txt.Duration(after), where)
}

// AlertIntro says, first thing in a channel an alert opened, what fired
// and that someone must take command.
func (r Renderer) AlertIntro(ev incidents.Event) string {
	at, _ := time.Parse(time.RFC3339, ev.Data["at"])
	var b strings.Builder
	fmt.Fprintf(&b, ":rotating_light: Opened automatically from %s alert at %s.\n*%s*", Escape(article(ev.Data["source"])),
		at.In(r.Location).Format("15:04 MST"), Escape(ev.Data["title"]))
	if t := ev.Data["text"]; t != "" {
		fmt.Fprintf(&b, "\n%s", Escape(txt.Clip(t, 1500)))
	}
	for _, l := range strings.Split(ev.Data["links"], "\n") {
		if l != "" {
			fmt.Fprintf(&b, "\n%s", link(l))
		}
	}
	b.WriteString("\nWho is taking command? Take it with the button, or `/incident commander @you`")
	return b.String()
}

// alertIntroBlocks is the opening message with its Take command button,
// while nobody has taken command.
func (r Renderer) alertIntroBlocks(inc incidents.Incident, ev incidents.Event, drawable bool) (string, []slack.Block) {
	text := r.AlertIntro(ev)
	var buttons []slack.BlockElement
	if inc.Status.Open() && inc.AcknowledgedAt.IsZero() {
		buttons = append(buttons, slack.NewButtonBlockElement(ActionTakeCommand, inc.ID.String(), plain("Take command")).WithStyle(slack.StylePrimary))
	}
	if drawable && inc.Status.Open() {
		buttons = append(buttons, slack.NewButtonBlockElement(ActionRefreshGraph, inc.ID.String(), plain("Refresh graph")))
	}
	if len(buttons) == 0 {
		return text, nil
	}
	return text, []slack.Block{
		// A section holds 3,000 characters; an alert's text and links may
		// be longer (the message's text keeps all of it).
		slack.NewSectionBlock(mrkdwn(txt.Clip(text, 3000)), nil, nil),
		slack.NewActionBlock("incident_alert_actions", buttons...),
	}
}

// Paging tells the channel of a page and its acknowledgement.
func (r Renderer) Paging(ev incidents.Event) string {
	icon := map[incidents.EventKind]string{incidents.EventUnacknowledged: ":pager:", incidents.EventPaged: ":pager:",
		incidents.EventPageFailed: ":warning:", incidents.EventAcknowledged: ":white_check_mark:"}[ev.Kind]
	if ev.Kind == incidents.EventAcknowledged && strings.HasPrefix(ev.Actor, "U") {
		return icon + " " + mention(ev.Actor) + " took command: the incident is acknowledged"
	}
	return icon + " " + Escape(ev.Text)
}

// PageRequested calls the person or user group paged on demand.
func (r Renderer) PageRequested(inc incidents.Incident, ev incidents.Event) string {
	who := Escape(ev.Data["via"])
	switch u := ev.Data["user"]; {
	case usergroupID.MatchString(u):
		who = "<!subteam^" + u + ">"
	case u != "":
		who = mention(u)
	}
	return fmt.Sprintf(":pager: %s paged %s: you are needed on %s %s (*%s*).", mention(ev.Actor), who, inc.Severity.Label(), inc.Ref(), Escape(inc.Title))
}

// Tell is a private word to one person about something that did not happen.
func (r Renderer) Tell(text string) string { return ":warning: " + Escape(text) }

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]|0x20) + s[1:]
}

// article puts "a" or "an" before a word, by its sound's first letter.
func article(word string) string {
	if word != "" && strings.ContainsRune("aeiouAEIOU", rune(word[0])) {
		return "an " + word
	}
	return "a " + word
}
