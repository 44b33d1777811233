package graphs

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/incident-bot/incident-bot/internal/testprom"
)

// TestQueryRangeRealPrometheus graphs a gauge a real Prometheus scraped
// from the test: the values the test served come back from QueryRange,
// and the chart plots exactly them.
func TestQueryRangeRealPrometheus(t *testing.T) {
	var depth atomic.Int64
	depth.Store(5)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprintf(w, "# HELP test_queue_depth Jobs waiting.\n# TYPE test_queue_depth gauge\ntest_queue_depth %d\n", depth.Load())
	}))
	defer target.Close()
	prom := testprom.Start(t, target.URL)
	p := Prometheus{URL: prom.URL}
	query, thr := SplitThreshold("test_queue_depth > 20")
	if query != "test_queue_depth" || thr == nil || *thr != 20 {
		t.Fatalf("SplitThreshold = %q, %v", query, thr)
	}

	from := time.Now().Add(-2 * time.Second).Truncate(time.Second)
	waitFor(t, p, query, from, 5)
	depth.Store(42)
	waitFor(t, p, query, from, 42)
	to := time.Now()

	series, err := p.QueryRange(context.Background(), query, from, to, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(series) != 1 {
		t.Fatalf("%d series, want 1: %+v", len(series), series)
	}
	checkServed(t, series[0], strings.TrimPrefix(target.URL, "http://"), from, to)

	c := Chart{Title: "queue", From: from, To: to, Series: series, Threshold: thr, ThresholdLabel: "page above 20"}
	plotted := c.Plotted()
	if len(plotted.Series) != 1 || !samePoints(plotted.Series[0].Points, series[0].Points) {
		t.Errorf("plotted %+v, want the queried points %+v", plotted.Series, series[0].Points)
	}
	if plotted.Threshold == nil || *plotted.Threshold != 20 {
		t.Errorf("plotted threshold %v, want 20", plotted.Threshold)
	}
	b, err := Render(c)
	if err != nil {
		t.Fatal(err)
	}
	decode(t, b)
}

// checkServed checks a queried series is the gauge as served: named by
// its labels, one point a second within the range, 5 until the change and
// 42 from then on.
func checkServed(t *testing.T, s Series, host string, from, to time.Time) {
	t.Helper()
	if want := `test_queue_depth{instance="` + host + `",job="test"}`; s.Name != want {
		t.Errorf("series %q, want %q", s.Name, want)
	}
	values := make([]float64, len(s.Points))
	for i, pt := range s.Points {
		values[i] = pt.Value
	}
	change := slices.Index(values, 42)
	if change < 1 || slices.ContainsFunc(values[:change], func(v float64) bool { return v != 5 }) ||
		slices.ContainsFunc(values[change:], func(v float64) bool { return v != 42 }) {
		t.Errorf("values %v, want 5s then 42s", values)
	}
	for i, pt := range s.Points {
		if pt.At.Before(from) || pt.At.After(to) || (i > 0 && pt.At.Sub(s.Points[i-1].At) != time.Second) {
			t.Errorf("point %d at %s: outside %s..%s or not a step after the last", i, pt.At, from, to)
		}
	}
}

// waitFor polls until Prometheus has a sample of value v since from.
func waitFor(t *testing.T, p Prometheus, query string, from time.Time, v float64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		series, err := p.QueryRange(context.Background(), query, from, time.Now(), time.Second)
		if err == nil && len(series) > 0 && slices.ContainsFunc(series[0].Points, func(pt Point) bool { return pt.Value == v }) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Prometheus has no %s = %v after 30s (last answer %+v, %v)", query, v, series, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func samePoints(a, b []Point) bool {
	return slices.EqualFunc(a, b, func(x, y Point) bool {
		return x.At.Equal(y.At) && (x.Value == y.Value || math.IsNaN(x.Value) && math.IsNaN(y.Value))
	})
}
