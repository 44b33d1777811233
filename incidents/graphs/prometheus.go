package graphs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on one range query. MaxSeries bounds the lines on a chart: past
// ten nobody can tell them apart, and QueryRange returns the first ten in
// Prometheus's order (sorted by labels) without error, so a graph still
// comes out; ask with topk or sum by to choose which. MaxResponseBytes
// bounds the memory a response takes. MaxPoints is Prometheus's own limit
// of points per series, checked before asking.
const (
	MaxSeries        = 10
	MaxResponseBytes = 16 << 20
	MaxPoints        = 11000
)

// Prometheus queries a Prometheus server's HTTP API.
type Prometheus struct {
	URL  string       // base URL, like http://127.0.0.1:9090
	HTTP *http.Client // nil: a client with a 30 s timeout
}

var defaultHTTP = &http.Client{Timeout: 30 * time.Second}

// QueryRange runs expr over from..to at step (GET /api/v1/query_range)
// and returns at most MaxSeries series. A failed query's error carries
// Prometheus's own message.
func (p Prometheus) QueryRange(ctx context.Context, expr string, from, to time.Time, step time.Duration) ([]Series, error) {
	return p.QueryRangeFor(ctx, expr, nil, from, to, step)
}

// QueryRangeFor is QueryRange keeping first the series that agree with
// labels (an alert's: every label a series shares with it has the same
// value), so that of a rule over two hundred filesystems the one that
// fired is drawn, not the first ten in label order.
func (p Prometheus) QueryRangeFor(ctx context.Context, expr string, labels map[string]string, from, to time.Time, step time.Duration) ([]Series, error) {
	if strings.TrimSpace(expr) == "" {
		return nil, errors.New("prometheus: empty query")
	}
	if step <= 0 || !to.After(from) {
		return nil, fmt.Errorf("prometheus: bad range %s..%s step %s", from.Format(time.RFC3339), to.Format(time.RFC3339), step)
	}
	// Prometheus's own check, made here to say what to do about it.
	if n := int64(to.Sub(from) / step); n > MaxPoints {
		return nil, fmt.Errorf("prometheus: %s at step %s is more than %d points a series: use a longer step", to.Sub(from), step, MaxPoints)
	}
	base, err := url.Parse(strings.TrimSpace(p.URL))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("prometheus: bad URL %q: want http(s)://host:port", p.URL)
	}
	base = base.JoinPath("api", "v1", "query_range")
	base.RawQuery = url.Values{
		"query": {expr},
		// Rounded inwards to the millisecond, so every point returned
		// is within from..to and none is clipped off the chart.
		"start": {formatUnix(from.Add(time.Millisecond - 1))},
		"end":   {formatUnix(to)},
		"step":  {strconv.FormatFloat(step.Seconds(), 'f', -1, 64)},
		// Prometheus stops evaluating when the bot stops waiting, instead
		// of going on for its own two minutes.
		"timeout": {"20s"},
	}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("prometheus: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	client := p.HTTP
	if client == nil {
		client = defaultHTTP
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("prometheus: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("prometheus: read response: %w", err)
	}
	if len(body) > MaxResponseBytes {
		return nil, fmt.Errorf("prometheus: response larger than %d MB: narrow the query", MaxResponseBytes>>20)
	}
	return parseQueryRangeFor(resp.StatusCode, body, labels)
}

// formatUnix is a time as the API takes it: Unix seconds, to the
// millisecond Prometheus stores (the one at or before t).
func formatUnix(t time.Time) string {
	return strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', 3, 64)
}

// apiResponse is the envelope of every Prometheus API answer.
type apiResponse struct {
	Status    string `json:"status"`
	ErrorType string `json:"errorType"`
	Error     string `json:"error"`
	Data      struct {
		ResultType string        `json:"resultType"`
		Result     []queryResult `json:"result"`
	} `json:"data"`
}

// queryResult is one series of a matrix.
type queryResult struct {
	Metric map[string]string `json:"metric"`
	Values []samplePair      `json:"values"`
}

// samplePair is [<unix seconds>, "<value>"]: the value is a string so
// NaN and ±Inf survive JSON.
type samplePair struct {
	At    time.Time
	Value float64
}

func (s *samplePair) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	if len(raw) != 2 {
		return fmt.Errorf("sample has %d elements, want 2", len(raw))
	}
	var at float64
	if err := json.Unmarshal(raw[0], &at); err != nil {
		return fmt.Errorf("sample time: %w", err)
	}
	if math.IsNaN(at) || math.Abs(at) > 1e13 { // beyond year 300,000
		return fmt.Errorf("sample time %v out of range", at)
	}
	var v string
	if err := json.Unmarshal(raw[1], &v); err != nil {
		return fmt.Errorf("sample value: %w", err)
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return fmt.Errorf("sample value %q: %w", v, err)
	}
	s.At, s.Value = time.UnixMilli(int64(math.Round(at*1000))), f
	return nil
}

// parseQueryRange reads a query_range answer. Prometheus reports a bad
// query as a JSON error with a 4xx or 5xx status, so the body is read as
// JSON first, whatever the status, for its message.
func parseQueryRange(status int, body []byte) ([]Series, error) {
	return parseQueryRangeFor(status, body, nil)
}

// parseQueryRangeFor is parseQueryRange keeping first the series that
// agree with labels.
func parseQueryRangeFor(status int, body []byte, labels map[string]string) ([]Series, error) {
	var r apiResponse
	jsonErr := json.Unmarshal(body, &r)
	switch {
	case jsonErr == nil && r.Status == "error":
		return nil, fmt.Errorf("prometheus: %s: %s", r.ErrorType, r.Error)
	case status < 200 || status > 299:
		return nil, fmt.Errorf("prometheus: HTTP %d: %s", status, snippet(body))
	case jsonErr != nil:
		return nil, fmt.Errorf("prometheus: bad response: %w", jsonErr)
	case r.Status != "success":
		return nil, fmt.Errorf("prometheus: response status %q", r.Status)
	case r.Data.ResultType != "matrix":
		return nil, fmt.Errorf("prometheus: result type %q, want matrix", r.Data.ResultType)
	}
	result := r.Data.Result
	if len(labels) > 0 {
		slices.SortStableFunc(result, func(a, b queryResult) int {
			return cmpBool(agrees(b.Metric, labels), agrees(a.Metric, labels))
		})
	}
	if len(result) > MaxSeries {
		result = result[:MaxSeries]
	}
	out := make([]Series, 0, len(result))
	for _, res := range result {
		pts := make([]Point, len(res.Values))
		for i, v := range res.Values {
			pts[i] = Point(v)
		}
		out = append(out, Series{Name: seriesName(res.Metric), Points: pts})
	}
	return out, nil
}

// seriesName writes labels as PromQL does: name{k="v",...}, keys sorted,
// so the same series has the same name on every chart.
func seriesName(metric map[string]string) string {
	keys := make([]string, 0, len(metric))
	for k := range metric {
		if k != "__name__" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var b strings.Builder
	b.WriteString(metric["__name__"])
	if len(keys) == 0 && b.Len() > 0 {
		return b.String()
	}
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(strconv.Quote(metric[k]))
	}
	b.WriteByte('}')
	return b.String()
}

// snippet is the start of a body, for an error message.
func snippet(body []byte) string {
	body = bytes.TrimSpace(body)
	if len(body) > 200 {
		body = body[:200]
		for len(body) > 0 && !utf8.Valid(body) {
			body = body[:len(body)-1]
		}
		return string(body) + "…"
	}
	return string(body)
}

// PrometheusStep is the step for a graph of from..to: about 250 points,
// plenty for a picture 800 pixels wide, never under 15 s (a usual scrape
// interval: finer steps repeat samples), in whole seconds.
func PrometheusStep(from, to time.Time) time.Duration {
	const points, least = 250, 15 * time.Second
	step := to.Sub(from) / points
	step = (step + time.Second - 1).Truncate(time.Second) // round up
	return max(step, least)
}

// agrees says whether every label metric shares with labels has the
// same value in both (and they share one at least).
func agrees(metric, labels map[string]string) bool {
	shared := 0
	for k, v := range metric {
		if w, ok := labels[k]; ok && k != "__name__" {
			if w != v {
				return false
			}
			shared++
		}
	}
	return shared > 0
}

// cmpBool orders false before true.
func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
