package postmortem

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/incident-bot/incident-bot/incidents/graphs"
	"github.com/incident-bot/incident-bot/internal/txt"
)

// The timeline chart's size in pixels: wider than an alert's graph, so an
// incident of hours has room for its labels.
const chartWidth, chartHeight = 1200, 360

// windowLabelMax is the longest outage label; the chart cuts at 32.
const windowLabelMax = 30

// Chart is the draft's timeline as a picture (graphs.Render draws it):
// the outages the alert posts tell of, shaded and labelled with their
// monitor; and marks for the alerts ("alert"), CloudTrail changes
// ("change"), status updates ("update"), actions run ("action"), key
// events, pinned or marked messages and escalations ("key"), the
// declaration, mitigation and resolution, or for a channel without a
// record its first report and last recovery ("status"), and the silences
// the timeline flags ??:?? ("gap", at the silence's start). Its time axis,
// in the draft's location, spans the incident — from its first alert or
// declaration (or the change the Trigger names, when earlier) to its
// resolution — with a margin of a twentieth of that, 2 to 30 minutes, on
// each side; what happened outside it, such as the follow-up after the
// resolution, is not drawn.
func (d Draft) Chart() graphs.Chart {
	from, to := d.chart.from, d.chart.to
	if !from.IsZero() && !to.IsZero() {
		pad := min(max(to.Sub(from)/20, 2*time.Minute), 30*time.Minute)
		from, to = from.Add(-pad), to.Add(pad)
	}
	c := graphs.Chart{Title: txt.Clip("Timeline: "+d.Title, 100), From: from, To: to, Location: d.Location,
		Width: chartWidth, Height: chartHeight, Marks: slices.Clone(d.chart.marks)}
	// Sorted here as well as by Plotted, so the chart is the same value
	// for the same draft, whatever order its parts were gathered in.
	slices.SortStableFunc(c.Marks, func(a, b graphs.Mark) int { return a.At.Compare(b.At) })
	for _, o := range d.Outages {
		c.Windows = append(c.Windows, graphs.Window{From: o.From, To: o.To, Label: txt.Clip(o.Subject, windowLabelMax)})
	}
	return c
}

// ChartText says what a chart draws (its Plotted), a line each: first its
// range ("11:25–16:19 span"), then the windows and marks in time order,
// "11:45–11:56 window TSS production" and "11:45 alert TSS production".
// Times are in the chart's location, with the date when the range spans
// more than one day. It is the chart's alt text, and what tests compare.
func ChartText(c graphs.Chart) string {
	loc := c.Location
	if loc == nil {
		loc = time.UTC
	}
	p := c.Plotted()
	layout := "15:04"
	if p.From.In(loc).Format(time.DateOnly) != p.To.In(loc).Format(time.DateOnly) {
		layout = "2006-01-02 15:04"
	}
	at := func(t time.Time) string { return t.In(loc).Format(layout) }
	var b strings.Builder
	fmt.Fprintf(&b, "%s–%s span\n", at(p.From), at(p.To))
	w, m := 0, 0
	for w < len(p.Windows) || m < len(p.Marks) {
		// A window before a mark at the same time: the outage, then what
		// was said of it.
		if w < len(p.Windows) && (m == len(p.Marks) || !p.Marks[m].At.Before(p.Windows[w].From)) {
			fmt.Fprintf(&b, "%s–%s window %s\n", at(p.Windows[w].From), at(p.Windows[w].To), p.Windows[w].Label)
			w++
			continue
		}
		fmt.Fprintf(&b, "%s %s %s\n", at(p.Marks[m].At), p.Marks[m].Kind, p.Marks[m].Label)
		m++
	}
	return b.String()
}
