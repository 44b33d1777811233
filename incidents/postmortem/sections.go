package postmortem

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/internal/txt"
)

// draftMark starts a sentence the draft wrote from what happened, for a
// person to check and edit.
const draftMark = "_Draft — check and edit:_ "

// summary fills the draft's sections and figures from the facts: each
// says what it was measured from, and what cannot be known is ???.
func (a *assembly) summary(inc incidents.Incident, events []incidents.Event, c counts) {
	d, loc := &a.d, a.opts.Location
	d.Authors = slices.Sorted(maps.Keys(a.authors))
	downText, down := impact(a.outages, loc)
	d.Summary = inc.Title + "."
	switch {
	case inc.Number > 0 && !inc.ResolvedAt.IsZero():
		d.Summary = fmt.Sprintf("%s incident %s: %s. Resolved %s after it was declared.", inc.Severity.Label(), inc.Ref(), inc.Title,
			txt.Duration(inc.ResolvedAt.Sub(inc.DeclaredAt)))
	case inc.Number > 0:
		d.Summary = fmt.Sprintf("%s incident %s: %s. Not resolved yet.", inc.Severity.Label(), inc.Ref(), inc.Title)
	case down > 0:
		d.Summary += fmt.Sprintf(" Down for %s in %d outage(s), per %s.", txt.Duration(down), len(a.outages), a.outages[0].Sender)
	}
	d.Impact = orUnknown(inc.Description)
	if downText != "" {
		d.Impact = draftMark + downText + "."
		if inc.Description != "" {
			d.Impact += " Reported: " + inc.Description
		}
	}
	d.NonTechnical = "???"
	d.Trigger = a.trigger()
	d.Detection = a.detection(inc)
	d.Resolution = a.resolution(inc)
	d.Figures = a.figures(inc, c, down)
	d.Whys = whys(inc, a.opts)
}

func (a *assembly) trigger() string {
	f, loc := a.facts, a.opts.Location
	if !f.change.At.IsZero() {
		return fmt.Sprintf("%sthe first change recorded before it began: %s at %s.", draftMark, f.change.line(), clock(f.change.At, loc, false))
	}
	if f.alert.IsZero() {
		return "??? (no alert and no recorded change to start from)"
	}
	return fmt.Sprintf("%sthe first sign was %s at %s. What changed just before? ???", draftMark, f.alertFrom, clock(f.alert, loc, false))
}

func (a *assembly) detection(inc incidents.Incident) string {
	f, loc := a.facts, a.opts.Location
	var s string
	switch {
	case !f.alert.IsZero():
		s = fmt.Sprintf("%s at %s (%s)", strings.SplitN(f.alertFrom, ":", 2)[0], clock(f.alert, loc, true), f.alertFrom)
	case inc.Number > 0:
		return fmt.Sprintf("Declared by %s at %s; no alert was recorded.", a.name(inc.Reporter), clock(inc.DeclaredAt, loc, true))
	default:
		return "??? (no alert post in the channel and no incident record)"
	}
	if inc.Number > 0 {
		s += fmt.Sprintf("; declared by %s at %s", a.name(inc.Reporter), clock(inc.DeclaredAt, loc, true))
	}
	return draftMark + s + "."
}

// resolution is the recorded resolution note, else what a person wrote
// last before the resolution (or the last recovery post).
func (a *assembly) resolution(inc incidents.Incident) string {
	if inc.Summary != "" {
		return inc.Summary
	}
	f, loc := a.facts, a.opts.Location
	if f.resolved.IsZero() {
		return "??? (no resolution recorded and no recovery post in the channel)"
	}
	var last Entry
	for _, e := range a.d.Timeline {
		if !e.auto && !e.Gap && e.Who != "" && !e.At.After(f.resolved.Add(time.Minute)) && e.At.After(last.At) {
			last = e
		}
	}
	s := fmt.Sprintf("resolved at %s (%s)", clock(f.resolved, loc, false), f.resolvedBy)
	if !last.At.IsZero() {
		s = fmt.Sprintf("%s at %s: %q; %s", last.Who, clock(last.At, loc, false), txt.Clip(last.Text, 300), s)
	}
	return draftMark + s + "."
}

// timeToDetect runs from the stated start (or, later, the first change)
// to the first alert; when the alert came first, where impact began is
// not recorded.
func (a *assembly) timeToDetect() string {
	f, loc := a.facts, a.opts.Location
	if !f.change.At.IsZero() && !f.alert.IsZero() && !f.alert.Before(f.change.At) {
		return between(f.change.At, f.alert, "the first recorded change", "the first alert", loc)
	}
	if !f.stated.IsZero() && !f.alert.IsZero() && f.alert.Before(f.stated) {
		return fmt.Sprintf("??? (the start of impact is not recorded: the first alert at %s came before %s at %s)",
			clock(f.alert, loc, false), f.statedFrom, clock(f.stated, loc, false))
	}
	return between(f.stated, f.alert, f.statedFrom, "the first alert", loc)
}

func (a *assembly) figures(inc incidents.Incident, c counts, down time.Duration) [][2]string {
	f, loc := a.facts, a.opts.Location
	out := [][2]string{{"Time to detect", a.timeToDetect()}}
	if inc.Number > 0 && !f.alert.IsZero() && f.alert.Before(inc.DeclaredAt) {
		out = append(out, [2]string{"Time to declare", between(f.alert, inc.DeclaredAt, "the first alert", "the declaration", loc)})
	}
	if down > 0 {
		out = append(out, [2]string{"Time down (alert posts)", fmt.Sprintf("%s in %d outage(s)", txt.Duration(down), len(a.outages))})
	}
	if inc.Number == 0 { // rebuilt from a channel: no record of updates or timers
		return append(out, [2]string{"Time to resolve", between(f.alert, f.resolved, "the first alert", f.resolvedBy, loc)})
	}
	since := func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return txt.Duration(t.Sub(inc.DeclaredAt)) + " after the declaration"
	}
	return append(out,
		a.acknowledgement(inc, c, since),
		[2]string{"Time to mitigate", since(inc.MitigatedAt)},
		[2]string{"Time to resolve", since(inc.ResolvedAt)},
		[2]string{"Status updates", strconv.Itoa(c.updates)},
		[2]string{"Update reminders", strconv.Itoa(c.reminders)},
		[2]string{"Escalations", strconv.Itoa(c.escalations)},
	)
}

// acknowledgement is when someone took the incident: the recorded
// acknowledgement (a person took command, or acknowledged a page), else,
// for incidents from before it was recorded, the first status update.
func (a *assembly) acknowledgement(inc incidents.Incident, c counts, since func(time.Time) string) [2]string {
	switch {
	case inc.AcknowledgedAt.IsZero():
		return [2]string{"Time to acknowledge (first status update)", since(c.firstUpdate)}
	case !inc.AcknowledgedAt.After(inc.DeclaredAt):
		return [2]string{"Time to acknowledge", "at the declaration (declared by a person)"}
	}
	who := inc.AcknowledgedBy // a provider's "PagerDuty: name", or a Slack user
	if !strings.Contains(who, " ") {
		who = a.name(who)
	}
	return [2]string{"Time to acknowledge", since(inc.AcknowledgedAt) + " (" + who + ")"}
}
