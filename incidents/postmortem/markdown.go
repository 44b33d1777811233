package postmortem

import (
	"fmt"
	"sort"
	"strings"
)

// Markdown renders the draft in the shape of the team's postmortems:
// Date, Authors, Status, Summary, Impact, Non-technical Description,
// Trigger, Detection, Resolution, Timeline, Root Cause(s) as five whys,
// Action Items, Lessons Learned — plus key figures and the actions run.
func (d Draft) Markdown() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# %s\n\n", d.Title)
	p("**Date:** %s  \n**Authors:** %s  \n**Status:** %s\n\n", d.Date, strings.Join(d.Authors, ", "), d.Status)
	section := func(title, body string) { p("## %s\n\n%s\n\n", title, body) }
	section("Summary", d.Summary)
	section("Impact", d.Impact)
	section("Non-technical Description", d.NonTechnical)
	section("Trigger", d.Trigger)
	section("Detection", d.Detection)
	section("Resolution", d.Resolution)

	p("## Key figures\n\n| | |\n|---|---|\n")
	for _, f := range d.Figures {
		p("| %s | %s |\n", f[0], f[1])
	}
	p("\n## Timeline\n\nAll times in %s. **Bold** lines are key events; `??:??` lines are gaps to fill in.\n\n", d.Location)
	for _, e := range d.Timeline {
		if e.Gap {
			p("- %s\n", e.Text)
			continue
		}
		when := e.At.In(d.Location).Format("15:04")
		if d.MultiDay {
			when = e.At.In(d.Location).Format("2006-01-02 15:04")
		}
		line := e.Text
		if e.Who != "" && !strings.Contains(line, "("+e.Who+")") {
			line = e.Who + ": " + line
		}
		if e.Key {
			line = "**" + line + "**"
		}
		indent := ""
		if e.Reply {
			indent = "  "
		}
		p("%s- %s - %s\n", indent, when, line)
	}
	if len(d.Omitted) > 0 {
		keys := make([]string, 0, len(d.Omitted))
		for k := range d.Omitted {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%d %s", d.Omitted[k], k)
		}
		p("\n_Left out of the timeline: %s._\n", strings.Join(parts, ", "))
	}

	p("\n## Actions taken\n\n")
	if len(d.Actions) == 0 {
		p("No actions were run from the bot.\n")
	} else {
		p("| Time | Who | Action | Outcome | Details |\n|---|---|---|---|---|\n")
		for _, a := range d.Actions {
			who := a.Who
			if a.ConfirmedBy != "" && a.ConfirmedBy != a.Who {
				who += " (confirmed by " + a.ConfirmedBy + ")"
			}
			detail := a.Detail
			if a.RequestID != "" {
				detail += " · " + a.RequestID
			}
			if a.Took != "" {
				detail += " · " + a.Took
			}
			p("| %s | %s | %s | %s | %s |\n", a.At.In(d.Location).Format("15:04"), cell(who), cell(a.Action), a.Outcome, cell(detail))
		}
	}

	p("\n## Root Cause(s)\n\n")
	for _, w := range d.Whys {
		if strings.HasPrefix(w, "  ") {
			p("%s\n", w)
		} else {
			p("- %s\n", w)
		}
	}
	p("\n## Action Items\n\n| Action Items | Owner |\n|---|---|\n")
	for _, it := range d.Items {
		p("| %s | %s |\n", cell(it.Text), cell(it.Owner))
	}
	if len(d.Items) == 0 {
		p("| ??? | ??? |\n")
	}
	p("\n## Lessons Learned\n\n- ???\n")
	return b.String()
}

// cell keeps a table cell on one line and its pipes escaped.
func cell(s string) string {
	return strings.ReplaceAll(strings.Join(strings.Fields(s), " "), "|", "\\|")
}
