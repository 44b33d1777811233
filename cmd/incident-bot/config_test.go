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
		c.LogFormat != "json" || c.LogLevel.String() != "info" || c.DatabaseURL != "" {
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
