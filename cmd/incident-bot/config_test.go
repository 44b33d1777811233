package main

import (
	"strings"
	"testing"
	"time"
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
