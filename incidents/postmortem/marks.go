package postmortem

import (
	"regexp"
	"strings"
	"time"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/graphs"
	"github.com/incident-bot/incident-bot/internal/txt"
)

// What the timeline chart marks is gathered while the draft is assembled,
// where each event, message and change is still known for what it is:
// the finished timeline only has their words.

// chartData is what the timeline chart draws besides the outages: its
// marks, and the stretch its time axis spans before the margin.
type chartData struct {
	marks    []graphs.Mark
	from, to time.Time
}

// markLabelMax is the longest mark label: the chart cuts longer ones
// (at 24 runes), and a label cut here is the label the chart shows.
const markLabelMax = 24

// mark adds a mark labelled "Who: text", who by first name only, so a
// label has room for what was said.
func (a *assembly) mark(at time.Time, kind, who, text string) {
	label := plainLabel(text, a.name)
	if first, _, _ := strings.Cut(who, " "); first != "" {
		label = first + ": " + label
	}
	a.d.chart.marks = append(a.d.chart.marks, graphs.Mark{At: at, Kind: kind, Label: txt.Clip(label, markLabelMax)})
}

func (a *assembly) addMark(at time.Time, kind, label string) {
	// Plain text: alert titles and monitors' names come from outside.
	a.d.chart.marks = append(a.d.chart.marks, graphs.Mark{At: at, Kind: kind, Label: txt.Clip(plainLabel(label, a.name), markLabelMax)})
}

// markEvent marks what a recorded event stands for on the chart: alerts,
// status updates, actions run, escalations (key events in the narrative)
// and the lifecycle's turns. The turns are marked from the incident's
// record instead (chartFacts), once each.
func (a *assembly) markEvent(e incidents.Event) {
	switch e.Kind {
	case incidents.EventAlert:
		if e.Data["status"] == "resolved" {
			return
		}
		at, err := time.Parse(time.RFC3339, e.Data["at"])
		if err != nil {
			at = e.At
		}
		a.addMark(at, "alert", alertTitle(e.Text, e.Data["source"]))
	case incidents.EventStatusUpdate:
		a.mark(e.At, "update", a.name(e.Actor), e.Text)
	case incidents.EventActionFinished:
		act := a.d.Actions[len(a.d.Actions)-1] // events appended it just before
		at := act.At
		if at.IsZero() { // no start recorded: when it finished
			at = e.At
		}
		a.addMark(at, "action", actionLabel(act))
	case incidents.EventEscalated:
		head, _, _ := strings.Cut(e.Text, ":")
		a.addMark(e.At, "key", head)
	case incidents.EventReopened:
		a.addMark(e.At, "status", "reopened")
	}
}

// actionLabel is the action's target, and its outcome when it was not ok:
// a failed action is what the reader looks for.
func actionLabel(act ActionTaken) string {
	if act.Outcome == "" || act.Outcome == "ok" {
		return act.Action
	}
	suffix := " (" + act.Outcome + ")"
	return txt.Clip(act.Action, max(markLabelMax-len([]rune(suffix)), 8)) + suffix
}

// markGaps marks each silence at its start with its length. Gaps are
// marks, not windows: a chart's windows are all shaded alike, so a
// silence would read as an outage, while "gap" marks are drawn dashed.
func (a *assembly) markGaps() {
	for _, e := range a.d.Timeline {
		if e.Gap {
			a.addMark(e.At, "gap", "??:?? "+txt.Duration(e.quiet)+" silence")
		}
	}
}

// chartFacts puts in the draft what its chart reads from the facts: the
// outages, the first alert, the lifecycle's turns and the stretch the
// time axis spans.
func (a *assembly) chartFacts(inc incidents.Incident) {
	f := a.facts
	a.d.Outages, a.d.Detected = a.outages, f.alert
	for _, o := range a.outages { // each outage's first DOWN post is an alert
		a.addMark(o.From, "alert", o.Subject)
	}
	// Reopened, an incident keeps its old ResolvedAt: it is not resolved.
	reopened := inc.Number > 0 && inc.Status.Open()
	resolved := inc.ResolvedAt
	if reopened {
		resolved = time.Time{}
	}
	if inc.Number > 0 {
		for _, turn := range []struct {
			at    time.Time
			label string
		}{{inc.DeclaredAt, "declared"}, {inc.MitigatedAt, "mitigated"}, {resolved, "resolved"}} {
			if !turn.at.IsZero() {
				a.addMark(turn.at, "status", turn.label)
			}
		}
	} else { // rebuilt from a channel: its start and end are read, not declared
		if !f.stated.IsZero() {
			a.addMark(f.stated, "status", "first report")
		}
		if !f.resolved.IsZero() {
			a.addMark(f.resolved, "status", "resolved (last UP post)")
		}
	}
	a.d.chart.from, a.d.chart.to = a.span(reopened)
}

// span is the stretch the chart's time axis covers: from the first
// alert or the declaration, or the change the Trigger section names when
// it came before (the chart should show what the draft says began it),
// to the resolution; for an incident not resolved, to its last mark.
func (a *assembly) span(open bool) (from, to time.Time) {
	f := a.facts
	end := f.end
	if open {
		end = time.Time{}
	}
	from, to = earliest(f.start, f.change.At), end
	for _, m := range a.d.chart.marks {
		if f.start.IsZero() && (from.IsZero() || m.At.Before(from)) {
			from = m.At
		}
		if end.IsZero() && m.At.After(to) {
			to = m.At
		}
	}
	return from, to
}

// label is how a change reads on the chart: who made it and the call,
// "rita PutBucketPolicy".
func (c Change) label() string {
	who, _, _ := strings.Cut(c.Who, " ") // "rita (role OpsAdmin)": rita
	if i := strings.LastIndexAny(who, "/:"); i >= 0 && i < len(who)-1 {
		who = who[i+1:] // an ARN or a role session: its last part
	}
	call, _, _ := strings.Cut(c.What, " ")
	label := strings.TrimSpace(who + " " + call)
	if c.Failed != "" {
		return txt.Clip(label, markLabelMax-len(" failed")) + " failed"
	}
	return txt.Clip(label, markLabelMax)
}

// mdLink is a Markdown link, as readable writes Slack's.
var mdLink = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)

// labelMarkup is what plain text leaves out of Slack's markup: emphasis
// marks, and the escapes of < and > (a label is drawn, not HTML).
var labelMarkup = strings.NewReplacer("*", "", "`", "", "~", "", "&lt;", "<", "&gt;", ">")

// plainLabel is a message as plain text for a chart label: people by
// name, links by their text, without markup.
func plainLabel(s string, name func(string) string) string {
	return txt.OneLine(labelMarkup.Replace(mdLink.ReplaceAllString(readable(s, name), "$1")))
}
