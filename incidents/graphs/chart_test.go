package graphs

import (
	"math"
	"reflect"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 6, 7, 0, 0, 0, time.UTC)

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

func TestPlottedClipsAndSorts(t *testing.T) {
	thr := 80.0
	c := Chart{
		From: at(0), To: at(60),
		Series: []Series{
			{Name: "a", Points: []Point{
				{at(30), 3}, {at(-1), 100}, {at(0), 1}, {at(61), 100}, {at(10), 2},
				{at(20), math.NaN()}, {at(40), math.Inf(1)}, {at(60), 4},
			}},
			{Name: "outside", Points: []Point{{at(-10), 1}, {at(70), 2}}},
			{Name: "b", Points: []Point{{at(5), 7}}},
		},
		Threshold: &thr,
		Windows: []Window{
			{From: at(50), Label: "firing"},                // open: to the end
			{From: at(-30), To: at(10), Label: "outage"},   // clipped at From
			{From: at(-30), To: at(-20), Label: "earlier"}, // outside
			{From: at(30), To: at(30), Label: "empty"},     // no length
		},
		Marks: []Mark{
			{at(45), "change", "deploy"}, {at(-5), "alert", "before"}, {at(15), "state", "ALARM"},
			{at(60), "key", "end"}, {at(15), "update", "same time, later in input"}, {at(90), "action", "after"},
		},
	}
	got := c.Plotted()
	want := Plotted{
		From: at(0), To: at(60),
		Series: []Series{
			{Name: "a", Points: []Point{{at(0), 1}, {at(10), 2}, {at(30), 3}, {at(60), 4}}},
			{Name: "b", Points: []Point{{at(5), 7}}},
		},
		Threshold: &thr,
		Windows:   []Window{{From: at(0), To: at(10), Label: "outage"}, {From: at(50), To: at(60), Label: "firing"}},
		Marks: []Mark{
			{at(15), "state", "ALARM"}, {at(15), "update", "same time, later in input"},
			{at(45), "change", "deploy"}, {at(60), "key", "end"},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Plotted:\n got %+v\nwant %+v", got, want)
	}
	if got.Threshold == c.Threshold {
		t.Error("Plotted shares the chart's threshold: a caller's change would change it")
	}
	if c.Series[0].Points[0].At != at(30) {
		t.Error("Plotted sorted the chart's own points")
	}
}

func TestPlottedRangeFromPoints(t *testing.T) {
	s := []Series{{Name: "a", Points: []Point{{at(20), 1}, {at(5), 2}, {at(50), math.NaN()}, {at(30), 3}}}}
	for _, tc := range []struct {
		name     string
		from, to time.Time
		wantFrom time.Time
		wantTo   time.Time
	}{
		{"both from points", time.Time{}, time.Time{}, at(5), at(30)},
		{"from given", at(0), time.Time{}, at(0), at(30)},
		{"to given", time.Time{}, at(25), at(5), at(25)},
	} {
		p := Chart{From: tc.from, To: tc.to, Series: s}.Plotted()
		if !p.From.Equal(tc.wantFrom) || !p.To.Equal(tc.wantTo) {
			t.Errorf("%s: range %s..%s, want %s..%s", tc.name, p.From, p.To, tc.wantFrom, tc.wantTo)
		}
	}
	one := Chart{Series: []Series{{Points: []Point{{at(10), 1}}}}}.Plotted()
	if !one.From.Equal(at(5)) || !one.To.Equal(at(15)) || len(one.Series) != 1 {
		t.Errorf("one point: %s..%s with %d series, want 10 minutes around it", one.From, one.To, len(one.Series))
	}
	none := Chart{}.Plotted()
	if !none.From.IsZero() || !none.To.IsZero() {
		t.Errorf("no time at all: range %s..%s, want none", none.From, none.To)
	}
}

func TestSegmentsBreakAtGaps(t *testing.T) {
	var pts []Point
	for _, m := range []int{0, 1, 2, 3, 10, 11, 12, 30, 31} {
		pts = append(pts, Point{at(m), float64(m)})
	}
	got := segments(pts)
	var lens []int
	for _, s := range got {
		lens = append(lens, len(s))
	}
	if !reflect.DeepEqual(lens, []int{4, 3, 2}) {
		t.Errorf("segments of lengths %v, want [4 3 2]", lens)
	}
	if n := len(segments(pts[:2])); n != 1 {
		t.Errorf("two points: %d segments, want 1", n)
	}
}

func TestYRange(t *testing.T) {
	thr := 80.0
	for _, tc := range []struct {
		name   string
		p      Plotted
		lo, hi float64
	}{
		{"no data", Plotted{}, 0, 1},
		{"ramp with threshold", Plotted{Series: []Series{{Points: []Point{{at(0), 0}, {at(1), 100}}}}, Threshold: &thr}, 0, 105},
		{"threshold above data", Plotted{Series: []Series{{Points: []Point{{at(0), 10}, {at(1), 20}}}}, Threshold: &thr}, 6.5, 83.5},
		{"flat", Plotted{Series: []Series{{Points: []Point{{at(0), 50}}}}}, 44.5, 55.5},
		{"flat zero", Plotted{Series: []Series{{Points: []Point{{at(0), 0}}}}}, 0, 1.1},
		{"negative", Plotted{Series: []Series{{Points: []Point{{at(0), -10}, {at(1), 10}}}}}, -11, 11},
		{"marks leave room", Plotted{Series: []Series{{Points: []Point{{at(0), 0}, {at(1), 100}}}}, Marks: []Mark{{At: at(0)}}}, 0, 115},
	} {
		lo, hi := yRange(tc.p)
		if math.Abs(lo-tc.lo) > 1e-9 || math.Abs(hi-tc.hi) > 1e-9 {
			t.Errorf("%s: yRange = %v..%v, want %v..%v", tc.name, lo, hi, tc.lo, tc.hi)
		}
	}
}

func TestFormatValue(t *testing.T) {
	for v, want := range map[float64]string{
		0: "0", 0.05: "0.05", 80: "80", 9999: "9999", 12345: "12.35k", -25000: "-25k",
		1.5e6: "1.5M", 2e9: "2G", 3.25e12: "3.25T",
	} {
		if got := formatValue(v); got != want {
			t.Errorf("formatValue(%v) = %q, want %q", v, got, want)
		}
	}
}
