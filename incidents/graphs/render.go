package graphs

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"image/png"
	"math"
	"strconv"
	"sync"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Sizes, in pixels. Below the minimum the axes leave no room for data;
// the maximum bounds the memory one picture takes (4000² RGBA is 64 MB).
const (
	DefaultWidth, DefaultHeight = 800, 300
	MinWidth, MinHeight         = 200, 100
	MaxSide                     = 4000
)

// dpi maps pixels to gonum's lengths (points): the canvas is made at this
// resolution, so a Width of 800 is an image 800 pixels wide.
const dpi = 96

func px(n int) vg.Length { return vg.Length(n) * vg.Inch / dpi }

// sans is the charts' typeface: Liberation Sans, which gonum/plot embeds,
// reads better small than its default serif.
var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

func textStyle(size vg.Length, c color.Color) text.Style {
	return text.Style{Color: c, Font: font.From(sans, size), Handler: plot.DefaultTextHandler}
}

// Render draws the chart as a PNG of Width by Height pixels. A chart with
// no point in its range still renders: empty axes saying "no data"; one
// with no series but windows or marks is a timeline, drawn without a value
// axis. It fails only for a size out of range, To before From, or a chart
// with no time at all (no From, To or point). gonum panics on some
// inputs instead of failing: a panic is returned as an error, so no
// caller (the bot, the offline command) dies of a picture.
func Render(c Chart) (png []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			png, err = nil, fmt.Errorf("drawing the chart failed: %v", r)
		}
	}()
	w, h, err := c.size()
	if err != nil {
		return nil, err
	}
	if !c.From.IsZero() && !c.To.IsZero() && !c.To.After(c.From) {
		return nil, fmt.Errorf("graphs: the chart ends (%s) before it starts (%s)", c.To.Format(time.RFC3339), c.From.Format(time.RFC3339))
	}
	p := c.Plotted()
	if p.From.IsZero() {
		return nil, errors.New("graphs: the chart has no time range: no From, To or point")
	}
	canvas := vgimg.NewWith(vgimg.UseWH(px(w), px(h)), vgimg.UseDPI(dpi))
	dc := draw.New(canvas)
	plotWidth := w
	var lg *legend
	if len(p.Series) > 1 {
		lg = newLegend(p.Series, px(w))
		dc = draw.Crop(dc, 0, -lg.width, 0, 0)
		plotWidth -= int(lg.width * dpi / vg.Inch)
	}
	if timelineOnly(c, p) {
		// No value axis makes room on the left: gonum pads for the
		// time labels only on the right, so the first would be cut.
		dc = draw.Crop(dc, vg.Points(16), 0, 0, 0)
	}
	plt := newPlot(c, p, plotWidth)
	plt.Draw(dc)
	if lg != nil {
		lg.draw(draw.New(canvas), plt.DataCanvas(dc))
	}
	var buf bytes.Buffer
	if err := pngEncoder.Encode(&buf, canvas.Image()); err != nil {
		return nil, fmt.Errorf("graphs: encode PNG: %w", err)
	}
	return buf.Bytes(), nil
}

// pngEncoder favours speed: compressing flat colours and thin lines
// harder saves little, and encoding took most of a render's time.
var pngEncoder = png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: &encoderBuffers{}}

// encoderBuffers reuses the encoder's row buffers between renders.
type encoderBuffers struct{ pool sync.Pool }

func (b *encoderBuffers) Get() *png.EncoderBuffer {
	if eb, ok := b.pool.Get().(*png.EncoderBuffer); ok {
		return eb
	}
	return nil
}

func (b *encoderBuffers) Put(eb *png.EncoderBuffer) { b.pool.Put(eb) }

// size is the chart's size in pixels, defaults applied.
func (c Chart) size() (w, h int, err error) {
	w, h = c.Width, c.Height
	if w == 0 {
		w = DefaultWidth
	}
	if h == 0 {
		h = DefaultHeight
	}
	if w < MinWidth || h < MinHeight || w > MaxSide || h > MaxSide {
		return 0, 0, fmt.Errorf("graphs: chart size %dx%d is outside %dx%d..%dx%d pixels", w, h, MinWidth, MinHeight, MaxSide, MaxSide)
	}
	return w, h, nil
}

// newPlot lays out the axes and adds the plotters, bottom layer first:
// windows under the grid, marks and threshold under the series, so the
// data stays visible where they cross. plotWidth is the pixels left for
// the plot beside a legend, which decides how many time ticks fit.
func newPlot(c Chart, p Plotted, plotWidth int) *plot.Plot {
	plt := plot.New()
	plt.Title.Text = c.Title
	plt.Title.TextStyle = textStyle(11, color.Black)
	plt.Title.TextStyle.XAlign, plt.Title.TextStyle.YAlign = draw.XCenter, draw.YTop
	plt.Title.Padding = vg.Points(4)

	loc := c.Location
	if loc == nil {
		loc = time.UTC
	}
	plt.X.Min, plt.X.Max = unixSeconds(p.From), unixSeconds(p.To)
	plt.X.Tick.Marker = newTimeTicks(p.From, p.To, loc, plotWidth)
	plt.X.Label.Text = timeAxisLabel(p.From, p.To, loc)
	plt.Y.Min, plt.Y.Max = yRange(p)
	plt.Y.Tick.Marker = valueTicks{}
	plt.Y.Label.Text = c.Unit
	for _, a := range []*plot.Axis{&plt.X, &plt.Y} {
		a.Tick.Label.Font = font.From(sans, 9)
		a.Label.TextStyle.Font = font.From(sans, 9)
		a.Label.Padding = vg.Points(2)
	}

	grid := plotter.NewGrid()
	grid.Vertical.Color = color.Gray{Y: 232}
	grid.Horizontal.Color = color.Gray{Y: 232}
	plt.Add(windowsPlotter(p.Windows), grid, marksPlotter(p.Marks))
	if p.Threshold != nil {
		plt.Add(thresholdPlotter{value: *p.Threshold, label: thresholdLabel(c.ThresholdLabel, *p.Threshold)})
	}
	plt.Add(seriesPlotter(p.Series))
	switch {
	case timelineOnly(c, p):
		plt.Y.Tick.Marker = plot.ConstantTicks{}
	case p.empty():
		plt.Add(noDataPlotter{})
	}
	return plt
}

// timelineOnly reports a chart of events without a metric: it has no
// value axis (it would measure nothing) and no "no data" (it has its
// data). A chart whose series have no point in range is not one.
func timelineOnly(c Chart, p Plotted) bool {
	return len(c.Series) == 0 && (len(p.Windows) > 0 || len(p.Marks) > 0)
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

func thresholdLabel(label string, v float64) string {
	if label != "" {
		return label
	}
	return "threshold " + formatValue(v)
}

// yRange spans the points and the threshold with a margin, so neither
// sits on the frame; more at the top when marks put labels there. It does
// not dip below zero for data that never does: a negative axis for a
// count or a rate reads as a negative value.
func yRange(p Plotted) (lo, hi float64) {
	lo, hi, ok := p.valueRange()
	if !ok {
		return 0, 1
	}
	nonNegative := lo >= 0
	if lo == hi {
		d := math.Abs(lo) * 0.1
		if d == 0 {
			d = 1
		}
		lo, hi = lo-d, hi+d
	}
	span := hi - lo
	top := 0.05
	if len(p.Marks) > 0 {
		top = 0.15
	}
	lo, hi = lo-span*0.05, hi+span*top
	if nonNegative && lo < 0 {
		lo = 0
	}
	return lo, hi
}

// valueTicks are gonum's default ticks with large values shortened (1.5M,
// not 1.5e+06), which fit the axis and read at a glance.
type valueTicks struct{}

func (valueTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ticks {
		if ticks[i].Label != "" && math.Abs(ticks[i].Value) >= 1e4 {
			ticks[i].Label = formatValue(ticks[i].Value)
		}
	}
	return ticks
}

// formatValue writes v short: SI suffixes from 10,000 up, otherwise the
// shortest decimal that round-trips.
func formatValue(v float64) string {
	abs := math.Abs(v)
	for _, u := range []struct {
		from, div float64
		suffix    string
	}{{1e12, 1e12, "T"}, {1e9, 1e9, "G"}, {1e6, 1e6, "M"}, {1e4, 1e3, "k"}} {
		if abs >= u.from {
			return strconv.FormatFloat(math.Round(v/u.div*100)/100, 'f', -1, 64) + u.suffix
		}
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}
