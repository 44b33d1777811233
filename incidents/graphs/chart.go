// Package graphs draws pictures of metrics and of incidents as PNG: a
// metric around the moment an alert fired, with its threshold, firing
// windows and the incident's events as markers. Its data comes from
// Prometheus (QueryRange) or, for CloudWatch alarms, CloudWatch draws the
// picture itself from the MetricWidget JSON built here.
//
// Render draws a Chart; Plotted says, in data terms, what Render draws, so
// tests can check the picture's content without reading pixels.
package graphs

import (
	"math"
	"slices"
	"time"
)

// Point is one sample of a series.
type Point struct {
	At    time.Time
	Value float64
}

// Series is one line on a chart.
type Series struct {
	Name   string
	Points []Point
}

// Window is a shaded span of time: a firing window, an outage. A zero To
// means the window is still open: it runs to the chart's end.
type Window struct {
	From, To time.Time
	Label    string
}

// Mark is a vertical marker. Kind picks its colour: "state" (an alarm's
// state change), "alert", "change", "update", "action", "key", "gap"; an
// unknown kind is drawn grey.
type Mark struct {
	At          time.Time
	Kind, Label string
}

// Chart is one picture. A zero From or To is taken from the earliest or
// latest point.
type Chart struct {
	Title, Unit string
	From, To    time.Time
	// Location is the zone of the time axis' labels; nil is UTC.
	Location *time.Location
	Series   []Series
	// Threshold, when set, is drawn as a dashed horizontal line.
	Threshold      *float64
	ThresholdLabel string
	Windows        []Window
	Marks          []Mark
	// Width and Height are in pixels; 0 is 800 by 300.
	Width, Height int
}

// Plotted is what a chart draws, in data terms, before rasterising.
type Plotted struct {
	Series    []Series
	Threshold *float64
	Windows   []Window
	Marks     []Mark
	From, To  time.Time
}

// Plotted returns what Render draws: the time range (From and To, or the
// points' range when zero); each series' points inside it, sorted by time,
// without NaN or infinite values (which have no place on an axis), and
// without the series left with no point; windows clipped to the range,
// open ones closed at its end; marks inside it, sorted by time.
func (c Chart) Plotted() Plotted {
	from, to := c.timeRange()
	p := Plotted{From: from, To: to}
	if c.Threshold != nil && finite(*c.Threshold) {
		v := *c.Threshold
		p.Threshold = &v
	}
	for _, s := range c.Series {
		pts := make([]Point, 0, len(s.Points))
		for _, pt := range s.Points {
			if finite(pt.Value) && within(pt.At, from, to) {
				pts = append(pts, pt)
			}
		}
		if len(pts) == 0 {
			continue
		}
		slices.SortStableFunc(pts, func(a, b Point) int { return a.At.Compare(b.At) })
		p.Series = append(p.Series, Series{Name: s.Name, Points: pts})
	}
	for _, w := range c.Windows {
		if w.To.IsZero() {
			w.To = to
		}
		if w.From.Before(from) {
			w.From = from
		}
		if w.To.After(to) {
			w.To = to
		}
		if w.To.After(w.From) {
			p.Windows = append(p.Windows, w)
		}
	}
	slices.SortStableFunc(p.Windows, func(a, b Window) int { return a.From.Compare(b.From) })
	for _, m := range c.Marks {
		if within(m.At, from, to) {
			p.Marks = append(p.Marks, m)
		}
	}
	slices.SortStableFunc(p.Marks, func(a, b Mark) int { return a.At.Compare(b.At) })
	return p
}

// timeRange is the chart's From and To, each taken from the points when
// zero. A range still empty after that (one point, or From alone) is
// widened to ten minutes around it, so the axis has some width. With no
// time at all both are zero, and Render refuses the chart: a made-up
// range (now) would make its output depend on when it ran.
func (c Chart) timeRange() (from, to time.Time) {
	from, to = c.From, c.To
	if from.IsZero() || to.IsZero() {
		lo, hi := pointsRange(c.Series)
		if from.IsZero() {
			from = lo
		}
		if to.IsZero() {
			to = hi
		}
	}
	if from.IsZero() && to.IsZero() || to.After(from) {
		return from, to
	}
	mid := from
	if from.IsZero() {
		mid = to
	}
	return mid.Add(-5 * time.Minute), mid.Add(5 * time.Minute)
}

// pointsRange is the earliest and latest finite point of all series.
func pointsRange(series []Series) (lo, hi time.Time) {
	for _, s := range series {
		for _, p := range s.Points {
			if !finite(p.Value) {
				continue
			}
			if lo.IsZero() || p.At.Before(lo) {
				lo = p.At
			}
			if hi.IsZero() || p.At.After(hi) {
				hi = p.At
			}
		}
	}
	return lo, hi
}

func within(t, from, to time.Time) bool { return !t.Before(from) && !t.After(to) }

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// empty reports whether there is no point to draw.
func (p Plotted) empty() bool { return len(p.Series) == 0 }

// valueRange is the y range the data and threshold need.
func (p Plotted) valueRange() (lo, hi float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, s := range p.Series {
		for _, pt := range s.Points {
			lo, hi = math.Min(lo, pt.Value), math.Max(hi, pt.Value)
		}
	}
	if p.Threshold != nil {
		lo, hi = math.Min(lo, *p.Threshold), math.Max(hi, *p.Threshold)
	}
	return lo, hi, lo <= hi
}
