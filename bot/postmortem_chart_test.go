package bot

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/graphs"
	"github.com/incident-bot/incident-bot/incidents/postmortem"
)

// A chart that cannot be drawn, by an error or a panic, leaves the draft
// without one, saying why; the draft itself goes on.
func TestTimelineChartThatCannotBeDrawn(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	inc := incidents.Incident{Number: 7, Title: "Slow search", DeclaredAt: at, ResolvedAt: at.Add(time.Hour), ChannelID: "C0INC"}
	for _, tc := range []struct {
		draw func(graphs.Chart) ([]byte, error)
		want string
	}{
		{nil, ""}, // graphs.Render: it draws
		{func(graphs.Chart) ([]byte, error) { return nil, errors.New("graphs: out of ink") }, "graphs: out of ink"},
		{func(graphs.Chart) ([]byte, error) { panic("axis range is NaN") }, "drawing it failed: axis range is NaN"},
	} {
		p := &postmortemDesk{core: &core{log: zap.NewNop()}, draw: tc.draw}
		d := postmortem.Assemble(inc, nil, nil, postmortem.Options{})
		png, alt := p.chartImage(context.Background(), inc, &d)
		if d.ChartMissing != tc.want || (png == nil) != (tc.want != "") {
			t.Errorf("ChartMissing = %q, %d bytes; want %q", d.ChartMissing, len(png), tc.want)
		}
		if tc.want == "" && !strings.Contains(alt, "10:00 status declared\n") {
			t.Errorf("alt text = %q", alt)
		}
		if md := d.Markdown(); tc.want != "" && !strings.Contains(md, "## Timeline\n\n_(timeline chart unavailable: "+tc.want+")_") {
			t.Errorf("the draft does not say why it has no chart:\n%s", md)
		}
	}
}

// The canvas names the chart rather than linking it by a file name that
// leads nowhere there; without a chart it is the draft as it is.
func TestCanvasMarkdownNamesTheChart(t *testing.T) {
	d := postmortem.Assemble(incidents.Incident{Number: 7, Title: "Slow search", DeclaredAt: time.Unix(0, 0)}, nil, nil, postmortem.Options{})
	if md := d.Markdown(); canvasMarkdown(d, md) != md {
		t.Error("without a chart, the canvas differs from the draft")
	}
	d.ChartLink = "postmortem-incident-7-timeline.png"
	got := canvasMarkdown(d, d.Markdown())
	if !strings.Contains(got, "## Timeline\n\n_The timeline chart is postmortem-incident-7-timeline.png, shared with the draft's file._\n\n") ||
		strings.Contains(got, "![") {
		t.Errorf("canvas:\n%s", got)
	}
}
