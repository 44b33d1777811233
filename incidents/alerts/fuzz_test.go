package alerts

import "testing"

// Whatever a sender posts, parsers return alerts that validate, or an
// error; they never panic.
func checkAlerts(t *testing.T, as []Alert) {
	t.Helper()
	for _, a := range as {
		if err := a.Validate(); err != nil {
			t.Fatalf("parsed alert does not validate: %v (%+v)", err, a)
		}
		if a.Fingerprint == "" || a.At.IsZero() || len(a.Title) > maxTitle+len("…") || len(a.Text) > maxText+len("…") || len(a.Links) > maxLinks {
			t.Fatalf("unbounded or incomplete alert: %+v", a)
		}
		for _, f := range stringFields(a) {
			if unstorable(f) {
				t.Fatalf("field %q holds NUL or invalid UTF-8, which the store refuses: %+v", f, a)
			}
		}
	}
}

func FuzzAlertmanager(f *testing.F) {
	f.Add(fixture(f, "alertmanager_webhook.json"))
	f.Add([]byte(`{"version":"4","alerts":[{"status":"firing","labels":{"a":"b"}}]}`))
	f.Add([]byte(`{"version":"4","alerts":[{"status":"firing","labels":{"a\u0000":"b\u0000` + "\xff" + `"}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		as, err := ParseAlertmanager(b, now)
		if err == nil {
			checkAlerts(t, as)
		}
	})
}

func FuzzUptimeRobot(f *testing.F) {
	f.Add(fixture(f, "uptimerobot_webhook.json"))
	f.Add(fixture(f, "uptimerobot_webhook_up.json"))
	f.Add([]byte(`{"monitorID":7,"alertType":3,"sslExpiryDate":"x"}`))
	f.Add([]byte(`{"monitorID":"7\u0000","alertType":1,"alertDetails":"` + "\xff" + `"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ParseUptimeRobot(b, now)
		if err == nil {
			checkAlerts(t, []Alert{a})
		}
	})
}

func FuzzWebhook(f *testing.F) {
	f.Add([]byte(`{"title":"Queue backlog","severity":"critical","labels":{"s":"o"},"links":["https://x"]}`))
	f.Add([]byte(`[{"text":"a\nb","severity":"warning","status":"resolved"}]`))
	f.Add([]byte(`{"title":"a\u0000","severity":"warning","fingerprint":"\u0000","links":["https://x/\u0000"]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		as, err := ParseWebhook(b, now)
		if err == nil {
			checkAlerts(t, as)
		}
	})
}

func FuzzSNSMessage(f *testing.F) {
	f.Add("ALARM", string(fixture(f, "cloudwatch_alarm_message.json")))
	f.Add("", string(fixture(f, "aws_health_retirement.json")))
	f.Add("", string(fixture(f, "eventbridge_ec2_state_change_stopped.json")))
	f.Add("", `{"source":"aws.guardduty","detail-type":"GuardDuty Finding","detail":{"severity":8,"type":"x","n":{"a":"b"}}}`)
	f.Add("", `{"source":"s","detail-type":"d","detail":[1,2]}`)
	f.Add("subject", "plain text")
	f.Add("sub\x00ject", "plain\xff text\x00")
	f.Fuzz(func(t *testing.T, subject, msg string) {
		a, err := ParseSNSMessage(subject, msg, "arn:aws:sns:us-east-1:1:t", now)
		if err == nil {
			checkAlerts(t, []Alert{a})
		}
	})
}

// FuzzSource drives every source through ParseSource, as `playbooks match
// --source` and the evaluation do; the chat reader included.
func FuzzSource(f *testing.F) {
	f.Add("chat", []byte(`{"type":"message","subtype":"bot_message","bot_id":"B1","username":"AWS Chatbot","attachments":[{"title":"CloudWatch Alarm | x","text":"State changed from ALARM to OK","color":"good"}],"ts":"1764607082.896469"}`))
	f.Add("chat", []byte(`{"type":"message","user":"U1","text":"hello"}`))
	f.Add("sns", fixture(f, "sns_cloudwatch_alarm.json"))
	f.Add("webhook", []byte(`{"title":"x"}`))
	f.Fuzz(func(t *testing.T, source string, body []byte) {
		als, err := ParseSource(source, body, now)
		if err == nil {
			checkAlerts(t, als)
		}
	})
}
