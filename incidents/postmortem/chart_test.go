package postmortem

import (
	"bytes"
	"image/png"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/graphs"
)

// withAlerts is the realistic incident opened from an alert, with an
// uptime monitor's DOWN and UP posts in the channel, a repeat DOWN post in
// between (the same outage), and two CloudTrail changes: one before the
// declaration, one in the long silence, failed.
func withAlerts() (incidents.Incident, []incidents.Event, *Channel, Options) {
	inc, evs, ch := realistic()
	evs = append(evs, incidents.Event{ID: uuid.New(), IncidentID: inc.ID, At: at(time.Minute), Actor: incidents.ActorBot, Kind: incidents.EventAlert,
		Text: "Opened from alert: web 5xx above 5% (cloudwatch)", Data: map[string]string{"source": "cloudwatch", "status": "firing", "at": at(-4 * time.Minute).Format(time.RFC3339)}})
	post := func(d time.Duration, text, color string) Message {
		return Message{TS: tsOf(at(d)), At: at(d), BotID: "B0UPTIME", Name: "Uptime Robot", Subtype: "bot_message", Text: text, Color: color}
	}
	ch.Messages = append(ch.Messages,
		post(-2*time.Minute, "Monitor is DOWN: checkout (<https://shop.example>) - Reason: HTTP 502 - Bad Gateway", "a30200"),
		post(8*time.Minute, "Monitor is DOWN: checkout (<https://shop.example>) - Reason: HTTP 502 - Bad Gateway", "a30200"),
		post(66*time.Minute, "Monitor is UP: checkout (<https://shop.example>). It was down for 1 hour and 8 minutes.", "2eb886"))
	opts := Options{Location: time.UTC, Changes: []Change{
		{At: at(-10 * time.Minute), Who: "terraform-ci", Agent: "Terraform 1.9.8", What: "UpdateService on web"},
		{At: at(35 * time.Minute), Who: "arn:aws:sts::1:assumed-role/Ops/rita", Console: true, What: "PutBucketPolicy on media", Failed: "AccessDenied"},
	}}
	return inc, evs, ch, opts
}

// The chart marks each kind of event where the draft has it, shades the
// outage, and spans the incident with its margin.
func TestTimelineChart(t *testing.T) {
	inc, evs, ch, opts := withAlerts()
	d := Assemble(inc, evs, ch, opts)
	c := d.Chart()
	got := ChartText(c)
	for _, want := range []string{
		"2026-11-20 22:34–2026-11-21 00:30 span\n", // 22:40 (the change the Trigger names) to 00:25, 5m15s either side
		"2026-11-20 22:40 change terraform-ci UpdateServ…\n",
		"2026-11-20 22:46 alert web 5xx above 5%\n",
		"2026-11-20 22:48–2026-11-20 23:56 window checkout\n",
		"2026-11-20 22:48 alert checkout\n",
		"2026-11-20 22:50 status declared\n",
		"2026-11-20 22:58 update Bob: Looking at ECS: ta…\n",
		"2026-11-20 23:02 gap ??:?? 23m silence\n",
		"2026-11-20 23:20 key Escalated (level 1)\n",
		"2026-11-20 23:25 change rita PutBucketPo… failed\n",
		"2026-11-20 23:48 key Bob: Decision: roll bac…\n",
		"2026-11-20 23:52 action Roll back task definiti…\n",
		"2026-11-21 00:00 status mitigated\n",
		"2026-11-21 00:02 key Carol: Errors gone on t…\n",
		"2026-11-21 00:25 status resolved\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("chart lacks %q", want)
		}
	}
	if n := strings.Count(got, " alert checkout"); n != 1 {
		t.Errorf("%d alert marks for the checkout outage, want 1 (its repeated DOWN post is the same outage):\n%s", n, got)
	}
	if c.Location != time.UTC || c.Width != chartWidth || c.Title != "Timeline: Users see 502 errors" {
		t.Errorf("chart = %q %v %dx%d", c.Title, c.Location, c.Width, c.Height)
	}
	checkChart(t, d)
}

// checkChart asserts what any draft's chart must get right, whatever it
// shows: one window per outage, as the draft has it; the first alert mark
// at the detection time; a gap mark for every ??:?? line; short, plain
// labels.
func checkChart(t *testing.T, d Draft) {
	t.Helper()
	p := d.Chart().Plotted()
	if len(p.Windows) != len(d.Outages) {
		t.Fatalf("%d windows for %d outages", len(p.Windows), len(d.Outages))
	}
	for i, o := range d.Outages {
		to := o.To
		if to.IsZero() {
			to = p.To
		}
		if w := p.Windows[i]; !w.From.Equal(o.From) || !w.To.Equal(to) || w.Label != o.Subject {
			t.Errorf("window %d = %v–%v %q, outage %v–%v %q", i, w.From, w.To, w.Label, o.From, o.To, o.Subject)
		}
	}
	var firstAlert time.Time
	for _, m := range p.Marks {
		if m.Kind == "alert" && firstAlert.IsZero() {
			firstAlert = m.At
		}
		if utf8.RuneCountInString(m.Label) > markLabelMax || strings.ContainsAny(m.Label, "*`\n") || strings.Contains(m.Label, "](") || strings.Contains(m.Label, "&lt;") {
			t.Errorf("label %q is not short plain text", m.Label)
		}
	}
	if !firstAlert.Equal(d.Detected) {
		t.Errorf("first alert mark at %v, detected at %v", firstAlert, d.Detected)
	}
	for _, e := range d.Timeline {
		if e.Gap && !hasMark(p.Marks, e.At, "gap") {
			t.Errorf("the gap %q has no mark at %v", e.Text, e.At)
		}
	}
}

func hasMark(ms []graphs.Mark, at time.Time, kind string) bool {
	for _, m := range ms {
		if m.Kind == kind && m.At.Equal(at) {
			return true
		}
	}
	return false
}

// The chart renders as a PNG of its size; a draft with no time at all
// has no chart, and says why instead.
func TestTimelineChartRenders(t *testing.T) {
	inc, evs, ch, opts := withAlerts()
	b, err := graphs.Render(Assemble(inc, evs, ch, opts).Chart())
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil || img.Bounds().Dx() != chartWidth || img.Bounds().Dy() != chartHeight {
		t.Fatalf("PNG: %v, %v", img.Bounds(), err)
	}
	if _, err := graphs.Render(Assemble(incidents.Incident{Title: "nothing"}, nil, nil, Options{}).Chart()); err == nil {
		t.Error("a draft without a single time renders a chart")
	}
}

// An incident still open runs to its last mark; an outage not back in the
// channel is shaded to the chart's end.
func TestTimelineChartOpenIncident(t *testing.T) {
	inc, evs, ch, opts := withAlerts()
	inc.ResolvedAt, inc.MitigatedAt, inc.Status = time.Time{}, time.Time{}, incidents.StatusInvestigating
	evs = evs[:len(evs)-3] // up to the action: not mitigated, not resolved
	ch.Messages = ch.Messages[:len(ch.Messages)-1]
	d := Assemble(inc, evs, ch, opts)
	p := d.Chart().Plotted()
	last := p.Marks[len(p.Marks)-1]
	// From the first change (22:40) to the last mark (00:02): 82m, so a
	// margin of 4m06s.
	if last.Label != "Carol: Errors gone on t…" || !p.To.Equal(at(72*time.Minute+4*time.Minute+6*time.Second)) {
		t.Errorf("last mark %v %q, chart to %v", last.At, last.Label, p.To)
	}
	if len(p.Windows) != 1 || !p.Windows[0].To.Equal(p.To) {
		t.Errorf("windows %+v, chart to %v", p.Windows, p.To)
	}
	checkChart(t, d)
}

// The Timeline section links the chart, or says why there is none.
func TestChartLineInMarkdown(t *testing.T) {
	inc, evs, ch := realistic()
	d := Assemble(inc, evs, ch, Options{})
	if md := d.Markdown(); !strings.Contains(md, "## Timeline\n\nAll times in UTC.") {
		t.Errorf("without a chart, a chart line:\n%s", md)
	}
	d.ChartLink = "https://acme.slack.com/files/U0BOT/F1/postmortem-incident-12-timeline.png"
	if md := d.Markdown(); !strings.Contains(md, "## Timeline\n\n![Timeline chart](https://acme.slack.com/files/U0BOT/F1/postmortem-incident-12-timeline.png)\n\nAll times in UTC.") {
		t.Errorf("no link:\n%s", md)
	}
	d.ChartLink = "my chart (1).png"
	if md := d.Markdown(); !strings.Contains(md, "![Timeline chart](my%20chart%20%281%29.png)") {
		t.Errorf("a name with spaces is not one link target:\n%s", md)
	}
	d.ChartLink, d.ChartNote = "", "The chart is x.png."
	if md := d.Markdown(); !strings.Contains(md, "## Timeline\n\n_The chart is x.png._\n\nAll times") {
		t.Errorf("no note:\n%s", md)
	}
	d.ChartNote, d.ChartMissing = "", "graphs: the chart has no time range:\nno From"
	if md := d.Markdown(); !strings.Contains(md, "## Timeline\n\n_(timeline chart unavailable: graphs: the chart has no time range: no From)_\n\nAll times") {
		t.Errorf("no reason:\n%s", md)
	}
}

// A reopened incident keeps its old ResolvedAt, but it is not resolved:
// no "resolved" mark, and the chart runs on to what happened after.
func TestTimelineChartReopened(t *testing.T) {
	inc, evs, ch := realistic()
	inc.Status = incidents.StatusInvestigating
	evs = append(evs, incidents.Event{ID: uuid.New(), IncidentID: inc.ID, At: at(3 * time.Hour), Actor: "U0BOB",
		Kind: incidents.EventStatusUpdate, Text: "errors are back after the reopen"})
	p := Assemble(inc, evs, ch, Options{}).Chart().Plotted()
	for _, m := range p.Marks {
		if m.Kind == "status" && m.Label == "resolved" {
			t.Error("a resolved mark on a reopened incident")
		}
	}
	if !p.To.After(at(3 * time.Hour)) {
		t.Errorf("the chart ends at %v, before the update at %v", p.To, at(3*time.Hour))
	}
}
