package alerts

import (
	"reflect"
	"testing"
	"time"
)

// A CloudWatch alarm's notification says what to draw: the metric with
// its dimensions in order, the statistic as the API spells it, period,
// threshold and comparison, the region from the alarm's ARN. An
// Alertmanager alert's expression comes from its generator URL. Both
// travel through an event's data unchanged.
func TestAlertGraphs(t *testing.T) {
	now := time.Date(2026, 1, 6, 10, 5, 0, 0, time.UTC)
	al, err := ParseSNSMessage("ALARM", string(fixture(t, "cloudwatch_alarm_message.json")), "arn:aws:sns:us-east-1:123456789012:ops-alerts", now)
	if err != nil {
		t.Fatal(err)
	}
	eighty := 80.0
	want := &Graph{Kind: "cloudwatch", Alarm: "web-cpu-high", Region: "us-east-1", Namespace: "AWS/ECS", Metric: "CPUUtilization",
		Dimensions: [][2]string{{"ClusterName", "prod"}, {"ServiceName", "web"}}, Stat: "Average", Period: 60, Threshold: &eighty,
		Comparison: "GreaterThanThreshold", State: "ALARM", At: al.At}
	if !reflect.DeepEqual(al.Graph, want) {
		t.Errorf("graph\n%+v\nwant\n%+v", al.Graph, want)
	}
	if back := DecodeGraph(al.Graph.Encode()); !reflect.DeepEqual(back, al.Graph) {
		t.Errorf("through JSON: %+v", back)
	}
	am, err := ParseAlertmanager(fixture(t, "alertmanager_webhook.json"), now)
	if err != nil || am[0].Graph == nil || am[0].Graph.Kind != "prometheus" || am[0].Graph.Expr != "probe_success == 0" {
		t.Fatalf("alertmanager graph %+v (%v)", am[0].Graph, err)
	}
	math := `{"AlarmName":"5xx-ratio","NewStateValue":"ALARM","AlarmArn":"arn:aws:cloudwatch:eu-west-2:1:alarm:5xx-ratio",` +
		`"Trigger":{"Metrics":[{"Id":"e1","Expression":"m1/m2"}],"Period":60}}`
	if al, err := ParseSNSMessage("", math, "", now); err != nil || al.Graph == nil || al.Graph.NotDrawable == "" {
		t.Errorf("metric math: %+v (%v)", al.Graph, err)
	}
	for _, bad := range []string{"", "{", `{"kind":"elsewhere"}`} {
		if DecodeGraph(bad) != nil {
			t.Errorf("DecodeGraph(%q) is not nil", bad)
		}
	}
}

// The expression of a Prometheus generator URL, or none.
func TestPromExpr(t *testing.T) {
	for url, want := range map[string]string{
		"http://prometheus:9090/graph?g0.expr=rate%28http_requests_total%7Bcode%3D~%225..%22%7D%5B5m%5D%29+%3E+0.05&g0.tab=1": `rate(http_requests_total{code=~"5.."}[5m]) > 0.05`,
		"https://prom.example/prometheus/graph?g0.tab=0&g0.expr=up+%3D%3D+0":                                                  "up == 0",
		"http://prometheus:9090/graph?g0.expr=%20up%20&g1.expr=other":                                                         "up",
		"":                                      "",
		"http://prometheus:9090/graph?g0.tab=1": "",
		"http://vmalert:8880/vmalert/alert?group_id=1&alert_id=2": "",
		"http://prometheus:9090/graph?g0.expr=":                   "",
		"http://[::1":                                             "",
	} {
		if got := promExpr(url); got != want {
			t.Errorf("promExpr(%q) = %q, want %q", url, got, want)
		}
	}
}
