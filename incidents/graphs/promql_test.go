package graphs

import (
	"strings"
	"testing"
	"time"
)

func TestSplitThreshold(t *testing.T) {
	num := func(v float64) *float64 { return &v }
	for _, tc := range []struct {
		expr  string
		query string
		thr   *float64
	}{
		{"rate(x[5m]) > 0.05", "rate(x[5m])", num(0.05)},
		{`rate(http_requests_total{code=~"5.."}[5m]) > 0.05`, `rate(http_requests_total{code=~"5.."}[5m])`, num(0.05)},
		{"up == 0", "up", num(0)},
		{"x >= 1e3", "x", num(1000)},
		{"x <= -2.5", "x", num(-2.5)},
		{"x != 1", "x", num(1)},
		{"x < 0x10", "x", num(16)},
		{"  node_load1 > 4  ", "node_load1", num(4)},
		{"a + b > 5", "a + b", num(5)},
		{"(a > 1) < 5", "(a > 1)", num(5)},
		{"a > 1 < 5", "a > 1", num(5)},
		{"(rate(x[5m]) > 0.05)", "rate(x[5m])", num(0.05)},
		{"((x > 3))", "x", num(3)},
		{"sum by (job) (rate(x[1m])) /\n sum by (job) (rate(y[1m])) > 0.1", "sum by (job) (rate(x[1m])) /\n sum by (job) (rate(y[1m]))", num(0.1)},
		{`x{a=">"} > 2`, `x{a=">"}`, num(2)},
		{`label_replace(x, "d", "$1", "s", "(.*)>") > 2`, `label_replace(x, "d", "$1", "s", "(.*)>")`, num(2)},
		{"x > 2 # page when over two\n", "x", num(2)},
		{"band_width > 3", "band_width", num(3)},
		// Not a threshold: left as it is.
		{"x > bool 0.05", "x > bool 0.05", nil},
		{"x > y", "x > y", nil},
		{"x > 5 * 2", "x > 5 * 2", nil},
		{"x > 5 and y", "x > 5 and y", nil},
		{"x > 5 unless y > 3", "x > 5 unless y > 3", nil},
		{"x > 1 or vector(0) > 3", "x > 1 or vector(0) > 3", nil},
		{"absent(up{job=\"a\"} > 1)", "absent(up{job=\"a\"} > 1)", nil},
		{"max_over_time((x > 1)[5m:])", "max_over_time((x > 1)[5m:])", nil},
		{"(x > 1) + 2", "(x > 1) + 2", nil},
		{"(x) > (1)", "(x) > (1)", nil},
		{"x > Inf", "x > Inf", nil},
		{"x > NaN", "x > NaN", nil},
		{"x > 5m", "x > 5m", nil},
		{"x > 1_000", "x > 1_000", nil},
		{"x > --1", "x > --1", nil},
		{"> 5", "> 5", nil},
		{"up", "up", nil},
		{"", "", nil},
		{`x{a="unterminated} > 1`, `x{a="unterminated} > 1`, nil},
		{"x) > 1", "x) > 1", nil},
		{"x =~ 1", "x =~ 1", nil},
	} {
		q, thr := SplitThreshold(tc.expr)
		if q != tc.query || (thr == nil) != (tc.thr == nil) || (thr != nil && *thr != *tc.thr) {
			t.Errorf("SplitThreshold(%q) = %q, %v; want %q, %v", tc.expr, q, deref(thr), tc.query, deref(tc.thr))
		}
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestPrometheusStep(t *testing.T) {
	t0 := time.Date(2026, 1, 6, 7, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		span time.Duration
		want time.Duration
	}{
		{3 * time.Hour, 44 * time.Second},                   // 43.2 s rounded up
		{24 * time.Hour, 346 * time.Second},                 // 345.6 s
		{250 * time.Minute, 60 * time.Second},               // exact
		{30 * time.Minute, 15 * time.Second},                // 7.2 s: the floor
		{0, 15 * time.Second},                               // empty
		{-time.Hour, 15 * time.Second},                      // reversed
		{7 * 24 * time.Hour, 2420 * time.Second},            // 2419.2 s
		{62*time.Minute + 30*time.Second, 15 * time.Second}, // 15 s exactly
	} {
		got := PrometheusStep(t0, t0.Add(tc.span))
		if got != tc.want {
			t.Errorf("PrometheusStep(%s) = %s, want %s", tc.span, got, tc.want)
		}
		if got%time.Second != 0 {
			t.Errorf("PrometheusStep(%s) = %s: not whole seconds", tc.span, got)
		}
	}
}

func TestRegionCode(t *testing.T) {
	for name, want := range map[string]string{
		"US East (N. Virginia)":     "us-east-1",
		"US West (Oregon)":          "us-west-2",
		"EU (Ireland)":              "eu-west-1",
		"Europe (Ireland)":          "eu-west-1",
		"Asia Pacific (Tokyo)":      "ap-northeast-1",
		"South America (São Paulo)": "sa-east-1",
		"South America (Sao Paulo)": "sa-east-1",
		"Middle East (UAE)":         "me-central-1",
		"Canada West (Calgary)":     "ca-west-1",
		"Mexico (Central)":          "mx-central-1",
		"  us  east (ohio) ":        "us-east-2",
		"us-east-1":                 "us-east-1",
		"ap-southeast-7":            "ap-southeast-7",
		"us-gov-west-1":             "us-gov-west-1",
		"":                          "",
		"Atlantis (Central)":        "",
		"US-EAST-1":                 "",
		"us-east":                   "",
	} {
		if got := RegionCode(name); got != want {
			t.Errorf("RegionCode(%q) = %q, want %q", name, got, want)
		}
	}
}

func FuzzSplitThreshold(f *testing.F) {
	for _, s := range []string{"rate(x[5m]) > 0.05", `x{a=">"} > 2 # c`, "(x > 1)", "x > bool 1", "a > 1 and b", "'\\", "((("} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		q, thr := SplitThreshold(expr)
		if thr == nil && q != expr {
			t.Errorf("SplitThreshold(%q) = %q without a threshold: want the expression unchanged", expr, q)
		}
		if thr != nil && (strings.TrimSpace(q) == "" || !finite(*thr)) {
			t.Errorf("SplitThreshold(%q) = %q, %v", expr, q, *thr)
		}
	})
}
