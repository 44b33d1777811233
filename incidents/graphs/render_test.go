package graphs

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"strings"
	"sync"
	"testing"
	"time"
)

// ramp is 0 at t0 rising to 100 three hours later, a point a minute.
func ramp() Series {
	s := Series{Name: "ramp"}
	for i := 0; i <= 180; i++ {
		s.Points = append(s.Points, Point{at(i), float64(i) * 100 / 180})
	}
	return s
}

func decode(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	return img
}

func TestRenderSize(t *testing.T) {
	for _, tc := range []struct{ w, h, wantW, wantH int }{
		{0, 0, 800, 300}, {640, 0, 640, 300}, {1200, 500, 1200, 500}, {MinWidth, MinHeight, MinWidth, MinHeight},
	} {
		b, err := Render(Chart{Title: "ramp", From: at(0), To: at(180), Series: []Series{ramp()}, Width: tc.w, Height: tc.h})
		if err != nil {
			t.Fatal(err)
		}
		if size := decode(t, b).Bounds().Size(); size != image.Pt(tc.wantW, tc.wantH) {
			t.Errorf("Width %d Height %d: image %v, want %dx%d", tc.w, tc.h, size, tc.wantW, tc.wantH)
		}
	}
}

func TestRenderErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    Chart
		want string
	}{
		{"too small", Chart{From: at(0), To: at(60), Width: 100}, "chart size 100x300"},
		{"too large", Chart{From: at(0), To: at(60), Height: MaxSide + 1}, "chart size 800x4001"},
		{"negative", Chart{From: at(0), To: at(60), Width: -1}, "chart size -1x300"},
		{"reversed", Chart{From: at(60), To: at(0)}, "ends"},
		{"no time at all", Chart{Title: "nothing"}, "no time range"},
	} {
		if _, err := Render(tc.c); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

// TestRenderDrawsTheData reads the ramp back from the pixels: the line's
// row rises as its value does, and the threshold's row is where 80 is.
func TestRenderDrawsTheData(t *testing.T) {
	thr := 80.0
	b, err := Render(Chart{Title: "ramp", Unit: "%", From: at(0), To: at(180), Series: []Series{ramp()}, Threshold: &thr})
	if err != nil {
		t.Fatal(err)
	}
	img := decode(t, b)
	line := palette[0]
	// The line's ends are the first and last columns holding its colour:
	// the ramp spans the whole range, so they are From and To.
	left, right := -1, -1
	for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
		if _, ok := rowOf(img, x, line); ok {
			if left < 0 {
				left = x
			}
			right = x
		}
	}
	if left < 0 || right-left < 600 {
		t.Fatalf("series colour found in columns %d..%d of 800: no line across the plot", left, right)
	}
	column := func(value float64) int { return left + int(math.Round(value/100*float64(right-left))) }
	rows := map[float64]float64{}
	prev := math.Inf(1)
	for _, v := range []float64{10, 30, 50, 70, 90} { // away from the threshold at 80
		y, ok := rowOf(img, column(v), line)
		if !ok {
			t.Fatalf("no line in column %d (value %v)", column(v), v)
		}
		if y >= prev {
			t.Errorf("value %v drawn at row %.1f, not above the lower value's row %.1f", v, y, prev)
		}
		rows[v], prev = y, y
	}
	// Rows are linear in the value: 80 is where 10 and 90 put it.
	want80 := rows[10] + (rows[90]-rows[10])*(80-10)/(90-10)
	got80, ok := thresholdRow(img)
	if !ok {
		t.Fatal("no threshold line")
	}
	if !(rows[90] < got80 && got80 < rows[70]) || math.Abs(got80-want80) > 2.5 {
		t.Errorf("threshold at row %.1f, want %.1f, between the rows of 90 (%.1f) and 70 (%.1f)", got80, want80, rows[90], rows[70])
	}
}

// rowOf is the mean row of the pixels of colour c in column x.
func rowOf(img image.Image, x int, c color.RGBA) (float64, bool) {
	sum, n := 0, 0
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		if near(img.At(x, y), c) {
			sum, n = sum+y, n+1
		}
	}
	return float64(sum) / float64(max(n, 1)), n > 0
}

// thresholdRow is the row with the most threshold-coloured pixels: the
// dashed line runs across the plot, its label is a few pixels wide.
func thresholdRow(img image.Image) (float64, bool) {
	best, bestN := 0, 0
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		n := 0
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			if near(img.At(x, y), thresholdColor) {
				n++
			}
		}
		if n > bestN {
			best, bestN = y, n
		}
	}
	// A 1.25-point line may straddle two rows: take both if so.
	n2 := 0
	for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
		if near(img.At(x, best+1), thresholdColor) {
			n2++
		}
	}
	if n2 > bestN/2 {
		return float64(best) + 0.5, bestN > 300
	}
	return float64(best), bestN > 300
}

// near allows for anti-aliasing at a line's edge.
func near(got color.Color, want color.RGBA) bool {
	r, g, b, _ := got.RGBA()
	d := func(a uint32, b uint8) float64 { return float64(a>>8) - float64(b) }
	return math.Sqrt(d(r, want.R)*d(r, want.R)+d(g, want.G)*d(g, want.G)+d(b, want.B)*d(b, want.B)) < 40
}

func TestRenderNoData(t *testing.T) {
	thr := 5.0
	for _, c := range []Chart{
		{Title: "nothing", From: at(0), To: at(60)},
		{Title: "all outside", From: at(0), To: at(60), Series: []Series{{Name: "a", Points: []Point{{at(90), 1}}}}, Threshold: &thr},
		{Title: "NaN only", From: at(0), To: at(60), Series: []Series{{Name: "a", Points: []Point{{at(10), math.NaN()}}}}},
	} {
		b, err := Render(c)
		if err != nil {
			t.Fatalf("%s: %v", c.Title, err)
		}
		img := decode(t, b)
		if _, ok := rowOf(img, img.Bounds().Dx()/2, palette[0]); ok {
			t.Errorf("%s: a series line drawn with no data", c.Title)
		}
	}
}

// TestRenderSaysNoData looks for the grey of "no data" in the middle of
// the picture: there for a chart whose series have nothing in range, not
// for a timeline, whose marks and windows are its data.
func TestRenderSaysNoData(t *testing.T) {
	noDataGrey := color.RGBA{120, 120, 120, 255}
	for _, tc := range []struct {
		name string
		c    Chart
		want bool
	}{
		{"series without points in range", Chart{From: at(0), To: at(60), Series: []Series{{Name: "a", Points: []Point{{at(90), 1}}}}}, true},
		{"nothing", Chart{From: at(0), To: at(60)}, true},
		{"timeline", Chart{From: at(0), To: at(60), Windows: []Window{{From: at(5), To: at(10)}}, Marks: []Mark{{at(50), "change", "deploy"}}}, false},
	} {
		b, err := Render(tc.c)
		if err != nil {
			t.Fatal(err)
		}
		img := decode(t, b)
		n := 0
		for x := 300; x < 500; x++ {
			for y := 100; y < 200; y++ {
				if near(img.At(x, y), noDataGrey) {
					n++
				}
			}
		}
		if got := n > 20; got != tc.want {
			t.Errorf("%s: %d grey pixels in the middle; want \"no data\": %v", tc.name, n, tc.want)
		}
	}
}

// timeline is an incident's picture: no metric, windows and many marks.
func timeline() Chart {
	c := Chart{Title: "INC-42 timeline", From: at(0), To: at(240), Location: berlin()}
	kinds := []string{"state", "alert", "change", "update", "action", "key", "gap", "other"}
	for i := range 200 {
		c.Marks = append(c.Marks, Mark{At: t0.Add(time.Duration(i*71) * time.Second), Kind: kinds[i%len(kinds)], Label: "event " + strings.Repeat("x", i%20)})
	}
	for i := range 6 {
		c.Windows = append(c.Windows, Window{From: at(i * 40), To: at(i*40 + 15), Label: "outage"})
	}
	return c
}

func berlin() *time.Location {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return loc
}

func TestRenderIsDeterministic(t *testing.T) {
	thr := 30.0
	charts := []Chart{
		timeline(),
		{Title: "two", From: at(0), To: at(180), Threshold: &thr, Series: []Series{ramp(), {Name: "flat", Points: []Point{{at(0), 30}, {at(180), 30}}}},
			Marks: []Mark{{at(20), "change", "deploy"}}, Windows: []Window{{From: at(100), Label: "firing"}}},
	}
	for _, c := range charts {
		a, err := Render(c)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Render(c)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two renders of one chart differ", c.Title)
		}
		decode(t, a)
	}
}

func TestRenderLegendNamesEachSeries(t *testing.T) {
	var series []Series
	for i := range 12 { // more than the palette: colours repeat, nothing breaks
		s := ramp()
		s.Name = strings.Repeat("long_metric_name", 1+i%3)
		for j := range s.Points {
			s.Points[j].Value += float64(i * 10)
		}
		series = append(series, s)
	}
	b, err := Render(Chart{From: at(0), To: at(180), Series: series, Height: 200})
	if err != nil {
		t.Fatal(err)
	}
	img := decode(t, b)
	// The legend is right of the plot: the first series' colour appears
	// there, in a column the ramp (which ends at the plot's edge) does not
	// reach, as the legend's sample line.
	found := false
	for x := img.Bounds().Dx() * 2 / 3; x < img.Bounds().Dx(); x++ {
		if _, ok := rowOf(img, x, palette[0]); ok {
			found = true
			break
		}
	}
	if !found {
		t.Error("no legend entry in the first series' colour")
	}
}

func TestTimeTicks(t *testing.T) {
	loc := berlin()
	for _, tc := range []struct {
		name     string
		from, to time.Time
		width    int
		want     []string
	}{
		{"three hours in Berlin", at(4), at(184), 800, []string{"08:30", "09:00", "09:30", "10:00", "10:30", "11:00"}},
		{"narrow", at(4), at(184), 300, []string{"09:00", "10:00", "11:00"}},
		{"two days", at(0), at(48 * 60), 800, []string{"Jan 6 12:00", "Jan 7 00:00", "Jan 7 12:00", "Jan 8 00:00"}},
		{"a week", at(0), at(7 * 24 * 60), 800, []string{"Jan 7", "Jan 8", "Jan 9", "Jan 10", "Jan 11", "Jan 12", "Jan 13"}},
		{"ten minutes", at(0), at(10), 800, []string{"08:00", "08:01", "08:02", "08:03", "08:04", "08:05", "08:06", "08:07", "08:08", "08:09", "08:10"}},
	} {
		ticker := newTimeTicks(tc.from, tc.to, loc, tc.width)
		var got []string
		for _, tick := range ticker.Ticks(unixSeconds(tc.from), unixSeconds(tc.to)) {
			got = append(got, tick.Label)
		}
		if strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("%s: ticks %v, want %v", tc.name, got, tc.want)
		}
	}
	if got, want := timeAxisLabel(at(0), at(180), loc), "Tue 6 Jan 2026 (Europe/Berlin)"; got != want {
		t.Errorf("axis label %q, want %q", got, want)
	}
	if got, want := timeAxisLabel(at(0), at(48*60), time.UTC), "6 Jan – 8 Jan 2026 (UTC)"; got != want {
		t.Errorf("axis label %q, want %q", got, want)
	}
}

// TestRenderConcurrently renders from several goroutines at once, as the
// bot does for several incidents: under -race this checks the shared
// fonts and encoder; each picture must equal the one drawn alone.
func TestRenderConcurrently(t *testing.T) {
	thr := 80.0
	c := Chart{Title: "ramp", From: at(0), To: at(180), Series: []Series{ramp()}, Threshold: &thr, Marks: []Mark{{at(90), "change", "deploy"}}}
	want, err := Render(c)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	got := make([][]byte, 4)
	errs := make([]error, 4)
	for i := range got {
		wg.Go(func() { got[i], errs[i] = Render(c) })
	}
	wg.Wait()
	for i := range got {
		if errs[i] != nil || !bytes.Equal(got[i], want) {
			t.Errorf("render %d: %v, equal to the lone one: %v", i, errs[i], bytes.Equal(got[i], want))
		}
	}
}
