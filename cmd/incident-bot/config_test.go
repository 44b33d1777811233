package main

import (
	"strings"
	"testing"
	"time"

	"github.com/incident-bot/incident-bot/incidents"
)

func TestLoadConfigDefaults(t *testing.T) {
	env := map[string]string{"SLACK_APP_TOKEN": testAppToken, "SLACK_BOT_TOKEN": testBotToken}
	c, err := LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.SlackAPIURL != "https://slack.com/api/" || c.SQLitePath != "incident-bot.db" || c.HTTPAddr != ":8080" ||
		c.ChannelPrefix != "inc" || c.Location != time.UTC || c.Workers != 8 || c.ShutdownTimeout != 30*time.Second ||
		c.LogFormat != "json" || c.LogLevel.String() != "info" || c.DatabaseURL != "" || c.PostmortemGap != 20*time.Minute {
		t.Fatalf("defaults = %+v", c)
	}
	if !strings.HasPrefix(c.StoreDescription(), "embedded SQLite") {
		t.Fatalf("store = %s", c.StoreDescription())
	}
}

func TestStoreDescriptionHidesPassword(t *testing.T) {
	c := Config{DatabaseURL: "postgres://bot:hunter2@db.internal:5432/incidents?sslmode=require&password=hunter2"}
	got := c.StoreDescription()
	if strings.Contains(got, "hunter2") || !strings.Contains(got, "bot@db.internal:5432/incidents") {
		t.Fatalf("StoreDescription() = %q", got)
	}
}

func TestLoadConfigPostmortemGap(t *testing.T) {
	for v, want := range map[string]string{"45m": "", "soon": "POSTMORTEM_GAP must be", "10s": "POSTMORTEM_GAP must be"} {
		env := map[string]string{"SLACK_APP_TOKEN": testAppToken, "SLACK_BOT_TOKEN": testBotToken, "POSTMORTEM_GAP": v}
		c, err := LoadConfig(func(k string) string { return env[k] })
		switch {
		case want == "" && (err != nil || c.PostmortemGap != 45*time.Minute):
			t.Errorf("%s: gap %v, err %v", v, c.PostmortemGap, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), v)):
			t.Errorf("%s: err %v, want %q naming the value", v, err, want)
		}
	}
}

func TestLoadConfigAlerts(t *testing.T) {
	base := map[string]string{"SLACK_APP_TOKEN": testAppToken, "SLACK_BOT_TOKEN": testBotToken, "INCIDENTS_CHANNEL": "C0INCIDENTS"}
	load := func(extra map[string]string) (Config, error) {
		return LoadConfig(func(k string) string {
			if v, ok := extra[k]; ok {
				return v
			}
			return base[k]
		})
	}
	c, err := load(nil)
	if err != nil || c.AlertWindow != 30*time.Minute || c.AlertSeverity != incidents.Sev2 || c.AlertTriageChannel != "C0INCIDENTS" || c.AlertSecret != "" {
		t.Fatalf("defaults: %+v, %v", c, err)
	}
	c, err = load(map[string]string{"ALERT_SNS_TOPICS": "arn:aws:sns:us-east-1:123456789012:ops, arn:aws:sns:eu-west-1:123456789012:db", "ALERT_INCIDENT_SEVERITY": "sev1"})
	if err != nil || len(c.AlertSNSTopics) != 2 || c.AlertSeverity != incidents.Sev1 {
		t.Fatalf("topics: %+v, %v", c.AlertSNSTopics, err)
	}
	c, err = load(map[string]string{"ALERT_SERVICE_LABELS": " team_service, component ,"})
	if err != nil || strings.Join(c.AlertServiceLabels, "|") != "team_service|component" {
		t.Fatalf("service labels: %q, %v", c.AlertServiceLabels, err)
	}
	for k, v := range map[string]string{"ALERT_WEBHOOK_SECRET": "short", "ALERT_SNS_TOPICS": "ops-alerts", "ALERT_MERGE_WINDOW": "soon", "ALERT_INCIDENT_SEVERITY": "sev9",
		"ALERT_SERVICE_LABELS": "service=api"} {
		if _, err := load(map[string]string{k: v}); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%s: %v", k, v, err)
		}
	}
}
