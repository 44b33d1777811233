package graphs

import (
	"math"
	"time"

	"gonum.org/v1/plot"
)

// tickSteps are the spacings a time axis may use: round numbers on a
// clock, so a reader can interpolate between ticks.
var tickSteps = []time.Duration{
	5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour,
	24 * time.Hour, 2 * 24 * time.Hour, 7 * 24 * time.Hour, 14 * 24 * time.Hour, 28 * 24 * time.Hour,
}

const day = 24 * time.Hour

// timeTicks labels a time axis in a zone, at round times of that zone's
// clock (an hourly tick is at :00 local time, a daily one at midnight).
type timeTicks struct {
	loc    *time.Location
	step   time.Duration
	format string
}

// newTimeTicks picks the smallest step whose labels fit side by side in
// widthPx pixels. Labels carry the date only when the range spans more
// than a day: otherwise the axis label says it once.
func newTimeTicks(from, to time.Time, loc *time.Location, widthPx int) timeTicks {
	span := to.Sub(from)
	var t timeTicks
	for _, step := range tickSteps {
		t = timeTicks{loc: loc, step: step, format: tickFormat(step, span)}
		// About 7 pixels a character of 9-point Liberation Sans, and room
		// between labels.
		labelPx := 7*len(t.format) + 24
		if int(span/step)*labelPx <= widthPx*85/100 {
			break
		}
	}
	return t
}

func tickFormat(step, span time.Duration) string {
	switch {
	case step >= day:
		return "Jan 2"
	case span > day:
		return "Jan 2 15:04"
	case step < time.Minute:
		return "15:04:05"
	}
	return "15:04"
}

// Ticks implements plot.Ticker for an axis in Unix seconds.
func (t timeTicks) Ticks(lo, hi float64) []plot.Tick {
	from, to := fromUnixSeconds(lo).In(t.loc), fromUnixSeconds(hi).In(t.loc)
	midnight := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, t.loc)
	var ticks []plot.Tick
	add := func(at time.Time) {
		ticks = append(ticks, plot.Tick{Value: unixSeconds(at), Label: at.Format(t.format)})
	}
	if t.step >= day {
		days := int(t.step / day)
		// AddDate, not Add: a day is not 24 hours across a DST change.
		for at := midnight; !at.After(to); at = at.AddDate(0, 0, days) {
			if !at.Before(from) {
				add(at)
			}
		}
		return ticks
	}
	k := (from.Sub(midnight) + t.step - 1) / t.step
	for at := midnight.Add(k * t.step); !at.After(to); at = at.Add(t.step) {
		add(at)
	}
	return ticks
}

func fromUnixSeconds(s float64) time.Time { return time.UnixMilli(int64(math.Round(s * 1000))) }

// timeAxisLabel names the day (or days) and the zone of the axis, which
// the tick labels, times of day, leave out.
func timeAxisLabel(from, to time.Time, loc *time.Location) string {
	f, t := from.In(loc), to.In(loc)
	zone := loc.String()
	if zone == "Local" || zone == "" {
		zone = f.Format("MST")
	}
	switch {
	case f.YearDay() == t.YearDay() && f.Year() == t.Year():
		return f.Format("Mon 2 Jan 2006") + " (" + zone + ")"
	case f.Year() == t.Year():
		return f.Format("2 Jan") + " – " + t.Format("2 Jan 2006") + " (" + zone + ")"
	}
	return f.Format("2 Jan 2006") + " – " + t.Format("2 Jan 2006") + " (" + zone + ")"
}
