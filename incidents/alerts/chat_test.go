package alerts

import (
	"strings"
	"testing"
	"time"
)

func TestFromChat(t *testing.T) {
	cases := []struct {
		name string
		m    ChatMessage
		st   Status
		sev  Severity
	}{
		{"chatbot alarm", ChatMessage{Channel: "C0ALERTS", Title: "CloudWatch Alarm | web-cpu-high | us-east-1 | Account: 123456789012",
			Text: "*State changed to ALARM*\nThreshold Crossed: 3 datapoints were greater than the threshold (80.0)", Color: "danger"}, Firing, Critical},
		{"chatbot ok", ChatMessage{Channel: "C0ALERTS", Title: "CloudWatch Alarm | web-cpu-high | us-east-1 | Account: 123456789012",
			Text: "State changed to OK", Color: "good"}, Resolved, Critical},
		{"uptime down", ChatMessage{Channel: "C0ALERTS", Text: "Monitor is DOWN: API health ( <https://api.example.org/health> ) - Reason: Connection Timeout"}, Firing, Critical},
		{"uptime up", ChatMessage{Channel: "C0ALERTS", Text: "Monitor is UP: API health ( <https://api.example.org/health> ). It was down for 12 minutes and 34 seconds."}, Resolved, Critical},
		{"warning", ChatMessage{Channel: "C0ALERTS", Text: "Warning: orders-db disk 85% full"}, Firing, Warning},
		{"unclear", ChatMessage{Channel: "C0ALERTS", Text: "nightly report ready"}, Firing, Warning},
	}
	fps := map[string]string{}
	for _, c := range cases {
		a, err := FromChat(c.m, now)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if a.Status != c.st || a.Severity != c.sev || a.Validate() != nil {
			t.Errorf("%s: %s %s, want %s %s", c.name, a.Status, a.Severity, c.st, c.sev)
		}
		fps[c.name] = a.Fingerprint
		if strings.ContainsAny(a.Title, "*<>") {
			t.Errorf("%s: markup left in %q", c.name, a.Title)
		}
	}
	if fps["chatbot alarm"] != fps["chatbot ok"] || fps["uptime down"] != fps["uptime up"] || fps["uptime down"] == fps["chatbot alarm"] {
		t.Errorf("fingerprints = %v: a condition and its recovery must share one, different conditions must not", fps)
	}
	a, _ := FromChat(cases[2].m, now)
	if len(a.Links) != 1 || a.Links[0] != "https://api.example.org/health" {
		t.Errorf("links = %q", a.Links)
	}
	if _, err := FromChat(ChatMessage{Channel: "C0ALERTS", Text: "  "}, now); err == nil {
		t.Error("an empty message became an alert")
	}
}

func FuzzFromChat(f *testing.F) {
	f.Add("CloudWatch Alarm | x", "*State changed to ALARM* <https://a|b>", "danger")
	f.Add("", "Monitor is UP: API ( <https://api.example.org> )", "")
	f.Add("DOWN\x00", "\xff <https://a/\x00|b>", "danger")
	f.Fuzz(func(t *testing.T, title, text, color string) {
		a, err := FromChat(ChatMessage{Channel: "C1", Title: title, Text: text, Color: color}, now)
		if err == nil {
			checkAlerts(t, []Alert{a})
		}
	})
}

// An AWS Chatbot recovery says "from ALARM to OK" in green: it resolves,
// although the title says "CloudWatch Alarm".
func TestChatAlarmToOKResolves(t *testing.T) {
	a, err := FromChat(ChatMessage{Channel: "C1", Title: "CloudWatch Alarm | api-5xx | us-east-1",
		Text: "State changed from ALARM to OK at 2026-12-01 03:10 UTC", Color: "good"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != Resolved {
		t.Errorf("status = %s, want resolved", a.Status)
	}
}

// Underscores inside names survive; only _emphasis_ loses them.
func TestChatKeepsUnderscoresInNames(t *testing.T) {
	a, err := FromChat(ChatMessage{Channel: "C1", Text: ":rotating_light: AWS_EC2_INSTANCE_STOP_SCHEDULED for i-0abc is _scheduled_"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{":rotating_light:", "AWS_EC2_INSTANCE_STOP_SCHEDULED", "is scheduled"} {
		if !strings.Contains(a.Text, want) {
			t.Errorf("text %q lost %q", a.Text, want)
		}
	}
}
