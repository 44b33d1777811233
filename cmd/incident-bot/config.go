package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // the container image has no zoneinfo

	"github.com/robfig/cron/v3"
	"go.uber.org/zap/zapcore"

	"github.com/incident-bot/incident-bot/incidents"
)

// Config is every setting of `serve`, read from the environment. README
// documents each variable and its default; keep them in step.
type Config struct {
	AppToken           string // SLACK_APP_TOKEN, xapp-…
	BotToken           string // SLACK_BOT_TOKEN, xoxb-…
	SlackAPIURL        string // SLACK_API_URL
	DatabaseURL        string // DATABASE_URL: postgres:// selects PostgreSQL
	SQLitePath         string // SQLITE_PATH: the embedded store when DATABASE_URL is unset
	HTTPAddr           string // HTTP_ADDR
	IncidentsChannel   string // INCIDENTS_CHANNEL
	ChannelPrefix      string // INCIDENT_CHANNEL_PREFIX
	LogLevel           zapcore.Level
	LogFormat          string // LOG_FORMAT: json or console
	Location           *time.Location
	Workers            int                // WORKERS
	ShutdownTimeout    time.Duration      // SHUTDOWN_TIMEOUT
	PlaybooksDir       string             // PLAYBOOKS_DIR: team playbooks over the built-in ones
	ReviewChannel      string             // PLAYBOOK_REVIEW_CHANNEL: where overdue playbooks are listed
	ReviewSchedule     string             // PLAYBOOK_REVIEW_SCHEDULE: cron spec in DISPLAY_TIMEZONE
	Timers             incidents.Policy   // update reminders and escalation (timerconfig.go)
	TargetsFile        string             // TARGETS_FILE: what actions act on; unset, actions are off
	AutoPostmortem     bool               // POSTMORTEM_ON_RESOLVE
	KeyEmoji           string             // POSTMORTEM_KEY_EMOJI
	PostmortemGap      time.Duration      // POSTMORTEM_GAP: silences longer than this are marked in the draft
	AlertSecret        string             // ALERT_WEBHOOK_SECRET: shared secret of the non-SNS alert receivers
	AlertSNSTopics     []string           // ALERT_SNS_TOPICS: the SNS topic ARNs accepted (empty: any, signed)
	AlertWindow        time.Duration      // ALERT_MERGE_WINDOW: same-runbook alerts join one incident within this
	AlertSeverity      incidents.Severity // ALERT_INCIDENT_SEVERITY: severity of incidents opened from alerts
	AlertTriageChannel string             // ALERT_TRIAGE_CHANNEL: where warning alerts ask for triage (default INCIDENTS_CHANNEL)
	AlertChannels      []string           // ALERT_CHANNELS: channel IDs whose integration messages are alerts
	AlertServiceLabels []string           // ALERT_SERVICE_LABELS: extra labels naming the service an alert is about
	AnyoneMayChange    bool               // INCIDENT_CHANGES_BY=anyone: anyone may hand over, re-grade or resolve any incident
	NoSlackPacing      bool               // SLACK_PACING=off: only Slack's 429s hold calls back
	// Getenv reads the variables the targets file names (database URLs);
	// kept so the process environment is read in one place.
	Getenv func(string) string
}

// Defaults, as documented in README.
const (
	defaultSlackAPIURL = "https://slack.com/api/"
	defaultSQLitePath  = "incident-bot.db"
	defaultHTTPAddr    = ":8080"
	defaultPrefix      = "inc"
	// defaultReviewSchedule: every day at 09:00 in DISPLAY_TIMEZONE.
	defaultReviewSchedule = "0 9 * * *"
	manifestHint          = "create the Slack app from deploy/slack/manifest.yaml (README, \"Install the Slack app\")"
)

// errMissingTokens is returned when the Slack tokens are not set, naming
// both and where to get them.
var errMissingTokens = errors.New("SLACK_APP_TOKEN (xapp-…) and SLACK_BOT_TOKEN (xoxb-…) must be set: " + manifestHint)

// LoadConfig reads and validates the settings. Every problem is reported at
// once, each naming its variable.
func LoadConfig(getenv func(string) string) (Config, error) {
	env := func(k, def string) string {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
		return def
	}
	c := Config{
		AppToken:         strings.TrimSpace(getenv("SLACK_APP_TOKEN")),
		BotToken:         strings.TrimSpace(getenv("SLACK_BOT_TOKEN")),
		SlackAPIURL:      env("SLACK_API_URL", defaultSlackAPIURL),
		DatabaseURL:      env("DATABASE_URL", ""),
		SQLitePath:       env("SQLITE_PATH", defaultSQLitePath),
		HTTPAddr:         env("HTTP_ADDR", defaultHTTPAddr),
		IncidentsChannel: env("INCIDENTS_CHANNEL", ""),
		ChannelPrefix:    env("INCIDENT_CHANNEL_PREFIX", defaultPrefix),
		LogFormat:        strings.ToLower(env("LOG_FORMAT", "json")),
		PlaybooksDir:     env("PLAYBOOKS_DIR", ""),
		ReviewChannel:    env("PLAYBOOK_REVIEW_CHANNEL", ""),
		ReviewSchedule:   env("PLAYBOOK_REVIEW_SCHEDULE", defaultReviewSchedule),
		TargetsFile:      env("TARGETS_FILE", ""),
		KeyEmoji:         strings.Trim(env("POSTMORTEM_KEY_EMOJI", "key"), ":"),
		Getenv:           getenv,
	}
	if c.AppToken == "" || c.BotToken == "" {
		return c, errMissingTokens
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !strings.HasPrefix(c.AppToken, "xapp-") {
		bad("SLACK_APP_TOKEN must be an app-level token starting with xapp- (Basic Information → App-Level Tokens, scope connections:write)")
	}
	if !strings.HasPrefix(c.BotToken, "xoxb-") {
		bad("SLACK_BOT_TOKEN must be a bot token starting with xoxb- (OAuth & Permissions → Bot User OAuth Token)")
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		bad("DATABASE_URL must be a postgres:// URL (unset it to use the embedded store at SQLITE_PATH)")
	}
	if !strings.HasPrefix(c.SlackAPIURL, "http://") && !strings.HasPrefix(c.SlackAPIURL, "https://") {
		bad("SLACK_API_URL must be an http(s) URL, got %q", c.SlackAPIURL)
	}
	if err := c.LogLevel.UnmarshalText([]byte(env("LOG_LEVEL", "info"))); err != nil {
		bad("LOG_LEVEL must be debug, info, warn or error, got %q", getenv("LOG_LEVEL"))
	}
	if c.LogFormat != "json" && c.LogFormat != "console" {
		bad("LOG_FORMAT must be json or console, got %q", c.LogFormat)
	}
	tz := env("DISPLAY_TIMEZONE", "UTC")
	loc, err := time.LoadLocation(tz)
	if err != nil {
		bad("DISPLAY_TIMEZONE must be an IANA time zone such as Europe/Berlin, got %q", tz)
	}
	c.Location = loc
	if c.Workers, err = strconv.Atoi(env("WORKERS", "8")); err != nil || c.Workers < 1 || c.Workers > 256 {
		bad("WORKERS must be a number from 1 to 256, got %q", getenv("WORKERS"))
	}
	if c.ShutdownTimeout, err = time.ParseDuration(env("SHUTDOWN_TIMEOUT", "30s")); err != nil || c.ShutdownTimeout <= 0 {
		bad("SHUTDOWN_TIMEOUT must be a duration such as 30s, got %q", getenv("SHUTDOWN_TIMEOUT"))
	}
	if v := env("POSTMORTEM_ON_RESOLVE", "false"); v != "" {
		if c.AutoPostmortem, err = strconv.ParseBool(v); err != nil {
			bad("POSTMORTEM_ON_RESOLVE must be true or false, got %q", v)
		}
	}
	if c.PostmortemGap, err = time.ParseDuration(env("POSTMORTEM_GAP", "20m")); err != nil || c.PostmortemGap < time.Minute {
		bad("POSTMORTEM_GAP must be a duration of at least 1m such as 20m, got %q", getenv("POSTMORTEM_GAP"))
	}
	c.AlertTriageChannel = env("ALERT_TRIAGE_CHANNEL", c.IncidentsChannel)
	for _, ch := range strings.Split(getenv("ALERT_CHANNELS"), ",") {
		if ch = strings.TrimSpace(ch); ch == "" {
			continue
		} else if !strings.HasPrefix(ch, "C") && !strings.HasPrefix(ch, "G") || strings.ContainsAny(ch, "# ") {
			bad("ALERT_CHANNELS must be comma-separated channel IDs (C…, from the channel's details), got %q", ch)
		} else {
			c.AlertChannels = append(c.AlertChannels, ch)
		}
	}
	for _, l := range strings.Split(getenv("ALERT_SERVICE_LABELS"), ",") {
		if l = strings.TrimSpace(l); l == "" {
			continue
		} else if strings.ContainsAny(l, "= \t") {
			bad("ALERT_SERVICE_LABELS must be comma-separated label names (such as team_service,component), got %q", l)
		} else {
			c.AlertServiceLabels = append(c.AlertServiceLabels, l)
		}
	}
	c.AlertSecret = strings.TrimSpace(getenv("ALERT_WEBHOOK_SECRET"))
	if c.AlertSecret != "" && len(c.AlertSecret) < 16 {
		bad("ALERT_WEBHOOK_SECRET must be at least 16 characters (it is the only thing between the internet and your incidents)")
	}
	for _, t := range strings.Split(getenv("ALERT_SNS_TOPICS"), ",") {
		if t = strings.TrimSpace(t); t == "" {
			continue
		} else if !strings.HasPrefix(t, "arn:aws") || strings.Count(t, ":") != 5 {
			bad("ALERT_SNS_TOPICS must be comma-separated SNS topic ARNs (arn:aws:sns:REGION:ACCOUNT:NAME), got %q", t)
		} else {
			c.AlertSNSTopics = append(c.AlertSNSTopics, t)
		}
	}
	if c.AlertWindow, err = time.ParseDuration(env("ALERT_MERGE_WINDOW", "30m")); err != nil || c.AlertWindow <= 0 {
		bad("ALERT_MERGE_WINDOW must be a duration such as 30m, got %q", getenv("ALERT_MERGE_WINDOW"))
	}
	var sevOK bool
	if c.AlertSeverity, sevOK = incidents.ParseSeverity(env("ALERT_INCIDENT_SEVERITY", "sev2")); !sevOK {
		bad("ALERT_INCIDENT_SEVERITY must be sev1, sev2, sev3 or sev4, got %q", getenv("ALERT_INCIDENT_SEVERITY"))
	}
	switch v := strings.ToLower(env("SLACK_PACING", "on")); v {
	case "on":
	case "off":
		c.NoSlackPacing = true
	default:
		bad("SLACK_PACING must be on or off, got %q", v)
	}
	switch v := strings.ToLower(env("INCIDENT_CHANGES_BY", "involved")); v {
	case "involved":
	case "anyone":
		c.AnyoneMayChange = true
	default:
		bad("INCIDENT_CHANGES_BY must be involved (the commander, the reporter and approvers) or anyone, got %q", v)
	}
	if c.Timers, err = loadPolicy(getenv); err != nil {
		errs = append(errs, err)
	}
	if _, err := cron.ParseStandard(c.ReviewSchedule); err != nil {
		bad("PLAYBOOK_REVIEW_SCHEDULE must be a cron schedule such as \"0 9 * * 1-5\": %v", err)
	}
	return c, errors.Join(errs...)
}

// StoreDescription names the store without its password, for logs.
func (c Config) StoreDescription() string {
	if c.DatabaseURL == "" {
		return "embedded SQLite at " + c.SQLitePath
	}
	return "PostgreSQL at " + redactURL(c.DatabaseURL)
}
