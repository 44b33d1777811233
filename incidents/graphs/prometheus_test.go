package graphs

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakePrometheus answers every request with status and body, after
// handing the request to check.
func fakePrometheus(t *testing.T, status int, body string, check func(*http.Request)) Prometheus {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if check != nil {
			check(r)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return Prometheus{URL: srv.URL + "/prom/"}
}

func TestQueryRangeParsesMatrix(t *testing.T) {
	from := time.Date(2026, 1, 6, 7, 0, 0, 250_400_000, time.UTC) // sub-millisecond: rounded in
	to := from.Add(time.Hour)
	body := `{"status":"success","data":{"resultType":"matrix","result":[
		{"metric":{"__name__":"http_requests_total","job":"api","code":"500","instance":"10.0.0.1:9090"},"values":[[1767682800.251,"1.5"],[1767682860.251,"NaN"],[1767682920.251,"+Inf"]]},
		{"metric":{"job":"api"},"values":[[1767682800.251,"-2"]]},
		{"metric":{"__name__":"up"},"values":[]},
		{"metric":{},"values":[[1767682800.251,"1e3"]]}]}}`
	p := fakePrometheus(t, http.StatusOK, body, func(r *http.Request) {
		q := r.URL.Query()
		if r.Method != http.MethodGet || r.URL.Path != "/prom/api/v1/query_range" {
			t.Errorf("request %s %s, want GET /prom/api/v1/query_range", r.Method, r.URL.Path)
		}
		if q.Get("query") != `rate(x{a="b"}[5m])` || q.Get("start") != "1767682800.251" || q.Get("end") != "1767686400.250" || q.Get("step") != "44" {
			t.Errorf("query parameters %v", q)
		}
	})
	got, err := p.QueryRange(context.Background(), `rate(x{a="b"}[5m])`, from, to, 44*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{`http_requests_total{code="500",instance="10.0.0.1:9090",job="api"}`, `{job="api"}`, "up", "{}"}
	if len(got) != len(names) {
		t.Fatalf("%d series, want %d", len(got), len(names))
	}
	for i, name := range names {
		if got[i].Name != name {
			t.Errorf("series %d named %q, want %q", i, got[i].Name, name)
		}
	}
	first := got[0].Points
	if len(first) != 3 || !first[0].At.Equal(time.UnixMilli(1767682800251)) || first[0].Value != 1.5 ||
		!math.IsNaN(first[1].Value) || !math.IsInf(first[2].Value, 1) || !first[2].At.Equal(time.UnixMilli(1767682920251)) {
		t.Errorf("points %+v", first)
	}
	if got[1].Points[0].Value != -2 || got[3].Points[0].Value != 1000 || len(got[2].Points) != 0 {
		t.Errorf("values %+v", got)
	}
}

func TestQueryRangeAtMostTenSeries(t *testing.T) {
	var result []string
	for i := range 15 {
		result = append(result, fmt.Sprintf(`{"metric":{"i":"%02d"},"values":[[1767682800,"%d"]]}`, i, i))
	}
	p := fakePrometheus(t, http.StatusOK, `{"status":"success","data":{"resultType":"matrix","result":[`+strings.Join(result, ",")+`]}}`, nil)
	got, err := p.QueryRange(context.Background(), "x", at(0), at(60), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != MaxSeries || got[0].Name != `{i="00"}` || got[9].Name != `{i="09"}` {
		t.Errorf("got %d series from %v to %v, want the first %d", len(got), got[0].Name, got[len(got)-1].Name, MaxSeries)
	}
}

func TestQueryRangeErrors(t *testing.T) {
	huge := `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"x":"` + strings.Repeat("a", MaxResponseBytes) + `"},"values":[]}]}}`
	for _, tc := range []struct {
		name, body string
		status     int
		want       string
	}{
		{"bad query", `{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:6: parse error: unexpected \")\""}`, 400,
			`prometheus: bad_data: invalid parameter "query": 1:6: parse error: unexpected ")"`},
		{"execution error", `{"status":"error","errorType":"execution","error":"query processing would load too many samples into memory"}`, 422,
			"execution: query processing would load too many samples"},
		{"proxy error", "<html>bad gateway</html>", 502, "HTTP 502: <html>bad gateway</html>"},
		{"not JSON", "hello", 200, "bad response"},
		{"vector", `{"status":"success","data":{"resultType":"vector","result":[]}}`, 200, `result type "vector", want matrix`},
		{"odd status", `{"status":"pending"}`, 200, `status "pending"`},
		{"bad sample", `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"x"]]}]}}`, 200, `sample value "x"`},
		{"short sample", `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1]]}]}}`, 200, "1 elements"},
		{"too large", huge, 200, "larger than 16 MB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := fakePrometheus(t, tc.status, tc.body, nil)
			_, err := p.QueryRange(context.Background(), "x", at(0), at(60), time.Minute)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestQueryRangeRefusesBeforeAsking(t *testing.T) {
	var asked atomic.Bool
	p := fakePrometheus(t, 200, `{}`, func(*http.Request) { asked.Store(true) })
	for _, tc := range []struct {
		name     string
		p        Prometheus
		expr     string
		from, to time.Time
		step     time.Duration
		want     string
	}{
		{"empty query", p, " ", at(0), at(60), time.Minute, "empty query"},
		{"reversed", p, "x", at(60), at(0), time.Minute, "bad range"},
		{"no step", p, "x", at(0), at(60), 0, "bad range"},
		{"too many points", p, "x", at(0), at(24 * 60), time.Second, "more than 11000 points"},
		{"no URL", Prometheus{}, "x", at(0), at(60), time.Minute, "bad URL"},
		{"not http", Prometheus{URL: "ftp://prom:9090"}, "x", at(0), at(60), time.Minute, "bad URL"},
	} {
		_, err := tc.p.QueryRange(context.Background(), tc.expr, tc.from, tc.to, tc.step)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	if asked.Load() {
		t.Error("a refused query reached Prometheus")
	}
}

func TestQueryRangeHonoursContext(t *testing.T) {
	p := fakePrometheus(t, 200, `{}`, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.QueryRange(ctx, "x", at(0), at(60), time.Minute); err == nil || !strings.Contains(err.Error(), "canceled") {
		t.Errorf("error %v, want context canceled", err)
	}
}

func FuzzParseQueryRange(f *testing.F) {
	f.Add(200, []byte(`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"x","a":"b"},"values":[[1767682800.251,"1.5"],[1,"NaN"]]}]}}`))
	f.Add(400, []byte(`{"status":"error","errorType":"bad_data","error":"parse error"}`))
	f.Add(200, []byte(`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1e300,"1"],[-1e300,"-Inf"],["x",1],[1,2,3],null]}]}}`))
	f.Add(502, []byte("<html>"))
	f.Add(200, []byte(`{"status":"success","data":{"resultType":"matrix","result":null}}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		series, err := parseQueryRange(status, body)
		if err == nil && len(series) > MaxSeries {
			t.Errorf("%d series, more than %d", len(series), MaxSeries)
		}
		if err != nil && series != nil {
			t.Errorf("series with an error: %v", err)
		}
	})
}

// Of a rule over many series, the one the alert is about is drawn, even
// when it is not among the first MaxSeries in label order.
func TestQueryRangeKeepsTheAlertsSeries(t *testing.T) {
	var results []string
	for i := range 12 {
		results = append(results, fmt.Sprintf(`{"metric":{"__name__":"fs_avail","instance":"db-%02d","mountpoint":"/data"},"values":[[1767693600,"0.5"]]}`, i))
	}
	body := []byte(`{"status":"success","data":{"resultType":"matrix","result":[` + strings.Join(results, ",") + `]}}`)
	alert := map[string]string{"alertname": "DiskLow", "instance": "db-11", "mountpoint": "/data", "severity": "critical"}
	series, err := parseQueryRangeFor(200, body, alert)
	if err != nil || len(series) != MaxSeries || !strings.Contains(series[0].Name, `instance="db-11"`) {
		t.Fatalf("%d series, first %q (%v)", len(series), series[0].Name, err)
	}
	if plain, _ := parseQueryRange(200, body); strings.Contains(plain[MaxSeries-1].Name, "db-11") {
		t.Error("without the alert's labels the order should be Prometheus's")
	}
	if agrees(map[string]string{"job": "x"}, alert) || agrees(map[string]string{"instance": "db-01"}, alert) {
		t.Error("a series sharing no label, or one that differs, agrees with the alert")
	}
}
