package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/robfig/cron/v3"
	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/incident-bot/incident-bot/bot"
	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/alerting"
	"github.com/incident-bot/incident-bot/incidents/alerts"
	"github.com/incident-bot/incident-bot/incidents/paging"
	"github.com/incident-bot/incident-bot/incidents/postmortem"
	"github.com/incident-bot/incident-bot/playbooks"
	awsactions "github.com/incident-bot/incident-bot/playbooks/actions/aws"
)

// NewMain wires every part. Nothing is listening yet.
func NewMain(ctx context.Context, cfg Config, log *zap.Logger) (_ *Main, err error) {
	m := &Main{cfg: cfg, log: log}
	defer func() {
		if err != nil {
			m.Close()
		}
	}()
	catalog, err := playbooks.Load(cfg.PlaybooksDir)
	if err != nil {
		return nil, fmt.Errorf("load playbooks (fix these, or check them offline with `incident-bot playbooks check`):\n%w", err)
	}
	if m.store, err = openStore(ctx, cfg); err != nil {
		return nil, fmt.Errorf("open store (%s): %w", cfg.StoreDescription(), err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), backlogCollector{m.store})
	metrics := bot.NewMetrics(reg)
	alertMetrics := alerting.NewMetrics()
	reg.MustRegister(alertMetrics.Collectors()...)
	client, hc := bot.NewClient(bot.ClientOptions{
		BotToken: cfg.BotToken, AppToken: cfg.AppToken, APIURL: cfg.SlackAPIURL, Metrics: metrics, NoPacing: cfg.NoSlackPacing,
	})
	auth, err := client.AuthTestContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("check SLACK_BOT_TOKEN with auth.test: %s", bot.DescribeSlackError(bot.SlackErrorCode(err)))
	}
	app, err := m.domain(cfg, catalog, client, hc, auth.UserID, metrics, alertMetrics)
	if err != nil {
		return nil, err
	}
	if err := m.schedule(app); err != nil {
		return nil, err
	}
	if m.inbox, err = bot.NewInbox(bot.InboxOptions{Store: m.store, App: app, Logger: log.Named("inbox"), Metrics: metrics, Workers: cfg.Workers}); err != nil {
		return nil, err
	}
	if m.listener, err = bot.NewListener(bot.ListenerOptions{Client: client, App: app, Inbox: m.inbox, Logger: log, Metrics: metrics}); err != nil {
		return nil, err
	}
	return m, m.serveHTTP(reg, app)
}

// domain builds the service, the Slack side (app) and the outbox that
// joins them.
func (m *Main) domain(cfg Config, catalog *playbooks.Catalog, client *slack.Client, hc *http.Client, botUser string, metrics *bot.Metrics, alertMetrics *alerting.Metrics) (*bot.App, error) {
	clients := awsactions.NewClients(awsactions.Options{})
	exec, err := loadExecutor(cfg, m.store, clients)
	if err != nil {
		return nil, fmt.Errorf("TARGETS_FILE: %w", err)
	}
	var changes postmortem.Changes // nil without a targets file: nothing says where to read
	if exec != nil {
		changes = cloudTrailChanges{clients: clients, targets: exec.Targets()}
	}
	m.svc, err = incidents.NewService(incidents.ServiceOptions{Store: m.store, Clock: cfg.Clock, NewID: cfg.NewID, Policy: cfg.Timers,
		BotUser: botUser, AnyoneMayChange: cfg.AnyoneMayChange})
	if err != nil {
		return nil, err
	}
	transcript, err := m.newTranscript(cfg)
	if err != nil {
		return nil, err
	}
	app, err := bot.NewApp(bot.AppOptions{
		Service: m.svc, API: client, HTTP: hc, Logger: m.log, Metrics: metrics,
		IncidentsChannel: cfg.IncidentsChannel, ChannelPrefix: cfg.ChannelPrefix, Location: cfg.Location,
		BotUserID: botUser, Catalog: catalog, Executor: exec,
		KeyEmoji: cfg.KeyEmoji, PostmortemGap: cfg.PostmortemGap, AutoPostmortem: cfg.AutoPostmortem, Changes: changes,
		Transcript: transcript, Graphs: newGrapher(cfg, clients),
	})
	if err != nil {
		return nil, err
	}
	pager := paging.NewSender(paging.Options{PagerDutyURL: cfg.Paging.EventsURL, Getenv: cfg.Getenv, WebhookToken: cfg.Paging.WebhookToken})
	perform := outboxPerformer{slack: app, pager: pager, getenv: cfg.Getenv}
	if m.outbox, err = incidents.NewDispatcher(incidents.DispatcherOptions{Service: m.svc, Perform: perform, Log: m.log.Named("outbox"), Workers: cfg.Workers}); err != nil {
		return nil, err
	}
	m.svc.OnEffects(m.outbox.Wake)
	m.alerts, err = alerting.New(alerting.Options{
		Service: m.svc, Match: runbookMatcher{catalog}, Window: cfg.AlertWindow, Severity: cfg.AlertSeverity, BotUser: botUser,
		Cards: cfg.AlertTriageChannel != "", ServiceLabels: cfg.AlertServiceLabels, Location: cfg.Location,
		Log: m.store, Logger: m.log.Named("alerts"), Metrics: alertMetrics,
	})
	if err != nil {
		return nil, err
	}
	app.UseAlerts(m.alerts, cfg.AlertTriageChannel, cfg.AlertChannels)
	return app, nil
}

// runbookMatcher names the playbook an alert matches (alerting.Matcher).
type runbookMatcher struct{ catalog *playbooks.Catalog }

func (m runbookMatcher) Runbook(al alerts.Alert) (string, bool) {
	if m.catalog == nil {
		return "", false
	}
	q := playbooks.Query{Text: al.MatchText(), Labels: al.Labels, Critical: al.Severity == alerts.Critical}
	best, ok := m.catalog.Match(q, 1).Best()
	if !ok {
		return "", false
	}
	return best.Playbook.ID, true
}

// schedule sets up the cron: the timers' sweep and the playbook digest.
func (m *Main) schedule(app *bot.App) error {
	// Recover: a panic in a scheduled job is logged, not fatal.
	m.cron = cron.New(cron.WithLocation(m.cfg.Location), cron.WithChain(cron.Recover(cronLogger{m.log})))
	var err error
	if m.sched, err = incidents.NewScheduler(m.svc, m.log.Named("timers")); err != nil {
		return err
	}
	if m.timers, err = incidents.NewRunner(m.cron, m.sched, m.cfg.Clock, m.log.Named("timers")); err != nil {
		return err
	}
	m.digest = app.NewReviewDigest(m.cfg.ReviewChannel)
	if _, err := m.cron.AddFunc(m.cfg.ReviewSchedule, func() {
		jctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := m.digest.Run(jctx, time.Now()); err != nil {
			m.log.Warn("playbook review digest failed", zap.Error(err))
		}
	}); err != nil {
		return fmt.Errorf("PLAYBOOK_REVIEW_SCHEDULE: %w", err)
	}
	return nil
}

// serveHTTP listens on HTTP_ADDR for the ops endpoints and the alert
// receivers.
func (m *Main) serveHTTP(reg *prometheus.Registry, app *bot.App) error {
	var err error
	if m.httpLn, err = net.Listen("tcp", m.cfg.HTTPAddr); err != nil {
		return fmt.Errorf("listen on HTTP_ADDR %s: %w", m.cfg.HTTPAddr, err)
	}
	mux := opsHandler(reg, m.ready)
	cfg := m.cfg
	receiverMetrics := alerts.NewReceiverMetrics()
	reg.MustRegister(receiverMetrics.Collectors()...)
	receiver := &alerts.Receiver{Sink: m.alerts, Metrics: receiverMetrics, Secret: cfg.AlertSecret, Topics: cfg.AlertSNSTopics, Log: m.log.Named("alerts")}
	receiver.Register(mux)
	mux.Handle("POST /pagerduty/webhook", pagerDutyWebhook{svc: m.svc, secrets: cfg.Paging.WebhookSecrets, log: m.log.Named("paging")})
	// Bounded so a slow sender cannot hold connections open.
	m.http = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second}
	return nil
}

// backlogCollector reports the work owed on each scrape: what an
// operator alerts on when Slack or the store stops taking it.
type backlogCollector struct {
	store interface {
		Backlog(ctx context.Context) (incidents.Backlog, error)
	}
}

var (
	owedDesc   = prometheus.NewDesc("incidentbot_work_owed", "Work owed: accepted requests not yet done (inbox), Slack effects not yet performed (outbox), effects failed for good and waiting for a repair (failed).", []string{"queue"}, nil)
	oldestDesc = prometheus.NewDesc("incidentbot_outbox_oldest_seconds", "Age of the oldest Slack effect not yet performed; 0 when none.", nil, nil)
)

func (c backlogCollector) Describe(ch chan<- *prometheus.Desc) { ch <- owedDesc; ch <- oldestDesc }

func (c backlogCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	b, err := c.store.Backlog(ctx)
	if err != nil {
		return // the store is away: /readyz says so
	}
	ch <- prometheus.MustNewConstMetric(owedDesc, prometheus.GaugeValue, float64(b.Jobs), "inbox")
	ch <- prometheus.MustNewConstMetric(owedDesc, prometheus.GaugeValue, float64(b.Effects), "outbox")
	ch <- prometheus.MustNewConstMetric(owedDesc, prometheus.GaugeValue, float64(b.Failed), "failed")
	age := 0.0
	if !b.Oldest.IsZero() {
		age = time.Since(b.Oldest).Seconds()
	}
	ch <- prometheus.MustNewConstMetric(oldestDesc, prometheus.GaugeValue, age)
}
