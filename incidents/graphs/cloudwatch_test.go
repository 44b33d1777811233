package graphs

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

// sampleAlarm is the AlarmMetric of the SNS alarm message the alerts
// package parses, read the way a caller would: the Trigger as it stands.
func sampleAlarm(t *testing.T) (AlarmMetric, time.Time) {
	t.Helper()
	raw, err := os.ReadFile("../alerts/testdata/cloudwatch_alarm_message.json")
	if err != nil {
		t.Fatal(err)
	}
	var msg struct {
		AlarmName, Region, NewStateValue, StateChangeTime string
		Trigger                                           struct {
			MetricName, Namespace, Statistic, ComparisonOperator string
			Period                                               int
			Threshold                                            *float64
			Dimensions                                           []struct{ Name, Value string }
		}
	}
	if err := json.Unmarshal(raw, &msg); err != nil {
		t.Fatal(err)
	}
	at, err := time.Parse("2006-01-02T15:04:05.000-0700", msg.StateChangeTime)
	if err != nil {
		t.Fatal(err)
	}
	a := AlarmMetric{
		AlarmName: msg.AlarmName, Region: msg.Region,
		Namespace: msg.Trigger.Namespace, Metric: msg.Trigger.MetricName,
		Stat: msg.Trigger.Statistic, Period: msg.Trigger.Period,
		Threshold: msg.Trigger.Threshold, Comparison: msg.Trigger.ComparisonOperator,
		States: []Mark{{At: at, Kind: "state", Label: msg.NewStateValue}},
	}
	for _, d := range msg.Trigger.Dimensions {
		a.Dimensions = append(a.Dimensions, [2]string{d.Name, d.Value})
	}
	return a, at
}

func TestMetricWidgetSampleAlarm(t *testing.T) {
	a, at := sampleAlarm(t)
	// An earlier state change outside the range is left out; one inside
	// it comes first, in time order, whatever the input order.
	a.States = append(a.States,
		Mark{At: at.Add(-5 * time.Hour), Kind: "state", Label: "OK"},
		Mark{At: at.Add(-time.Hour), Kind: "state", Label: "OK"})
	got, err := MetricWidget(a, at.Add(-3*time.Hour), at, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"metrics":[["AWS/ECS","CPUUtilization","ClusterName","prod","ServiceName","web",{"stat":"Average","period":60}]],` +
		`"view":"timeSeries","stacked":false,"region":"us-east-1","title":"web-cpu-high",` +
		`"start":"2026-01-06T07:04:12Z","end":"2026-01-06T10:04:12Z","width":800,"height":300,"timezone":"+0000",` +
		`"annotations":{"horizontal":[{"label":"threshold 80 (GreaterThanThreshold)","value":80}],` +
		`"vertical":[{"label":"OK","value":"2026-01-06T09:04:12Z"},{"label":"ALARM","value":"2026-01-06T10:04:12Z"}]}}`
	if string(got) != want {
		t.Errorf("MetricWidget:\n got %s\nwant %s", got, want)
	}
}

func TestMetricWidgetOptionalParts(t *testing.T) {
	a, at := sampleAlarm(t)
	a.Threshold, a.States, a.Dimensions, a.Stat, a.Period = nil, nil, nil, "p99", 300
	a.Region = "eu-west-1"
	got, err := MetricWidget(a, at.Add(-time.Hour), at, 600, 250)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"metrics":[["AWS/ECS","CPUUtilization",{"stat":"p99","period":300}]],` +
		`"view":"timeSeries","stacked":false,"region":"eu-west-1","title":"web-cpu-high",` +
		`"start":"2026-01-06T09:04:12Z","end":"2026-01-06T10:04:12Z","width":600,"height":250,"timezone":"+0000"}`
	if string(got) != want {
		t.Errorf("MetricWidget:\n got %s\nwant %s", got, want)
	}
}

func TestMetricWidgetErrors(t *testing.T) {
	base, at := sampleAlarm(t)
	from := at.Add(-3 * time.Hour)
	for _, tc := range []struct {
		name   string
		change func(*AlarmMetric)
		from   time.Time
		w, h   int
		want   string
	}{
		{"metric math", func(a *AlarmMetric) { a.Namespace, a.Metric = "", "" }, from, 0, 0, "no metric to draw: metric math or a composite alarm"},
		{"no namespace", func(a *AlarmMetric) { a.Namespace = "" }, from, 0, 0, "the alarm has no namespace"},
		{"no metric name", func(a *AlarmMetric) { a.Metric = "" }, from, 0, 0, "the alarm has no metric name"},
		{"no region", func(a *AlarmMetric) { a.Region = "" }, from, 0, 0, "the alarm has no region"},
		{"no region nor stat", func(a *AlarmMetric) { a.Region, a.Stat = "", "" }, from, 0, 0, "the alarm has no region, no statistic"},
		{"unknown region", func(a *AlarmMetric) { a.Region = "Atlantis (Central)" }, from, 0, 0, `unknown AWS region "Atlantis (Central)"`},
		{"zero period", func(a *AlarmMetric) { a.Period = 0 }, from, 0, 0, "period 0 s"},
		{"odd period", func(a *AlarmMetric) { a.Period = 90 }, from, 0, 0, "period 90 s"},
		{"dimension without name", func(a *AlarmMetric) { a.Dimensions = [][2]string{{"", "web"}} }, from, 0, 0, "has no name"},
		{"reversed range", func(*AlarmMetric) {}, at.Add(time.Hour), 0, 0, "before it starts"},
		{"too wide", func(*AlarmMetric) {}, from, 2001, 300, "size 2001x300"},
		{"negative height", func(*AlarmMetric) {}, from, 800, -1, "size 800x-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := base
			tc.change(&a)
			_, err := MetricWidget(a, tc.from, at, tc.w, tc.h)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestMetricWidgetHighResolutionPeriods(t *testing.T) {
	a, at := sampleAlarm(t)
	for _, p := range []int{1, 5, 10, 30, 60, 120, 3600} {
		a.Period = p
		if _, err := MetricWidget(a, at.Add(-time.Hour), at, 0, 0); err != nil {
			t.Errorf("period %d: %v", p, err)
		}
	}
	for _, p := range []int{-60, 2, 45, 61} {
		a.Period = p
		if _, err := MetricWidget(a, at.Add(-time.Hour), at, 0, 0); err == nil {
			t.Errorf("period %d: no error", p)
		}
	}
}

func TestNormalizeStat(t *testing.T) {
	for in, want := range map[string]string{
		"AVERAGE": "Average", "Average": "Average", "SUM": "Sum", "MINIMUM": "Minimum", "Maximum": "Maximum",
		"SAMPLE_COUNT": "SampleCount", "SampleCount": "SampleCount", "p99": "p99", "P99.9": "p99.9",
		"tm90": "tm90", "TM(10%:90%)": "TM(10%:90%)", "IQM": "IQM",
	} {
		got, err := normalizeStat(in)
		if err != nil || got != want {
			t.Errorf("normalizeStat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if got, err := normalizeStat(`p99"`); err == nil {
		t.Errorf(`normalizeStat("p99\"") = %q, want an error`, got)
	}
}

// The widget's times are drawn in the team's zone: its offset at the end.
func TestWidgetZone(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Skip(err)
	}
	summer := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		loc  *time.Location
		at   time.Time
		want string
	}{{nil, summer, "+0000"}, {london, summer, "+0100"}, {london, summer.AddDate(0, 6, 0), "+0000"}, {time.FixedZone("IST", 19800), summer, "+0530"}} {
		if got := widgetZone(c.loc, c.at); got != c.want {
			t.Errorf("widgetZone(%v, %v) = %q, want %q", c.loc, c.at, got, c.want)
		}
	}
}
