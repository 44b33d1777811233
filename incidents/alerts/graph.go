package alerts

import (
	"encoding/json"
	"net/url"
	"strings"
	"time"
)

// Graph is what of an alert can be drawn: the metric of a CloudWatch
// alarm, or the expression of a Prometheus alert (from its generator
// URL). It travels with the alert's timeline event as plain JSON, so the
// graph can be drawn when the alert opens an incident, redrawn on
// request, and drawn again at its recovery.
type Graph struct {
	Kind string `json:"kind"` // "cloudwatch" or "prometheus"

	// CloudWatch: the alarm's metric, as its notification describes it.
	Alarm      string      `json:"alarm,omitempty"`
	Region     string      `json:"region,omitempty"` // a code: us-east-1
	Namespace  string      `json:"namespace,omitempty"`
	Metric     string      `json:"metric,omitempty"`
	Dimensions [][2]string `json:"dimensions,omitempty"` // in the alarm's order
	Stat       string      `json:"stat,omitempty"`
	Period     int         `json:"period,omitempty"` // seconds
	Threshold  *float64    `json:"threshold,omitempty"`
	Comparison string      `json:"comparison,omitempty"`
	// NotDrawable says why there is no single metric to draw (metric
	// math, a composite alarm); the graph is then a note.
	NotDrawable string `json:"not_drawable,omitempty"`

	// A check's metric (MetricGraph): what it shows, the action that
	// read it, its unit, and the role it was read with (a target in
	// another account is drawn there).
	Label string `json:"label,omitempty"`
	Check string `json:"check,omitempty"`
	Unit  string `json:"unit,omitempty"`
	Role  string `json:"role,omitempty"`

	// Prometheus: the alert's expression, and its labels (to pick the
	// series that fired among those the expression returns).
	Expr   string            `json:"expr,omitempty"`
	Labels map[string]string `json:"labels,omitempty"`

	State string    `json:"state,omitempty"` // ALARM, OK, firing, resolved
	At    time.Time `json:"at"`              // when the state changed
}

// MetricGraph is the graph of a CloudWatch metric a runbook check read
// (no alarm, no threshold, no state change): the same JSON as an alarm's,
// so it is drawn the same way.
func MetricGraph(region, namespace, metric string, dims [][2]string, stat string, period int) *Graph {
	return &Graph{Kind: "cloudwatch", Region: region, Namespace: namespace, Metric: metric, Dimensions: dims, Stat: stat, Period: period}
}

// Encode is g as the JSON an event's data keeps ("" without a graph).
func (g *Graph) Encode() string {
	if g == nil {
		return ""
	}
	b, err := json.Marshal(g)
	if err != nil {
		return "" // strings, numbers and a time only: cannot fail
	}
	return string(b)
}

// DecodeGraph reads what Encode wrote; nil when there is none or it does
// not read.
func DecodeGraph(s string) *Graph {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	var g Graph
	if json.Unmarshal([]byte(s), &g) != nil || (g.Kind != "cloudwatch" && g.Kind != "prometheus") {
		return nil
	}
	return &g
}

// cwTrigger is the part of a CloudWatch alarm notification that says what
// it watches.
type cwTrigger struct {
	MetricName         string   `json:"MetricName"`
	Namespace          string   `json:"Namespace"`
	Statistic          string   `json:"Statistic"`
	ExtendedStatistic  string   `json:"ExtendedStatistic"`
	Period             int      `json:"Period"`
	Threshold          *float64 `json:"Threshold"`
	ComparisonOperator string   `json:"ComparisonOperator"`
	Dimensions         []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"Dimensions"`
	Metrics []json.RawMessage `json:"Metrics"` // metric math
}

// alarmGraph is the graph of an alarm's notification.
func alarmGraph(cw cwAlarm, at time.Time) *Graph {
	t := cw.Trigger
	g := &Graph{Kind: "cloudwatch", Alarm: cw.AlarmName, Region: arnRegion(cw.AlarmArn), Namespace: t.Namespace, Metric: t.MetricName,
		Stat: firstOf(t.ExtendedStatistic, statName(t.Statistic)), Period: t.Period, Threshold: t.Threshold,
		Comparison: t.ComparisonOperator, State: cw.NewStateValue, At: at}
	for _, d := range t.Dimensions {
		g.Dimensions = append(g.Dimensions, [2]string{d.Name, d.Value})
	}
	switch {
	case len(t.Metrics) > 0 && t.MetricName == "":
		g.NotDrawable = "the alarm watches metric math; open it in the console to see its metrics"
	case t.MetricName == "" || t.Namespace == "":
		g.NotDrawable = "the alarm's notification names no metric (a composite alarm?)"
	}
	return g
}

// statName writes the notification's statistic ("AVERAGE", "SampleCount")
// as CloudWatch's API spells it ("Average").
func statName(s string) string {
	switch strings.ToUpper(s) {
	case "AVERAGE":
		return "Average"
	case "SUM":
		return "Sum"
	case "MINIMUM":
		return "Minimum"
	case "MAXIMUM":
		return "Maximum"
	case "SAMPLECOUNT", "SAMPLE_COUNT":
		return "SampleCount"
	}
	return s
}

// maxExpr bounds the expression kept: Prometheus rules are a line or two.
const maxExpr = 2000

// promExpr is the expression in a Prometheus generator URL
// (…/graph?g0.expr=…&g0.tab=1), or "".
func promExpr(generatorURL string) string {
	u, err := url.Parse(strings.TrimSpace(generatorURL))
	if err != nil {
		return ""
	}
	expr := strings.TrimSpace(u.Query().Get("g0.expr"))
	if len(expr) > maxExpr {
		return ""
	}
	return expr
}
