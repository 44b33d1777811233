package main

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/incident-bot/incident-bot/incidents/graphs"
	"github.com/incident-bot/incident-bot/incidents/postmortem"
)

// The timeline charts of the team's two incidents, from the drafts
// TestPostmortemOfTheTeamsIncidents makes (the same exports, settings and
// code path): what each chart draws, as text, is compared with its golden
// file (UPDATE_GOLDEN=1 rewrites them after a check by eye), and what a
// chart must get right is checked directly, so an update cannot bless a
// broken one.
func TestPostmortemTimelineChartOfTheTeamsIncidents(t *testing.T) {
	for _, tc := range []struct {
		export, channel, tz string
		detected            string // the Detection section's time
		windows, gaps       int
	}{
		{"tss-site-outage", "inc-tss-site-outage", "Europe/London", "11:45", 4, 1},
		{"instance-retirement", "inc-prod-green-down", "UTC", "04:02", 2, 1},
	} {
		t.Run(tc.export, func(t *testing.T) {
			dir := filepath.Join("..", "..", "incidents", "postmortem", "testdata", "exports", tc.export)
			env := map[string]string{"DISPLAY_TIMEZONE": tc.tz}
			cfg, problems := Load(func(k string) string { return env[k] })
			if err := problems.For(PartDisplay, PartPostmortem); err != nil {
				t.Fatal(err)
			}
			p, err := draftFromExport(context.Background(), dir, tc.channel, postmortem.Options{Location: cfg.Location, GapAfter: cfg.PostmortemGap})
			if err != nil {
				t.Fatal(err)
			}
			d, c := p.Draft, p.Draft.Chart()
			checkTimelineChart(t, d, c.Plotted())
			plotted := c.Plotted()
			if len(plotted.Windows) != tc.windows || d.Detected.In(cfg.Location).Format("15:04") != tc.detected {
				t.Errorf("%d windows, detected at %v; want %d and %s", len(plotted.Windows), d.Detected, tc.windows, tc.detected)
			}
			got := postmortem.ChartText(c)
			if n := strings.Count(got, " gap ??:?? "); n != tc.gaps {
				t.Errorf("%d gap marks, want %d", n, tc.gaps)
			}
			golden := filepath.Join(dir, "chart.golden.txt")
			if os.Getenv("UPDATE_GOLDEN") != "" {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (UPDATE_GOLDEN=1 creates it)", err)
			}
			if got != string(want) {
				t.Errorf("chart differs from %s (UPDATE_GOLDEN=1 after checking):\n%s", golden, got)
			}
		})
	}
}

// checkTimelineChart asserts what any draft's chart must get right: a
// window per outage, as the draft has it (one still open runs to the
// chart's end); the first alert mark at the detection time; a gap mark at
// every ??:?? line; short labels.
func checkTimelineChart(t *testing.T, d postmortem.Draft, p graphs.Plotted) {
	t.Helper()
	if len(p.Windows) != len(d.Outages) {
		t.Fatalf("%d windows for %d outages", len(p.Windows), len(d.Outages))
	}
	for i, o := range d.Outages {
		to := o.To
		if to.IsZero() {
			to = p.To
		}
		if w := p.Windows[i]; !w.From.Equal(o.From) || !w.To.Equal(to) || w.Label != o.Subject {
			t.Errorf("window %d = %v–%v %q; the outage is %v–%v %q", i, w.From, w.To, w.Label, o.From, o.To, o.Subject)
		}
	}
	var first time.Time
	for _, m := range p.Marks {
		if m.Kind == "alert" && first.IsZero() {
			first = m.At
		}
		if len([]rune(m.Label)) > 30 {
			t.Errorf("label %q is longer than 30", m.Label)
		}
	}
	if d.Detected.IsZero() || !first.Equal(d.Detected) {
		t.Errorf("the first alert mark is at %v, the draft detected it at %v", first, d.Detected)
	}
	for _, e := range d.Timeline {
		if !e.Gap {
			continue
		}
		found := false
		for _, m := range p.Marks {
			found = found || m.Kind == "gap" && m.At.Equal(e.At)
		}
		if !found {
			t.Errorf("no gap mark for %q at %v", e.Text, e.At)
		}
	}
}

// --chart writes the PNG and the draft links it by its file name; a chart
// that cannot be written is said in the draft, which is printed anyway.
func TestPostmortemChartFlag(t *testing.T) {
	dir := filepath.Join("..", "..", "incidents", "postmortem", "testdata", "exports", "tss-site-outage")
	out := filepath.Join(t.TempDir(), "tss-timeline.png")
	env := func(k string) string { return map[string]string{"DISPLAY_TIMEZONE": "Europe/London"}[k] }
	var md, errb bytes.Buffer
	if code := run(context.Background(), []string{"postmortem", "--slack-export", dir, "--channel", "inc-tss-site-outage", "--chart", out}, env, &md, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(md.String(), "## Timeline\n\n![Timeline chart](tss-timeline.png)\n\nAll times in Europe/London.") {
		t.Errorf("the draft does not link the chart:\n%s", md.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if img, err := png.Decode(bytes.NewReader(b)); err != nil || img.Bounds().Dx() < 800 {
		t.Fatalf("chart: %v", err)
	}
	md.Reset()
	errb.Reset()
	bad := filepath.Join(t.TempDir(), "no-such-dir", "x.png")
	code := run(context.Background(), []string{"postmortem", "--slack-export", dir, "--channel", "inc-tss-site-outage", "--chart", bad}, env, &md, &errb)
	if code != 1 || !strings.Contains(md.String(), "_(timeline chart unavailable: open "+bad) || !strings.Contains(md.String(), "## Action Items") ||
		!strings.Contains(errb.String(), "timeline chart") {
		t.Errorf("unwritable chart: exit %d, stderr %q, draft:\n%s", code, errb.String(), md.String())
	}
}
