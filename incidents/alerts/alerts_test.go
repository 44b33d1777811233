package alerts

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 1, 6, 11, 0, 0, 0, time.UTC)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAlertmanagerFixture(t *testing.T) {
	got, err := ParseAlertmanager(fixture(t, "alertmanager_webhook.json"), now)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d alerts, want 2", len(got))
	}
	fire, res := got[0], got[1]
	if fire.Status != Firing || fire.Severity != Critical || fire.Fingerprint != "alertmanager:1a30ba71cca2921f" ||
		fire.Title != "BlackBox probe failure (https://api.example.org/health)" ||
		fire.Text != "https://api.example.org/health has been down for over 5m." ||
		!fire.At.Equal(time.Date(2026, 1, 6, 10, 1, 45, 828e6, time.UTC)) || fire.Labels["job"] != "http_checks" ||
		len(fire.Links) != 1 || !strings.HasPrefix(fire.Links[0], "http://prometheus.example.org:9090/graph") {
		t.Errorf("firing = %+v", fire)
	}
	if res.Status != Resolved || res.Fingerprint != "alertmanager:7be2c40a1f9e3d11" || !res.At.Equal(time.Date(2026, 1, 6, 9, 58, 15, 0, time.UTC)) {
		t.Errorf("resolved = %+v", res)
	}
	for _, a := range got {
		if err := a.Validate(); err != nil {
			t.Error(err)
		}
	}
}

func TestUptimeRobotFixtures(t *testing.T) {
	down, err := ParseUptimeRobot(fixture(t, "uptimerobot_webhook.json"), now)
	if err != nil {
		t.Fatal(err)
	}
	if down.Status != Firing || down.Severity != Critical || down.Fingerprint != "uptimerobot:798123456" ||
		down.Title != "API health is down" || down.Text != "Connection Timeout" || down.At.Unix() != 1767693852 ||
		down.Labels["url"] != "https://api.example.org/health" || down.Links[0] != "https://api.example.org/health" {
		t.Errorf("down = %+v", down)
	}
	up, err := ParseUptimeRobot(fixture(t, "uptimerobot_webhook_up.json"), now)
	if err != nil {
		t.Fatal(err)
	}
	if up.Status != Resolved || up.Fingerprint != down.Fingerprint || up.Text != "OK; down for 12 minutes, 34 seconds" {
		t.Errorf("up = %+v", up)
	}
}

func TestCloudWatchAlarmInSNS(t *testing.T) {
	var env struct{ Subject, Message, TopicArn string }
	if err := json.Unmarshal(fixture(t, "sns_cloudwatch_alarm.json"), &env); err != nil {
		t.Fatal(err)
	}
	a, err := ParseSNSMessage(env.Subject, env.Message, env.TopicArn, now)
	if err != nil {
		t.Fatal(err)
	}
	if a.Source != SourceCloudWatch || a.Status != Firing || a.Severity != Critical ||
		a.Fingerprint != "cloudwatch:arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-cpu-high" ||
		a.Title != "web-cpu-high: ECS service web CPU > 80% for 3 minutes" || !strings.HasPrefix(a.Text, "Threshold Crossed") ||
		a.Labels["ServiceName"] != "web" || a.Labels["ClusterName"] != "prod" || a.Labels["metric"] != "CPUUtilization" || a.Labels["namespace"] != "AWS/ECS" ||
		!a.At.Equal(time.Date(2026, 1, 6, 10, 4, 12, 407e6, time.UTC)) ||
		a.Links[0] != "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#alarmsV2:alarm/web-cpu-high" {
		t.Errorf("alarm = %+v", a)
	}
	ok := strings.Replace(env.Message, `"NewStateValue":"ALARM"`, `"NewStateValue":"OK"`, 1)
	r, err := ParseSNSMessage("OK: web-cpu-high", ok, env.TopicArn, now)
	if err != nil || r.Status != Resolved || r.Fingerprint != a.Fingerprint || r.Title != "web-cpu-high is back to OK" {
		t.Errorf("OK = %+v, %v", r, err)
	}
	insufficient := strings.Replace(env.Message, `"NewStateValue":"ALARM"`, `"NewStateValue":"INSUFFICIENT_DATA"`, 1)
	if w, err := ParseSNSMessage("", insufficient, env.TopicArn, now); err != nil || w.Severity != Warning || w.Status != Firing {
		t.Errorf("INSUFFICIENT_DATA = %+v, %v", w, err)
	}
	warn := strings.Replace(env.Message, `"AlarmName":"web-cpu-high"`, `"AlarmName":"warning-web-cpu"`, 1)
	if w, err := ParseSNSMessage("", warn, env.TopicArn, now); err != nil || w.Severity != Warning {
		t.Errorf("warning alarm = %+v, %v", w, err)
	}
	bad := strings.Replace(env.Message, `"NewStateValue":"ALARM"`, `"NewStateValue":"MAYBE"`, 1)
	if _, err := ParseSNSMessage("", bad, env.TopicArn, now); err == nil || !strings.Contains(err.Error(), "MAYBE") {
		t.Errorf("bad state: %v", err)
	}
}

// The instance-retirement notice that once went to an unwatched mailbox
// becomes a warning to triage, naming the instance.
func TestAWSHealthRetirement(t *testing.T) {
	a, err := ParseSNSMessage("", string(fixture(t, "aws_health_retirement.json")), "arn:aws:sns:us-east-1:123456789012:health", now)
	if err != nil {
		t.Fatal(err)
	}
	if a.Source != SourceAWSHealth || a.Status != Firing || a.Severity != Warning ||
		a.Title != "AWS Health: EC2 INSTANCE RETIREMENT SCHEDULED (i-0abcd1234ef567890)" ||
		!strings.Contains(a.Text, "will be retired on 2026-01-20") || a.Labels["aws_service"] != "EC2" ||
		!strings.HasPrefix(a.Fingerprint, "aws-health:arn:aws:health:us-east-1::event/EC2/") {
		t.Errorf("health = %+v", a)
	}
	issue := strings.Replace(string(fixture(t, "aws_health_retirement.json")), `"scheduledChange"`, `"issue"`, 1)
	if c, err := ParseSNSMessage("", issue, "", now); err != nil || c.Severity != Critical {
		t.Errorf("issue = %+v, %v", c, err)
	}
	closed := strings.Replace(string(fixture(t, "aws_health_retirement.json")), `"upcoming"`, `"closed"`, 1)
	if c, err := ParseSNSMessage("", closed, "", now); err != nil || c.Status != Resolved {
		t.Errorf("closed = %+v, %v", c, err)
	}
}

// Anything else published to the topic is kept as a warning, not lost.
func TestOtherSNSMessage(t *testing.T) {
	a, err := ParseSNSMessage("Backup failed", "nightly pg_dump of orders failed: disk full", "arn:aws:sns:eu-west-1:1:ops", now)
	if err != nil || a.Source != SourceSNS || a.Severity != Warning || a.Title != "Backup failed" || a.At != now {
		t.Errorf("%+v, %v", a, err)
	}
	b, _ := ParseSNSMessage("Backup failed", "another text", "arn:aws:sns:eu-west-1:1:ops", now)
	if b.Fingerprint != a.Fingerprint {
		t.Error("same topic and subject should share a fingerprint")
	}
}

func TestWebhook(t *testing.T) {
	got, err := ParseWebhook([]byte(`{"title":"Queue backlog","text":"orders queue 50k","severity":"critical","fingerprint":"orders-backlog",
		"labels":{"service":"orders"},"links":["https://grafana.example.org/d/1","javascript:alert(1)","https://a><!channel><https://b"],"time":"2026-01-06T10:00:00Z"}`), now)
	if err != nil {
		t.Fatal(err)
	}
	a := got[0]
	if a.Fingerprint != "webhook:orders-backlog" || a.Severity != Critical || a.Status != Firing || len(a.Links) != 1 || a.Labels["service"] != "orders" ||
		!a.At.Equal(time.Date(2026, 1, 6, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("%+v", a)
	}
	list, err := ParseWebhook([]byte(`[{"title":"a","severity":"warning","labels":{"x":"1"}},{"title":"a","severity":"warning","status":"resolved","labels":{"x":"1"}}]`), now)
	if err != nil || len(list) != 2 || list[0].Fingerprint != list[1].Fingerprint || list[1].Status != Resolved {
		t.Errorf("%+v, %v", list, err)
	}
}

// Each malformed body gets an error that names its problem.
func TestMalformed(t *testing.T) {
	for _, c := range []struct {
		name, body, want string
		parse            func([]byte, time.Time) error
	}{
		{"am empty", ``, "empty", am},
		{"am bad json", `{"version":"4",`, "invalid JSON", am},
		{"am version", `{"version":"3","alerts":[{}]}`, `version "3"`, am},
		{"am no alerts", `{"version":"4","alerts":[]}`, `"alerts" is empty`, am},
		{"am status", `{"version":"4","alerts":[{"status":"maybe","labels":{"a":"b"}}]}`, `alerts[0]: status`, am},
		{"am labels type", `{"version":"4","alerts":[{"status":"firing","labels":"x"}]}`, `"alerts.labels"`, am},
		{"am two values", `{"version":"4"} {}`, "more than one value", am},
		{"ur template", string(fixture(t, "uptimerobot_webhook_template.json")), `"monitorID"`, ur},
		{"ur type", `{"monitorID":1,"alertType":"9"}`, `"alertType"`, ur},
		{"hook no title", `{"severity":"critical"}`, `"title" is required`, hook},
		{"hook severity", `{"title":"x","severity":"bad"}`, `"severity" must be`, hook},
		{"hook status", `{"title":"x","severity":"warning","status":"bad"}`, `"status" must be`, hook},
		{"hook array item", `[{"title":"x","severity":"warning"},{"severity":"warning"}]`, `alert 1: "title"`, hook},
		{"sns empty", ``, `"Message" is empty`, snsMsg},
		{"health no arn", `{"source":"aws.health","detail":{}}`, `"detail.eventArn"`, snsMsg},
	} {
		err := c.parse([]byte(c.body), now)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to mention %s", c.name, err, c.want)
		}
	}
}

func am(b []byte, now time.Time) error   { _, err := ParseAlertmanager(b, now); return err }
func ur(b []byte, now time.Time) error   { _, err := ParseUptimeRobot(b, now); return err }
func hook(b []byte, now time.Time) error { _, err := ParseWebhook(b, now); return err }
func snsMsg(b []byte, now time.Time) error {
	_, err := ParseSNSMessage("", string(b), "", now)
	return err
}

// Bounds: a huge title is cut, labels are capped.
func TestBounds(t *testing.T) {
	labels := map[string]string{}
	for i := range 200 {
		labels[strings.Repeat("k", i%5+1)+string(rune('a'+i%26))+string(rune('a'+i/26))] = "v"
	}
	body, _ := json.Marshal(map[string]any{"title": strings.Repeat("é", 1000), "severity": "warning", "labels": labels})
	got, err := ParseWebhook(body, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(got[0].Title) > maxTitle+len("…") || len(got[0].Labels) != maxLabels || !strings.HasSuffix(got[0].Title, "…") {
		t.Errorf("title %d bytes, %d labels", len(got[0].Title), len(got[0].Labels))
	}
}

// An RDS event subscription's notice is read for what it says, not as
// raw JSON.
func TestRDSEventNotification(t *testing.T) {
	msg := `{"Event Source":"db-instance","Event Time":"2026-12-01 03:10:00.123","Identifier Link":"https://console.aws.amazon.com/rds/home?region=eu-west-2#dbinstance:id=prod-db","Source ID":"prod-db","Source ARN":"arn:aws:rds:eu-west-2:1:db:prod-db","Event ID":"http://docs.amazonwebservices.com/AmazonRDS/latest/UserGuide/USER_Events.html#RDS-EVENT-0089","Event Message":"The free storage capacity for DB Instance: prod-db is low at 2% of the provisioned storage"}`
	a, err := ParseSNSMessage("RDS Notification Message", msg, "arn:aws:sns:eu-west-2:1:rds", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if a.Title != "RDS db-instance prod-db: The free storage capacity for DB Instance: prod-db is low at 2% of the provisioned storage" ||
		a.Labels["rds_event"] != "RDS-EVENT-0089" || a.Labels["DBInstanceIdentifier"] != "prod-db" || a.Severity != Warning || a.Status != Firing {
		t.Errorf("alert = %+v", a)
	}
}
