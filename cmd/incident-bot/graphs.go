package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/incident-bot/incident-bot/bot"
	"github.com/incident-bot/incident-bot/incidents/alerts"
	"github.com/incident-bot/incident-bot/incidents/graphs"
	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// graphSpan is how far back an alert's graph looks: long enough to see
// the line before it crossed, short enough to see the crossing.
const graphSpan = 3 * time.Hour

// metricImager renders a CloudWatch metric widget (awsactions.Clients).
type metricImager interface {
	MetricImage(ctx context.Context, region, role string, widget []byte) ([]byte, error)
}

// alertGrapher draws alerts' graphs for the bot (bot.GraphRenderer):
// CloudWatch alarms with GetMetricWidgetImage, Prometheus alerts from a
// range query drawn here. Without PROMETHEUS_URL, Prometheus alerts have
// no graph (their link stays).
type alertGrapher struct {
	aws  metricImager
	prom *graphs.Prometheus
	loc  *time.Location
	now  func() time.Time
}

func (g alertGrapher) RenderGraph(ctx context.Context, spec, why string) (bot.Graph, error) {
	gr := alerts.DecodeGraph(spec)
	if gr == nil {
		return bot.Graph{}, bot.ErrNoGraph
	}
	switch gr.Kind {
	case "cloudwatch":
		return g.alarm(ctx, gr, why)
	case "prometheus":
		if g.prom == nil {
			return bot.Graph{}, bot.ErrNoGraph
		}
		return g.prometheus(ctx, gr, why)
	}
	return bot.Graph{}, bot.ErrNoGraph
}

// Draws says whether the graph can be drawn here: a CloudWatch alarm's
// always (or its reason not to be), a Prometheus alert's only with
// PROMETHEUS_URL.
func (g alertGrapher) Draws(spec string) bool {
	gr := alerts.DecodeGraph(spec)
	return gr != nil && (gr.Kind == "cloudwatch" || g.prom != nil)
}

// alarm draws a CloudWatch alarm's metric over the last graphSpan, its
// threshold and its state change marked.
func (g alertGrapher) alarm(ctx context.Context, gr *alerts.Graph, why string) (bot.Graph, error) {
	if gr.NotDrawable != "" {
		return bot.Graph{}, errors.New(gr.NotDrawable)
	}
	to := g.now()
	m := graphs.AlarmMetric{AlarmName: cmp.Or(gr.Alarm, gr.Label), Region: gr.Region, Namespace: gr.Namespace, Metric: gr.Metric,
		Dimensions: gr.Dimensions, Stat: gr.Stat, Period: gr.Period, Threshold: gr.Threshold, Comparison: gr.Comparison, Location: g.loc}
	if !gr.At.IsZero() {
		m.States = []graphs.Mark{{At: gr.At, Kind: "state", Label: gr.State}}
	}
	widget, err := graphs.MetricWidget(m, to.Add(-graphSpan), to, 0, 0)
	if err != nil {
		return bot.Graph{}, err
	}
	// A check's metric is drawn with the role the check read it with:
	// a target in another account has its metrics there.
	png, err := g.aws.MetricImage(ctx, gr.Region, gr.Role, widget)
	if err != nil {
		return bot.Graph{}, awsGraphError(err)
	}
	if why == "check" {
		return bot.Graph{PNG: png, Title: txtTitle(cmp.Or(gr.Label, gr.Metric)), Comment: checkCaption(gr, to, g.loc)}, nil
	}
	comment := caption(gr.Alarm, why, to, g.loc)
	if gr.Region != "" && gr.Alarm != "" {
		// The alarm in the console, for its history and settings.
		comment += "\nhttps://" + gr.Region + ".console.aws.amazon.com/cloudwatch/home?region=" + gr.Region + "#alarmsV2:alarm/" + url.PathEscape(gr.Alarm)
	}
	return bot.Graph{PNG: png, Title: gr.Alarm + " — " + gr.Metric, Comment: comment}, nil
}

// checkCaption says which check read the metric and how it is drawn:
// "rds.status: CPUUtilization (Average) over the last 3 hours to 15:04 UTC".
func checkCaption(gr *alerts.Graph, at time.Time, loc *time.Location) string {
	stat := gr.Stat
	if gr.Unit != "" {
		stat += ", " + gr.Unit
	}
	return fmt.Sprintf("%s: %s (%s) over the last 3 hours to %s", cmp.Or(gr.Check, "check"), gr.Metric, stat, at.In(loc).Format("15:04 MST"))
}

// awsGraphError is one line people can act on: "AccessDenied for
// cloudwatch:GetMetricWidgetImage".
func awsGraphError(err error) error {
	var ae *actions.Error
	if errors.As(err, &ae) {
		return fmt.Errorf("%s for cloudwatch:GetMetricWidgetImage", ae.Code)
	}
	return err
}

// prometheus draws a Prometheus alert's expression over the last
// graphSpan, its threshold and firing window marked.
func (g alertGrapher) prometheus(ctx context.Context, gr *alerts.Graph, why string) (bot.Graph, error) {
	to := g.now()
	from := to.Add(-graphSpan)
	query, threshold := graphs.SplitThreshold(gr.Expr)
	series, err := g.prom.QueryRangeFor(ctx, query, gr.Labels, from, to, graphs.PrometheusStep(from, to))
	if err != nil {
		return bot.Graph{}, fmt.Errorf("query_range on Prometheus: %w", err)
	}
	c := graphs.Chart{Title: gr.Expr, From: from, To: to, Location: g.loc, Series: series, Threshold: threshold}
	if !gr.At.IsZero() {
		w := graphs.Window{From: gr.At, Label: "firing"}
		if gr.State == string(alerts.Resolved) {
			w = graphs.Window{From: from, To: gr.At, Label: "firing"}
		}
		c.Windows = []graphs.Window{w}
	}
	png, err := graphs.Render(c)
	if err != nil {
		return bot.Graph{}, err
	}
	return bot.Graph{PNG: png, Title: txtTitle(gr.Expr), Comment: caption(gr.Expr, why, to, g.loc)}, nil
}

// caption says what the graph shows and why it is posted.
func caption(what, why string, at time.Time, loc *time.Location) string {
	lead := map[string]string{"opened": "The alert's graph", "joined": "Graph of the alert that joined",
		"recovered": "Back to normal", "refresh": "Graph refreshed"}[why]
	if lead == "" {
		lead = "Graph"
	}
	return fmt.Sprintf("%s: %s, the last 3 hours to %s", lead, what, at.In(loc).Format("15:04 MST"))
}

// txtTitle keeps a file title short.
func txtTitle(s string) string {
	if r := []rune(s); len(r) > 80 {
		return string(r[:79]) + "…"
	}
	return s
}

// newGrapher draws with the bot's AWS clients and, with PROMETHEUS_URL,
// its Prometheus.
func newGrapher(cfg Config, aws metricImager) alertGrapher {
	g := alertGrapher{aws: aws, loc: cfg.Location, now: time.Now}
	if cfg.Clock != nil {
		g.now = cfg.Clock.Now
	}
	if cfg.PrometheusURL != "" {
		g.prom = &graphs.Prometheus{URL: cfg.PrometheusURL}
	}
	return g
}
