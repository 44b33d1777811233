package main

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // the container image has no zoneinfo

	"github.com/google/uuid"

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
	Paging             PagingConfig       // where pages go and how acknowledgements come back (pagingconfig.go)
	PrometheusURL      string             // PROMETHEUS_URL: where Prometheus alerts' graphs are queried; unset, none are drawn
	// Getenv reads the variables the targets file names (database URLs);
	// kept so the process environment is read in one place.
	Getenv func(string) string
	// Clock and NewID are the service's time and IDs: the real ones unless
	// a test drives them (never read from the environment).
	Clock incidents.Clock
	NewID func() uuid.UUID
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

// Part is a group of settings. Every command reads the settings once,
// with Load, and checks the parts it uses: `migrate` needs the store, not
// the Slack tokens.
type Part int

// The parts of Config.
const (
	PartSlack      Part = iota // tokens, API URL, channels, pacing
	PartStore                  // DATABASE_URL, SQLITE_PATH
	PartDisplay                // DISPLAY_TIMEZONE
	PartPostmortem             // POSTMORTEM_*
	PartPlaybooks              // PLAYBOOKS_DIR, the review digest
	PartServe                  // the rest of `serve`: HTTP, logs, workers, timers, alerts, actions
	partCount
)

// Problems are the settings that are wrong, by part.
type Problems [partCount][]error

// For is the problems of the given parts, joined (nil when none).
func (p *Problems) For(parts ...Part) error {
	var errs []error
	for _, part := range parts {
		errs = append(errs, p[part]...)
	}
	return errors.Join(errs...)
}

// settings reads one variable at a time and notes what is wrong.
type settings struct {
	getenv   func(string) string
	problems Problems
}

func (r *settings) env(k, def string) string {
	if v := strings.TrimSpace(r.getenv(k)); v != "" {
		return v
	}
	return def
}

func (r *settings) bad(part Part, format string, args ...any) {
	r.problems[part] = append(r.problems[part], fmt.Errorf(format, args...))
}

// list reads a comma-separated variable, refusing items ok rejects.
func (r *settings) list(part Part, k string, ok func(string) bool, want string) []string {
	var out []string
	for _, v := range strings.Split(r.getenv(k), ",") {
		if v = strings.TrimSpace(v); v == "" {
			continue
		} else if !ok(v) {
			r.bad(part, "%s must be %s, got %q", k, want, v)
		} else {
			out = append(out, v)
		}
	}
	return out
}

// Load reads every setting, once, for every command; each problem names
// its variable (never its value when it may be a secret).
func Load(getenv func(string) string) (Config, *Problems) {
	r := &settings{getenv: getenv}
	c := Config{Getenv: getenv}
	r.slack(&c)
	r.store(&c)
	r.display(&c)
	r.postmortem(&c)
	r.playbooks(&c)
	r.serve(&c)
	r.alerts(&c)
	r.paging(&c)
	return c, &r.problems
}

// LoadConfig is Load for `serve`, which needs every part.
func LoadConfig(getenv func(string) string) (Config, error) {
	c, p := Load(getenv)
	if c.AppToken == "" || c.BotToken == "" {
		return c, errMissingTokens
	}
	return c, p.For(PartSlack, PartStore, PartDisplay, PartPostmortem, PartPlaybooks, PartServe)
}

func (r *settings) slack(c *Config) {
	c.AppToken = strings.TrimSpace(r.getenv("SLACK_APP_TOKEN"))
	c.BotToken = strings.TrimSpace(r.getenv("SLACK_BOT_TOKEN"))
	c.SlackAPIURL = r.env("SLACK_API_URL", defaultSlackAPIURL)
	c.IncidentsChannel = r.env("INCIDENTS_CHANNEL", "")
	c.ChannelPrefix = r.env("INCIDENT_CHANNEL_PREFIX", defaultPrefix)
	if c.AppToken != "" && !strings.HasPrefix(c.AppToken, "xapp-") {
		r.bad(PartSlack, "SLACK_APP_TOKEN must be an app-level token starting with xapp- (Basic Information → App-Level Tokens, scope connections:write)")
	}
	if c.BotToken != "" && !strings.HasPrefix(c.BotToken, "xoxb-") {
		r.bad(PartSlack, "SLACK_BOT_TOKEN must be a bot token starting with xoxb- (OAuth & Permissions → Bot User OAuth Token)")
	}
	if !strings.HasPrefix(c.SlackAPIURL, "http://") && !strings.HasPrefix(c.SlackAPIURL, "https://") {
		r.bad(PartSlack, "SLACK_API_URL must be an http(s) URL, got %q", c.SlackAPIURL)
	}
	switch v := strings.ToLower(r.env("SLACK_PACING", "on")); v {
	case "on":
	case "off":
		c.NoSlackPacing = true
	default:
		r.bad(PartSlack, "SLACK_PACING must be on or off, got %q", v)
	}
}

func (r *settings) store(c *Config) {
	c.DatabaseURL = r.env("DATABASE_URL", "")
	c.SQLitePath = r.env("SQLITE_PATH", defaultSQLitePath)
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		r.bad(PartStore, "DATABASE_URL must be a postgres:// URL (unset it to use the embedded store at SQLITE_PATH)")
	}
}

func (r *settings) display(c *Config) {
	tz := r.env("DISPLAY_TIMEZONE", "UTC")
	loc, err := time.LoadLocation(tz)
	if err != nil {
		r.bad(PartDisplay, "DISPLAY_TIMEZONE must be an IANA time zone such as Europe/Berlin, got %q", tz)
		loc = time.UTC
	}
	c.Location = loc
}

func (r *settings) postmortem(c *Config) {
	c.KeyEmoji = strings.Trim(r.env("POSTMORTEM_KEY_EMOJI", "key"), ":")
	var err error
	if v := r.env("POSTMORTEM_ON_RESOLVE", "false"); v != "" {
		if c.AutoPostmortem, err = strconv.ParseBool(v); err != nil {
			r.bad(PartPostmortem, "POSTMORTEM_ON_RESOLVE must be true or false, got %q", v)
		}
	}
	if c.PostmortemGap, err = time.ParseDuration(r.env("POSTMORTEM_GAP", "20m")); err != nil || c.PostmortemGap < time.Minute {
		r.bad(PartPostmortem, "POSTMORTEM_GAP must be a duration of at least 1m such as 20m, got %q", r.getenv("POSTMORTEM_GAP"))
	}
}

func (r *settings) playbooks(c *Config) {
	c.PlaybooksDir = r.env("PLAYBOOKS_DIR", "")
	c.ReviewChannel = r.env("PLAYBOOK_REVIEW_CHANNEL", "")
	c.ReviewSchedule = r.env("PLAYBOOK_REVIEW_SCHEDULE", defaultReviewSchedule)
	if _, err := cron.ParseStandard(c.ReviewSchedule); err != nil {
		r.bad(PartPlaybooks, "PLAYBOOK_REVIEW_SCHEDULE must be a cron schedule such as \"0 9 * * 1-5\": %v", err)
	}
}

func (r *settings) serve(c *Config) {
	c.HTTPAddr = r.env("HTTP_ADDR", defaultHTTPAddr)
	c.LogFormat = strings.ToLower(r.env("LOG_FORMAT", "json"))
	c.TargetsFile = r.env("TARGETS_FILE", "")
	if err := c.LogLevel.UnmarshalText([]byte(r.env("LOG_LEVEL", "info"))); err != nil {
		r.bad(PartServe, "LOG_LEVEL must be debug, info, warn or error, got %q", r.getenv("LOG_LEVEL"))
	}
	if c.LogFormat != "json" && c.LogFormat != "console" {
		r.bad(PartServe, "LOG_FORMAT must be json or console, got %q", c.LogFormat)
	}
	var err error
	if c.Workers, err = strconv.Atoi(r.env("WORKERS", "8")); err != nil || c.Workers < 1 || c.Workers > 256 {
		r.bad(PartServe, "WORKERS must be a number from 1 to 256, got %q", r.getenv("WORKERS"))
	}
	if c.ShutdownTimeout, err = time.ParseDuration(r.env("SHUTDOWN_TIMEOUT", "30s")); err != nil || c.ShutdownTimeout <= 0 {
		r.bad(PartServe, "SHUTDOWN_TIMEOUT must be a duration such as 30s, got %q", r.getenv("SHUTDOWN_TIMEOUT"))
	}
	switch v := strings.ToLower(r.env("INCIDENT_CHANGES_BY", "involved")); v {
	case "involved":
	case "anyone":
		c.AnyoneMayChange = true
	default:
		r.bad(PartServe, "INCIDENT_CHANGES_BY must be involved (the commander, the reporter and approvers) or anyone, got %q", v)
	}
	if c.Timers, err = loadPolicy(r.getenv); err != nil {
		r.problems[PartServe] = append(r.problems[PartServe], err)
	}
}

func (r *settings) alerts(c *Config) {
	c.AlertTriageChannel = r.env("ALERT_TRIAGE_CHANNEL", c.IncidentsChannel)
	c.AlertChannels = r.list(PartServe, "ALERT_CHANNELS", func(ch string) bool {
		return (strings.HasPrefix(ch, "C") || strings.HasPrefix(ch, "G")) && !strings.ContainsAny(ch, "# ")
	}, "comma-separated channel IDs (C…, from the channel's details)")
	c.AlertServiceLabels = r.list(PartServe, "ALERT_SERVICE_LABELS", func(l string) bool { return !strings.ContainsAny(l, "= \t") },
		"comma-separated label names (such as team_service,component)")
	c.AlertSNSTopics = r.list(PartServe, "ALERT_SNS_TOPICS", func(t string) bool { return strings.HasPrefix(t, "arn:aws") && strings.Count(t, ":") == 5 },
		"comma-separated SNS topic ARNs (arn:aws:sns:REGION:ACCOUNT:NAME)")
	c.AlertSecret = strings.TrimSpace(r.getenv("ALERT_WEBHOOK_SECRET"))
	if c.AlertSecret != "" && len(c.AlertSecret) < 16 {
		r.bad(PartServe, "ALERT_WEBHOOK_SECRET must be at least 16 characters (it is the only thing between the internet and your incidents)")
	}
	var err error
	if c.AlertWindow, err = time.ParseDuration(r.env("ALERT_MERGE_WINDOW", "30m")); err != nil || c.AlertWindow <= 0 {
		r.bad(PartServe, "ALERT_MERGE_WINDOW must be a duration such as 30m, got %q", r.getenv("ALERT_MERGE_WINDOW"))
	}
	c.PrometheusURL = strings.TrimRight(strings.TrimSpace(r.getenv("PROMETHEUS_URL")), "/")
	if u, err := url.Parse(c.PrometheusURL); c.PrometheusURL != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
		r.bad(PartServe, "PROMETHEUS_URL must be Prometheus's base URL, such as http://prometheus:9090")
	}
	var sevOK bool
	if c.AlertSeverity, sevOK = incidents.ParseSeverity(r.env("ALERT_INCIDENT_SEVERITY", "sev2")); !sevOK {
		r.bad(PartServe, "ALERT_INCIDENT_SEVERITY must be sev1, sev2, sev3 or sev4, got %q", r.getenv("ALERT_INCIDENT_SEVERITY"))
	}
}

// StoreDescription names the store without its password, for logs.
func (c Config) StoreDescription() string {
	if c.DatabaseURL == "" {
		return "embedded SQLite at " + c.SQLitePath
	}
	return "PostgreSQL at " + redactURL(c.DatabaseURL)
}
