package alerts

import (
	"os"
	"testing"
	"time"
)

func TestService(t *testing.T) {
	for _, tc := range []struct {
		labels map[string]string
		extra  []string
		want   string
	}{
		{map[string]string{"service": "payments", "job": "api"}, nil, "service=payments"},
		{map[string]string{"job": "node", "instance": "10.0.0.1:9100"}, nil, "job=node"},
		{map[string]string{"namespace": "prod", "app": "api"}, nil, "namespace=prod app=api"},
		{map[string]string{"ClusterName": "prod", "ServiceName": "api", "metric": "AWS/ECS/CPUUtilization"}, nil, "ClusterName=prod ServiceName=api"},
		{map[string]string{"LoadBalancer": "app/web/123"}, nil, "LoadBalancer=app/web/123"},
		{map[string]string{"alertname": "NodeNotReady"}, nil, ""},
		{map[string]string{"team_service": "billing", "service": "x"}, []string{"team_service"}, "team_service=billing"},
		{map[string]string{"service": "  "}, nil, ""},
	} {
		if got := (Alert{Labels: tc.labels}).Service(tc.extra); got != tc.want {
			t.Errorf("Service(%v, %v) = %q, want %q", tc.labels, tc.extra, got, tc.want)
		}
	}
}

// The real parsers give each source's alerts a service: the CloudWatch
// alarm's dimensions, the Uptime Robot monitor, the AWS Health event's
// resources, Alertmanager's labels and its groupKey as the group.
func TestParsersGiveServiceAndGroup(t *testing.T) {
	now := time.Date(2026, 1, 6, 10, 0, 0, 0, time.UTC)
	raw, err := os.ReadFile("testdata/alertmanager_webhook.json")
	if err != nil {
		t.Fatal(err)
	}
	am, err := ParseAlertmanager(raw, now)
	if err != nil {
		t.Fatal(err)
	}
	if am[0].Group != `{}/{severity="critical"}:{alertname="ProbeFailure"}` {
		t.Errorf("Alertmanager group = %q", am[0].Group)
	}
	ur, err := ParseUptimeRobot([]byte(`{"monitorID":"777","monitorFriendlyName":"Shop","alertType":"1"}`), now)
	if err != nil {
		t.Fatal(err)
	}
	if got := ur.Service(nil); got != "monitor_id=777" {
		t.Errorf("Uptime Robot service = %q", got)
	}
	long := Alert{Source: SourceWebhook, Title: "x", Group: string(make([]byte, 2000))}
	long.normalise(now)
	if len(long.Group) > maxLabel {
		t.Errorf("a long group is kept at %d bytes", len(long.Group))
	}
}
