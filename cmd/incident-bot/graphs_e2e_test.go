package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/alerts"
	"github.com/incident-bot/incident-bot/internal/testmoto"
	"github.com/incident-bot/incident-bot/internal/testprom"
)

// fakeCloudWatch answers GetMetricWidgetImage in Smithy RPC v2 CBOR (moto
// does not render images): with a PNG, or with an AWS error when deny is
// set. It keeps the widgets it was asked for.
type fakeCloudWatch struct {
	mu      sync.Mutex
	widgets []string
	deny    bool
}

func newFakeCloudWatch(t *testing.T) *fakeCloudWatch {
	f, url := serveFakeCloudWatch(t)
	testmoto.Use(t, url)
	return f
}

// serveFakeCloudWatch starts a fake CloudWatch and returns it and its URL,
// for a test that points CloudWatch alone at it
// (AWS_ENDPOINT_URL_CLOUDWATCH) and the rest of AWS at moto.
func serveFakeCloudWatch(t *testing.T) (*fakeCloudWatch, string) {
	f := &fakeCloudWatch{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		in, _ := cbor.Decode(body)
		m, _ := in.(cbor.Map)
		w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
		w.Header().Set("Content-Type", "application/cbor")
		f.mu.Lock()
		defer f.mu.Unlock()
		if !strings.HasSuffix(r.URL.Path, "/operation/GetMetricWidgetImage") {
			t.Errorf("fake CloudWatch: %s", r.URL.Path)
		}
		if s, ok := m["MetricWidget"].(cbor.String); ok {
			f.widgets = append(f.widgets, string(s))
		}
		if f.deny {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write(cbor.Encode(cbor.Map{"__type": cbor.String("AccessDenied"), "message": cbor.String("not authorized")}))
			return
		}
		_, _ = w.Write(cbor.Encode(cbor.Map{"MetricWidgetImage": cbor.Slice(tinyPNG(t))}))
	}))
	t.Cleanup(srv.Close)
	return f, srv.URL
}

func (f *fakeCloudWatch) asked() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.widgets...)
}

func tinyPNG(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{R: 255, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// receiveAlarm delivers the sample CloudWatch alarm (as SNS carries it)
// through a second process's alert router, as the SNS receiver would.
func receiveAlarm(t *testing.T, h *harness, state string) {
	t.Helper()
	raw, err := os.ReadFile("../../incidents/alerts/testdata/cloudwatch_alarm_message.json")
	if err != nil {
		t.Fatal(err)
	}
	msg := strings.Replace(string(raw), `"NewStateValue": "ALARM"`, `"NewStateValue": "`+state+`"`, 1)
	als, err := alerts.ParseSource("sns", asSNS(t, []byte(msg)), time.Now())
	if err != nil || len(als) != 1 {
		t.Fatalf("alarm: %v %v", als, err)
	}
	if err := newReplica(t, h).alerts.Receive(context.Background(), als); err != nil {
		t.Fatal(err)
	}
}

// graphReplies are the files shared in the thread of the opening message.
func graphReplies(h *harness, channel, thread string) []string {
	var out []string
	for _, m := range h.slack.Messages(channel) {
		if m.ThreadTS == thread && len(m.Files) > 0 {
			out = append(out, m.Text)
		}
	}
	return out
}

// A CloudWatch alarm opens an incident: its metric is drawn by
// GetMetricWidgetImage (the widget checked against the alarm) and
// uploaded into the thread of the opening message; Refresh graph draws
// it again; the alarm's recovery brings one more; a refused render is
// one line, and the incident goes on.
func TestAlarmGraphInThread(t *testing.T) {
	cw := newFakeCloudWatch(t)
	h := newHarness(t, "sqlite", nil)
	receiveAlarm(t, h, "ALARM")
	inc := h.onlyIncident(h.openStore(t))
	intro := h.messageContaining(inc.ChannelID, "Opened automatically")
	if !strings.Contains(string(intro.Blocks), "incident_refresh_graph") {
		t.Errorf("no Refresh graph button: %s", intro.Blocks)
	}
	h.eventually("the graph in the thread", func() bool { return len(graphReplies(h, inc.ChannelID, intro.TS)) == 1 })
	if got := graphReplies(h, inc.ChannelID, intro.TS)[0]; !strings.Contains(got, "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#alarmsV2:alarm/web-cpu-high") {
		t.Errorf("the graph's message has no console link: %q", got)
	}
	// Files v2's three steps (get the URL, send the bytes, complete it) and
	// nothing more: no files.info, no history read.
	for method, want := range map[string]int{"files.getUploadURLExternal": 1, "files.completeUploadExternal": 1, "files.info": 0, "conversations.replies": 0} {
		if n := h.slack.CallCount(method); n != want {
			t.Errorf("%s called %d times for one graph, want %d", method, n, want)
		}
	}
	var w struct {
		Metrics     [][]any `json:"metrics"`
		Region      string  `json:"region"`
		Start, End  string
		Annotations struct {
			Horizontal []struct{ Value float64 } `json:"horizontal"`
		} `json:"annotations"`
	}
	if err := json.Unmarshal([]byte(cw.asked()[0]), &w); err != nil {
		t.Fatal(err)
	}
	start, _ := time.Parse(time.RFC3339, w.Start)
	end, _ := time.Parse(time.RFC3339, w.End)
	if len(w.Metrics) != 1 || w.Metrics[0][0] != "AWS/ECS" || w.Metrics[0][1] != "CPUUtilization" || w.Metrics[0][3] != "prod" ||
		w.Region != "us-east-1" || end.Sub(start) != 3*time.Hour || len(w.Annotations.Horizontal) != 1 || w.Annotations.Horizontal[0].Value != 80 {
		t.Errorf("widget %s", cw.asked()[0])
	}
	for _, f := range h.slack.Files() {
		if f.Channel == inc.ChannelID && !bytes.Equal(f.Content, tinyPNG(t)) {
			t.Errorf("uploaded %s is not the rendered PNG", f.Name)
		}
	}

	h.send("interactive", h.slack.BlockAction(bob, inc.ChannelID, intro.TS, "incident_refresh_graph", inc.ID.String()))
	h.eventually("the refreshed graph", func() bool { return len(graphReplies(h, inc.ChannelID, intro.TS)) == 2 })
	receiveAlarm(t, h, "OK")
	h.eventually("the recovery's graph", func() bool { return len(graphReplies(h, inc.ChannelID, intro.TS)) == 3 })

	cw.mu.Lock()
	cw.deny = true
	cw.mu.Unlock()
	h.send("interactive", h.slack.BlockAction(bob, inc.ChannelID, intro.TS, "incident_refresh_graph", inc.ID.String()))
	line := h.messageContaining(inc.ChannelID, "graph unavailable: AccessDenied for cloudwatch:GetMetricWidgetImage")
	if line.ThreadTS != intro.TS {
		t.Errorf("the failure is not in the thread: %+v", line)
	}
	h.settled()
	if failed := count(t, h, inc, incidents.EventStepFailed); failed != 0 {
		t.Errorf("%d failed steps: a graph that cannot be drawn is not a failure", failed)
	}
}

func count(t *testing.T, h *harness, inc incidents.Incident, kind incidents.EventKind) int {
	t.Helper()
	tl, err := h.openStore(t).Timeline(context.Background(), inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range tl {
		if ev.Kind == kind {
			n++
		}
	}
	return n
}

// A Prometheus alert, with PROMETHEUS_URL set: its expression (from the
// generator URL) is queried from a real Prometheus scraping a known
// series, drawn, and uploaded into the thread of the opening message.
func TestPrometheusGraphInThread(t *testing.T) {
	var mu sync.Mutex
	value := "0.02"
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		_, _ = io.WriteString(w, "# TYPE checkout_error_ratio gauge\ncheckout_error_ratio "+value+"\n")
	}))
	t.Cleanup(target.Close)
	prom := testprom.Start(t, target.URL)
	h := newHarness(t, "sqlite", map[string]string{"ALERT_WEBHOOK_SECRET": testAlertSecret, "PROMETHEUS_URL": prom.URL})
	mu.Lock()
	value = "0.09"
	mu.Unlock()
	h.eventually("Prometheus scraped the series", func() bool { return promHas(prom.URL, "checkout_error_ratio > 0.05") })

	now := time.Now().UTC().Format(time.RFC3339)
	body := `{"version":"4","groupKey":"{}:{alertname=\"CheckoutErrors\"}","status":"firing","receiver":"bot",` +
		`"groupLabels":{"alertname":"CheckoutErrors"},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://am:9093",` +
		`"alerts":[{"status":"firing","labels":{"alertname":"CheckoutErrors","severity":"critical","service":"checkout"},` +
		`"annotations":{"summary":"Checkout error ratio above 5%"},"startsAt":"` + now + `","endsAt":"0001-01-01T00:00:00Z",` +
		`"generatorURL":"http://prometheus:9090/graph?g0.expr=checkout_error_ratio+%3E+0.05&g0.tab=1","fingerprint":"c0ffee"}]}`
	if code := h.postAlert("/alerts/alertmanager", body); code != 200 {
		t.Fatalf("alertmanager webhook: HTTP %d", code)
	}
	inc := h.onlyIncident(h.openStore(t))
	intro := h.messageContaining(inc.ChannelID, "Opened automatically")
	h.eventually("the graph in the thread", func() bool { return len(graphReplies(h, inc.ChannelID, intro.TS)) == 1 })
	for _, f := range h.slack.Files() {
		if f.Channel != inc.ChannelID {
			continue
		}
		img, err := png.Decode(bytes.NewReader(f.Content))
		if err != nil || img.Bounds().Dx() != 800 || img.Bounds().Dy() != 300 {
			t.Errorf("%s: %v, %v", f.Name, img.Bounds(), err)
		}
	}
}

// promHas says whether an instant query of expr returns a sample.
func promHas(base, expr string) bool {
	resp, err := http.Get(base + "/api/v1/query?query=" + url.QueryEscape(expr))
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var out struct {
		Data struct {
			Result []any `json:"result"`
		} `json:"data"`
	}
	return json.NewDecoder(resp.Body).Decode(&out) == nil && len(out.Data.Result) > 0
}
