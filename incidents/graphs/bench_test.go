package graphs

import (
	"testing"
)

// BenchmarkRenderGraph is an alert's graph: three hours of a metric a
// minute, its threshold and a few markers.
func BenchmarkRenderGraph(b *testing.B) {
	s := Series{Name: `rate(http_requests_total{code="500"}[5m])`}
	for i := range 180 {
		s.Points = append(s.Points, Point{at(i), float64(i%37) * 2.5})
	}
	thr := 80.0
	c := Chart{
		Title: "HighErrorRate", Unit: "req/s", From: at(0), To: at(180), Series: []Series{s}, Threshold: &thr,
		Marks: []Mark{{at(60), "change", "deploy web"}, {at(150), "alert", "firing"}, {at(170), "action", "rollback"}},
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Render(c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderTimeline is an incident's timeline: six outage windows
// and two hundred events.
func BenchmarkRenderTimeline(b *testing.B) {
	c := timeline()
	if len(c.Windows) != 6 || len(c.Marks) != 200 {
		b.Fatalf("timeline has %d windows and %d marks", len(c.Windows), len(c.Marks))
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Render(c); err != nil {
			b.Fatal(err)
		}
	}
}
