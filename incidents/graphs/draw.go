package graphs

import (
	"image/color"
	"slices"
	"strconv"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Colours. The series palette leaves out red, which means the threshold,
// the firing windows and alerts.
var (
	palette = []color.RGBA{
		{31, 119, 180, 255},  // blue
		{255, 127, 14, 255},  // orange
		{44, 160, 44, 255},   // green
		{148, 103, 189, 255}, // purple
		{140, 86, 75, 255},   // brown
		{227, 119, 194, 255}, // pink
		{188, 189, 34, 255},  // olive
		{23, 190, 207, 255},  // cyan
		{127, 127, 127, 255}, // grey
		{0, 0, 128, 255},     // navy
	}
	thresholdColor = color.RGBA{214, 39, 40, 255}
	windowFill     = color.NRGBA{R: 230, G: 60, B: 60, A: 38}
	windowText     = color.RGBA{150, 20, 20, 255}
	labelBack      = color.NRGBA{R: 255, G: 255, B: 255, A: 210}
)

const seriesWidth = 1.5 // points: 2 pixels at 96 dpi

func seriesColor(i int) color.RGBA { return palette[i%len(palette)] }

// markColor colours a marker by its kind, so an alarm's state changes,
// deploys and the incident's own events tell apart at a glance.
func markColor(kind string) color.Color {
	switch kind {
	case "state":
		return color.RGBA{230, 120, 0, 255}
	case "alert":
		return color.RGBA{200, 0, 80, 255}
	case "change":
		return color.RGBA{0, 128, 128, 255}
	case "update":
		return color.RGBA{110, 110, 110, 255}
	case "action":
		return color.RGBA{120, 60, 170, 255}
	case "key":
		return color.Black
	case "gap":
		return color.RGBA{170, 170, 170, 255}
	}
	return color.RGBA{90, 90, 90, 255}
}

// seriesPlotter draws each series as a line, broken where samples are
// missing (a line across a scrape gap would show values nobody measured);
// a lone sample between gaps is a dot.
type seriesPlotter []Series

func (sp seriesPlotter) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	for i, s := range sp {
		sty := draw.LineStyle{Color: seriesColor(i), Width: vg.Points(seriesWidth)}
		dot := draw.GlyphStyle{Color: sty.Color, Radius: vg.Points(1.5), Shape: draw.CircleGlyph{}}
		for _, seg := range segments(s.Points) {
			pts := make([]vg.Point, len(seg))
			for j, p := range seg {
				pts[j] = vg.Point{X: trX(unixSeconds(p.At)), Y: trY(p.Value)}
			}
			if len(pts) == 1 {
				c.DrawGlyph(dot, pts[0])
				continue
			}
			c.StrokeLines(sty, c.ClipLinesXY(pts)...)
		}
	}
}

// segments splits sorted points where the spacing exceeds three times the
// median spacing: the usual step is the median, so a longer pause is a
// gap in the data rather than jitter.
func segments(pts []Point) [][]Point {
	if len(pts) < 3 {
		return [][]Point{pts}
	}
	steps := make([]time.Duration, len(pts)-1)
	for i := 1; i < len(pts); i++ {
		steps[i-1] = pts[i].At.Sub(pts[i-1].At)
	}
	sorted := slices.Clone(steps)
	slices.Sort(sorted)
	limit := 3 * sorted[len(sorted)/2]
	if limit <= 0 {
		return [][]Point{pts}
	}
	var out [][]Point
	start := 0
	for i, d := range steps {
		if d > limit {
			out = append(out, pts[start:i+1])
			start = i + 1
		}
	}
	return append(out, pts[start:])
}

// windowsPlotter shades each window over the data area's full height,
// labelled at the bottom, where the marks' labels (at the top) are not.
type windowsPlotter []Window

func (ws windowsPlotter) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, _ := plt.Transforms(&c)
	sty := textStyle(7, windowText)
	sty.XAlign, sty.YAlign = draw.XLeft, draw.YBottom
	var labelEnd vg.Length
	for i, w := range ws {
		x0, x1 := trX(unixSeconds(w.From)), trX(unixSeconds(w.To))
		if x1-x0 < vg.Points(1) { // a short outage still shows
			x1 = x0 + vg.Points(1)
		}
		c.FillPolygon(windowFill, []vg.Point{{X: x0, Y: c.Min.Y}, {X: x1, Y: c.Min.Y}, {X: x1, Y: c.Max.Y}, {X: x0, Y: c.Max.Y}})
		if w.Label == "" {
			continue
		}
		label := shorten(w.Label, 32)
		x := x0 + vg.Points(2)
		width := sty.Width(label)
		if (i > 0 && x < labelEnd) || x+width > c.Max.X {
			continue
		}
		c.FillText(sty, vg.Point{X: x, Y: c.Min.Y + vg.Points(2)}, label)
		labelEnd = x + width + vg.Points(4)
	}
}

// marksPlotter draws each mark as a thin vertical line and, where there is
// room, its label at the top in one of two rows; a label that would
// overlap one already drawn is left out rather than made unreadable.
type marksPlotter []Mark

func (ms marksPlotter) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, _ := plt.Transforms(&c)
	xs := make([]vg.Length, len(ms))
	for i, m := range ms {
		xs[i] = trX(unixSeconds(m.At))
		sty := draw.LineStyle{Color: markColor(m.Kind), Width: vg.Points(0.75)}
		if m.Kind == "gap" {
			sty.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
		}
		c.StrokeLine2(sty, xs[i], c.Min.Y, xs[i], c.Max.Y)
	}
	// Labels after all lines, so no line crosses a label.
	sty := textStyle(7, color.Black)
	sty.YAlign = draw.YTop
	rowHeight := sty.Height("Ag") + vg.Points(2)
	const rows = 2
	var ends [rows]vg.Length
	var used [rows]bool
	for i, m := range ms {
		if m.Label == "" {
			continue
		}
		label := shorten(m.Label, 24)
		width := sty.Width(label)
		x0 := xs[i] + vg.Points(2)
		if x0+width > c.Max.X { // no room right of the line: put it left
			x0 = xs[i] - vg.Points(2) - width
		}
		for r := range rows {
			if used[r] && x0 < ends[r] {
				continue
			}
			y := c.Max.Y - vg.Length(r)*rowHeight - vg.Points(1)
			c.FillPolygon(labelBack, []vg.Point{{X: x0 - 1, Y: y - rowHeight + 2}, {X: x0 + width + 1, Y: y - rowHeight + 2}, {X: x0 + width + 1, Y: y}, {X: x0 - 1, Y: y}})
			sty.Color = markColor(m.Kind)
			c.FillText(sty, vg.Point{X: x0, Y: y}, label)
			ends[r], used[r] = x0+width+vg.Points(3), true
			break
		}
	}
}

// thresholdPlotter is a dashed red line across the data area, labelled at
// its right end: above the line, or below it when that would leave the
// data area.
type thresholdPlotter struct {
	value float64
	label string
}

func (t thresholdPlotter) Plot(c draw.Canvas, plt *plot.Plot) {
	_, trY := plt.Transforms(&c)
	y := trY(t.value)
	sty := draw.LineStyle{Color: thresholdColor, Width: vg.Points(1.25), Dashes: []vg.Length{vg.Points(6), vg.Points(3)}}
	c.StrokeLine2(sty, c.Min.X, y, c.Max.X, y)
	ts := textStyle(8, thresholdColor)
	ts.XAlign, ts.YAlign = draw.XRight, draw.YBottom
	label := shorten(t.label, 40)
	ly := y + vg.Points(1.5)
	if ly+ts.Height(label) > c.Max.Y {
		ts.YAlign, ly = draw.YTop, y-vg.Points(1.5)
	}
	c.FillText(ts, vg.Point{X: c.Max.X - vg.Points(3), Y: ly}, label)
}

// noDataPlotter says so in the middle of an empty chart, so an empty
// picture is not mistaken for a flat line or a broken render.
type noDataPlotter struct{}

func (noDataPlotter) Plot(c draw.Canvas, _ *plot.Plot) {
	sty := textStyle(14, color.Gray{Y: 120})
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YCenter
	c.FillText(sty, c.Center(), "no data")
}

// legend is a column right of the plot naming each series beside a
// sample of its line. It sits outside the data so it hides none of it.
type legend struct {
	names []string
	width vg.Length
}

const legendLine, legendGap, legendPad = vg.Length(14), vg.Length(4), vg.Length(6)

var legendText = textStyle(8, color.Black)

// newLegend fits the names in at most a third of the picture's width,
// shortening the longest.
func newLegend(series []Series, total vg.Length) *legend {
	limit := total/3 - legendLine - legendGap - 2*legendPad
	l := &legend{names: make([]string, len(series))}
	var widest vg.Length
	for i, s := range series {
		name := s.Name
		if name == "" {
			name = "(no name)"
		}
		name = shorten(name, 60)
		for n := len([]rune(name)) - 1; legendText.Width(name) > limit && n > 4; n-- {
			name = shorten(name, n)
		}
		l.names[i] = name
		widest = max(widest, legendText.Width(name))
	}
	l.width = legendLine + legendGap + widest + 2*legendPad
	return l
}

// draw puts the entries from the data area's top down; those that do not
// fit are counted in a last line.
func (l *legend) draw(full, data draw.Canvas) {
	sty := legendText
	sty.YAlign = draw.YCenter
	lineH := sty.Height("Ag") + vg.Points(3)
	x := full.Max.X - l.width + legendPad
	y := data.Max.Y - lineH/2
	for i, name := range l.names {
		if y-lineH < data.Min.Y && i < len(l.names)-1 {
			full.FillText(sty, vg.Point{X: x, Y: y}, "+"+strconv.Itoa(len(l.names)-i)+" more")
			return
		}
		line := draw.LineStyle{Color: seriesColor(i), Width: vg.Points(seriesWidth)}
		full.StrokeLine2(line, x, y, x+legendLine, y)
		full.FillText(sty, vg.Point{X: x + legendLine + legendGap, Y: y}, name)
		y -= lineH
	}
}

// shorten cuts s to n runes, the last an ellipsis.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
