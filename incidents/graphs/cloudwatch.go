package graphs

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// AlarmMetric is what a CloudWatch alarm watches, as its SNS message (or
// DescribeAlarms) tells it: enough to ask CloudWatch for its graph.
type AlarmMetric struct {
	AlarmName string
	// Region is a code (us-east-1) or, as the SNS message gives it, a
	// name ("US East (N. Virginia)").
	Region            string
	Namespace, Metric string
	Dimensions        [][2]string // name, value; in the alarm's order
	// Stat is CloudWatch's name ("Average", "p99"); the SNS message's
	// upper-case spelling ("AVERAGE") is accepted.
	Stat       string
	Period     int // seconds
	Threshold  *float64
	Comparison string // GreaterThanThreshold...
	// Location is the zone the graph's times are drawn in (nil: UTC), as
	// CloudWatch takes it: the zone's offset at the graph's end.
	Location *time.Location
	// States are the alarm's state changes (Kind "state", Label "ALARM",
	// "OK"...), drawn as vertical lines.
	States []Mark
}

// Widget sizes CloudWatch accepts, in pixels.
const maxWidgetSide = 2000

// MetricWidget is the MetricWidget JSON that CloudWatch's
// GetMetricWidgetImage takes to draw the alarm's metric from..to, with its
// threshold as a horizontal annotation and its state changes in range as
// vertical ones. Times are sent in UTC and drawn in UTC ("+0000"). A zero
// width or height is 800 by 300.
func MetricWidget(a AlarmMetric, from, to time.Time, width, height int) ([]byte, error) {
	if err := a.validate(); err != nil {
		return nil, err
	}
	region := RegionCode(a.Region)
	stat, err := normalizeStat(a.Stat)
	if err != nil {
		return nil, err
	}
	if !to.After(from) {
		return nil, fmt.Errorf("metric widget: the range ends (%s) before it starts (%s)", to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	if width == 0 {
		width = DefaultWidth
	}
	if height == 0 {
		height = DefaultHeight
	}
	if width < 1 || height < 1 || width > maxWidgetSide || height > maxWidgetSide {
		return nil, fmt.Errorf("metric widget: size %dx%d is outside 1..%d pixels", width, height, maxWidgetSide)
	}
	metric := []any{a.Namespace, a.Metric}
	for _, d := range a.Dimensions {
		metric = append(metric, d[0], d[1])
	}
	metric = append(metric, widgetStat{Stat: stat, Period: a.Period})
	w := widget{
		Metrics: [][]any{metric}, View: "timeSeries", Region: region, Title: a.AlarmName,
		Start: widgetTime(from), End: widgetTime(to), Width: width, Height: height, Timezone: widgetZone(a.Location, to),
		Annotations: a.annotations(from, to),
	}
	return json.Marshal(w)
}

// widget is the JSON document; fields in the order AWS's examples use.
type widget struct {
	Metrics     [][]any      `json:"metrics"`
	View        string       `json:"view"`
	Stacked     bool         `json:"stacked"`
	Region      string       `json:"region"`
	Title       string       `json:"title,omitempty"`
	Start       string       `json:"start"`
	End         string       `json:"end"`
	Width       int          `json:"width"`
	Height      int          `json:"height"`
	Timezone    string       `json:"timezone"`
	Annotations *annotations `json:"annotations,omitempty"`
}

type widgetStat struct {
	Stat   string `json:"stat"`
	Period int    `json:"period"`
}

type annotations struct {
	Horizontal []annotation `json:"horizontal,omitempty"`
	Vertical   []annotation `json:"vertical,omitempty"`
}

// annotation's Value is a number (horizontal) or an ISO time (vertical).
type annotation struct {
	Label string `json:"label,omitempty"`
	Value any    `json:"value"`
}

// widgetTime is an absolute time as the widget takes it, to the second:
// CloudWatch's finest period.
func widgetTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// validate says what the widget cannot be made without.
func (a AlarmMetric) validate() error {
	var missing []string
	switch {
	case a.Namespace == "" && a.Metric == "":
		return errors.New("metric widget: the alarm has no metric to draw: metric math or a composite alarm")
	case a.Namespace == "":
		missing = append(missing, "namespace")
	case a.Metric == "":
		missing = append(missing, "metric name")
	}
	if a.Region == "" {
		missing = append(missing, "region")
	} else if RegionCode(a.Region) == "" {
		return fmt.Errorf("metric widget: unknown AWS region %q", a.Region)
	}
	if a.Stat == "" {
		missing = append(missing, "statistic")
	}
	if len(missing) > 0 {
		return fmt.Errorf("metric widget: the alarm has no %s", strings.Join(missing, ", no "))
	}
	for _, d := range a.Dimensions {
		if d[0] == "" {
			return fmt.Errorf("metric widget: a dimension with value %q has no name", d[1])
		}
	}
	if !validPeriod(a.Period) {
		return fmt.Errorf("metric widget: period %d s: want 1, 5, 10, 30 (high resolution) or a multiple of 60", a.Period)
	}
	return nil
}

func validPeriod(p int) bool {
	switch {
	case p <= 0:
		return false
	case p == 1 || p == 5 || p == 10 || p == 30:
		return true
	}
	return p%60 == 0
}

// normalizeStat spells a statistic as the widget takes it. SNS writes the
// simple ones in capitals (AVERAGE, SAMPLE_COUNT); percentiles and the
// other extended statistics (p99, tm90, TM(10%:90%), IQM) keep their
// case, but for a leading capital P.
func normalizeStat(s string) (string, error) {
	switch strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), "_", "")) {
	case "AVERAGE", "AVG":
		return "Average", nil
	case "SUM":
		return "Sum", nil
	case "MINIMUM", "MIN":
		return "Minimum", nil
	case "MAXIMUM", "MAX":
		return "Maximum", nil
	case "SAMPLECOUNT":
		return "SampleCount", nil
	}
	s = strings.TrimSpace(s)
	if len(s) > 1 && s[0] == 'P' && (s[1] >= '0' && s[1] <= '9') {
		s = "p" + s[1:]
	}
	if s == "" || strings.ContainsAny(s, " \t\"") {
		return "", fmt.Errorf("metric widget: statistic %q", s)
	}
	return s, nil
}

// annotations are the threshold and the state changes within from..to,
// in time order; nil when there are none, so the JSON leaves them out.
func (a AlarmMetric) annotations(from, to time.Time) *annotations {
	var an annotations
	if a.Threshold != nil && finite(*a.Threshold) {
		label := "threshold " + strconv.FormatFloat(*a.Threshold, 'f', -1, 64)
		if a.Comparison != "" {
			label += " (" + a.Comparison + ")"
		}
		an.Horizontal = []annotation{{Label: label, Value: *a.Threshold}}
	}
	states := slices.Clone(a.States)
	slices.SortStableFunc(states, func(x, y Mark) int { return x.At.Compare(y.At) })
	for _, m := range states {
		// Compared at the second, as sent: a change at 10:04:12.407
		// is drawn at the end 10:04:12, not dropped as after it.
		at := m.At.Truncate(time.Second)
		if !within(at, from.Truncate(time.Second), to.Truncate(time.Second)) {
			continue
		}
		an.Vertical = append(an.Vertical, annotation{Label: m.Label, Value: widgetTime(at)})
	}
	if an.Horizontal == nil && an.Vertical == nil {
		return nil
	}
	return &an
}

// widgetZone is loc's offset at t as CloudWatch's widget wants it:
// "+0100", "-0530".
func widgetZone(loc *time.Location, t time.Time) string {
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("-0700")
}
