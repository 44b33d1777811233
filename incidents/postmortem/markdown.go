package postmortem

import (
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/incident-bot/incident-bot/internal/txt"
)

// Markdown renders the draft in the shape of the team's postmortems:
// Date, Authors, Status, Summary, Impact, Non-technical Description,
// Trigger, Detection, Resolution, Timeline, Root Cause(s) as five whys,
// Action Items, Lessons Learned — plus key figures and the actions run.
func (d Draft) Markdown() string {
	var b strings.Builder
	d.writeHeader(&b)
	d.writeFigures(&b)
	d.writeTimeline(&b)
	d.writeActions(&b)
	d.writeRootCauses(&b)
	d.writeActionItems(&b)
	fmt.Fprintf(&b, "\n## Lessons Learned\n\n- ???\n")
	return b.String()
}

// writeHeader writes the title, the date/authors/status block and the prose sections.
func (d Draft) writeHeader(b *strings.Builder) {
	fmt.Fprintf(b, "# %s\n\n", d.Title)
	fmt.Fprintf(b, "**Date:** %s  \n**Authors:** %s  \n**Status:** %s\n\n", d.Date, strings.Join(d.Authors, ", "), d.Status)
	section := func(title, body string) { fmt.Fprintf(b, "## %s\n\n%s\n\n", title, body) }
	section("Summary", d.Summary)
	section("Impact", d.Impact)
	section("Non-technical Description", d.NonTechnical)
	section("Trigger", d.Trigger)
	section("Detection", d.Detection)
	section("Resolution", d.Resolution)
}

// writeFigures writes the key figures table.
func (d Draft) writeFigures(b *strings.Builder) {
	fmt.Fprintf(b, "## Key figures\n\n| | |\n|---|---|\n")
	for _, f := range d.Figures {
		fmt.Fprintf(b, "| %s | %s |\n", f[0], f[1])
	}
}

// writeTimeline writes the timeline section and, when anything was left
// out of it, the note saying what.
func (d Draft) writeTimeline(b *strings.Builder) {
	fmt.Fprintf(b, "\n## Timeline\n\n")
	d.writeChartLine(b)
	fmt.Fprintf(b, "All times in %s. **Bold** lines are key events; `??:??` lines are gaps to fill in.\n\n", d.Location)
	for _, e := range d.Timeline {
		if e.Gap {
			fmt.Fprintf(b, "- %s\n", e.Text)
			continue
		}
		indent := ""
		if e.Reply {
			indent = "  "
		}
		fmt.Fprintf(b, "%s- %s - %s\n", indent, d.timelineTime(e), timelineText(e))
	}
	if len(d.Omitted) > 0 {
		fmt.Fprintf(b, "\n_Left out of the timeline: %s._\n", d.omittedList())
	}
}

// writeChartLine links the timeline chart, names it, or says why there
// is none.
func (d Draft) writeChartLine(b *strings.Builder) {
	switch {
	case d.ChartLink != "":
		link := d.ChartLink
		if !strings.Contains(link, "://") {
			// A file name: with spaces, #, ? or % it stays one path.
			link = url.PathEscape(link)
		}
		fmt.Fprintf(b, "![Timeline chart](%s)\n\n", link)
	case d.ChartNote != "":
		fmt.Fprintf(b, "_%s_\n\n", strings.Join(strings.Fields(d.ChartNote), " "))
	case d.ChartMissing != "":
		// The reason may be an error's text: no markup of its own.
		why := strings.NewReplacer("*", " ", "`", "'", "[", "(", "]", ")").Replace(strings.Join(strings.Fields(d.ChartMissing), " "))
		fmt.Fprintf(b, "_(timeline chart unavailable: %s)_\n\n", txt.Clip(why, 200))
	}
}

// timelineTime is an entry's time in the draft's location, with the date
// when the incident spans more than one day.
func (d Draft) timelineTime(e Entry) string {
	if d.MultiDay {
		return e.At.In(d.Location).Format("2006-01-02 15:04")
	}
	return e.At.In(d.Location).Format("15:04")
}

// timelineText is an entry's text, prefixed with who wrote it and in bold when key.
func timelineText(e Entry) string {
	line := e.Text
	if e.Who != "" && !strings.Contains(line, "("+e.Who+")") {
		line = e.Who + ": " + line
	}
	if e.Key {
		line = "**" + line + "**"
	}
	return line
}

// omittedList lists the counts of what was left out of the timeline, sorted by kind.
func (d Draft) omittedList() string {
	keys := make([]string, 0, len(d.Omitted))
	for k := range d.Omitted {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", d.Omitted[k], k)
	}
	return strings.Join(parts, ", ")
}

// writeActions writes the table of actions run from the bot.
func (d Draft) writeActions(b *strings.Builder) {
	fmt.Fprintf(b, "\n## Actions taken\n\n")
	if len(d.Actions) == 0 {
		fmt.Fprintf(b, "No actions were run from the bot.\n")
		return
	}
	fmt.Fprintf(b, "| Time | Who | Action | Outcome | Details |\n|---|---|---|---|---|\n")
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
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", a.At.In(d.Location).Format("15:04"), cell(who), cell(a.Action), a.Outcome, cell(detail))
	}
	for _, a := range d.Actions {
		if len(a.Findings) > 0 {
			fmt.Fprintf(b, "\n#### %s %s\n", a.At.In(d.Location).Format("15:04"), a.Action)
			writeFindings(b, a.Findings)
		}
	}
}

// writeFindings writes what an action reported as Markdown: titles as
// lines, rows as a list (an indented row under the one above), code as a
// block.
func writeFindings(b *strings.Builder, fs []Findings) {
	for _, f := range fs {
		b.WriteString("\n")
		if f.Title != "" {
			b.WriteString(f.Title + "\n\n")
		}
		for _, r := range f.Rows {
			if t := strings.TrimLeft(r, " "); t != r {
				b.WriteString("  - " + t + "\n")
			} else {
				b.WriteString("- " + r + "\n")
			}
		}
		if len(f.Code) > 0 {
			fence := "```"
			b.WriteString("\n" + fence + "\n" + strings.ReplaceAll(strings.Join(f.Code, "\n"), fence, "'''") + "\n" + fence + "\n")
		}
	}
}

// writeRootCauses writes the five whys; indented lines stay as written.
func (d Draft) writeRootCauses(b *strings.Builder) {
	fmt.Fprintf(b, "\n## Root Cause(s)\n\n")
	for _, w := range d.Whys {
		if strings.HasPrefix(w, "  ") {
			fmt.Fprintf(b, "%s\n", w)
		} else {
			fmt.Fprintf(b, "- %s\n", w)
		}
	}
}

// writeActionItems writes the action items table, with a placeholder row when there are none.
func (d Draft) writeActionItems(b *strings.Builder) {
	fmt.Fprintf(b, "\n## Action Items\n\n| Action Items | Owner |\n|---|---|\n")
	for _, it := range d.Items {
		fmt.Fprintf(b, "| %s | %s |\n", cell(it.Text), cell(it.Owner))
	}
	if len(d.Items) == 0 {
		fmt.Fprintf(b, "| ??? | ??? |\n")
	}
}

// cell keeps a table cell on one line and its pipes escaped.
func cell(s string) string {
	return strings.ReplaceAll(strings.Join(strings.Fields(s), " "), "|", "\\|")
}
