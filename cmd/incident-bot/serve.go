package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/robfig/cron/v3"
	"go.uber.org/zap"

	"github.com/incident-bot/incident-bot/alerts"
	"github.com/incident-bot/incident-bot/bot"
	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/postgres"
	"github.com/incident-bot/incident-bot/incidents/sqlite"
	"github.com/incident-bot/incident-bot/playbooks"
)

// Main is the wired-up `serve` process.
type Main struct {
	cfg      Config
	log      *zap.Logger
	store    incidents.Store
	pool     *bot.Pool
	listener *bot.Listener
	cron     *cron.Cron
	timers   *incidents.Runner
	sched    *incidents.Scheduler
	digest   *bot.ReviewDigest
	http     *http.Server
	httpLn   net.Listener
	alerts   *bot.AlertRouter
}

// openStore picks PostgreSQL when DATABASE_URL is set, else the embedded
// file store. Both apply their migrations on open.
func openStore(ctx context.Context, cfg Config) (incidents.Store, error) {
	if cfg.DatabaseURL != "" {
		return postgres.New(ctx, postgres.Options{URL: cfg.DatabaseURL})
	}
	return sqlite.New(ctx, sqlite.Options{Path: cfg.SQLitePath})
}

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
	store, err := openStore(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open store (%s): %w", cfg.StoreDescription(), err)
	}
	m.store = store
	exec, err := loadExecutor(cfg, store)
	if err != nil {
		return nil, fmt.Errorf("TARGETS_FILE: %w", err)
	}
	svc, err := incidents.NewService(incidents.ServiceOptions{Store: store, Policy: cfg.Timers})
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := bot.NewMetrics(reg)
	client, hc := bot.NewClient(bot.ClientOptions{
		BotToken: cfg.BotToken, AppToken: cfg.AppToken, APIURL: cfg.SlackAPIURL, Metrics: metrics,
	})
	auth, err := client.AuthTestContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("check SLACK_BOT_TOKEN with auth.test: %s", bot.DescribeSlackError(bot.SlackErrorCode(err)))
	}
	app, err := bot.NewApp(bot.AppOptions{
		Service: svc, API: client, HTTP: hc, Logger: log, Metrics: metrics,
		IncidentsChannel: cfg.IncidentsChannel, ChannelPrefix: cfg.ChannelPrefix, Location: cfg.Location,
		BotUserID: auth.UserID, Catalog: catalog, Executor: exec,
		KeyEmoji: cfg.KeyEmoji, PostmortemGap: cfg.PostmortemGap, AutoPostmortem: cfg.AutoPostmortem,
	})
	if err != nil {
		return nil, err
	}
	// Recover: a panic in a scheduled job is logged, not fatal.
	m.cron = cron.New(cron.WithLocation(cfg.Location), cron.WithChain(cron.Recover(cronLogger{log})))
	sched, err := incidents.NewScheduler(svc, app, log.Named("timers"))
	if err != nil {
		return nil, err
	}
	m.sched = sched
	if m.timers, err = incidents.NewRunner(m.cron, sched, nil, log.Named("timers")); err != nil {
		return nil, err
	}
	m.digest = app.NewReviewDigest(cfg.ReviewChannel)
	if _, err := m.cron.AddFunc(cfg.ReviewSchedule, func() {
		jctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := m.digest.Run(jctx, time.Now()); err != nil {
			log.Warn("playbook review digest failed", zap.Error(err))
		}
	}); err != nil {
		return nil, fmt.Errorf("PLAYBOOK_REVIEW_SCHEDULE: %w", err)
	}
	m.pool = bot.NewPool(cfg.Workers, 4096, 2*time.Minute, metrics, log)
	if m.listener, err = bot.NewListener(bot.ListenerOptions{
		Client: client, App: app, Pool: m.pool, Logger: log, Metrics: metrics,
	}); err != nil {
		return nil, err
	}
	m.httpLn, err = net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return nil, fmt.Errorf("listen on HTTP_ADDR %s: %w", cfg.HTTPAddr, err)
	}
	mux := opsHandler(reg, m.ready)
	m.alerts = app.NewAlertRouter(bot.AlertOptions{Window: cfg.AlertWindow, Severity: cfg.AlertSeverity, TriageChannel: cfg.AlertTriageChannel})
	app.ReadAlertChannels(m.alerts, cfg.AlertChannels)
	receiver := &alerts.Receiver{Sink: m.alerts, Secret: cfg.AlertSecret, Topics: cfg.AlertSNSTopics, Log: log.Named("alerts")}
	receiver.Register(mux)
	// Bounded so a slow sender cannot hold connections open.
	m.http = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second}
	return m, nil
}

// HTTPAddr is the address the ops server really listens on (tests use :0).
func (m *Main) HTTPAddr() string { return m.httpLn.Addr().String() }

// ready is /readyz: the socket is connected and the store answers.
func (m *Main) ready(ctx context.Context) error {
	if !m.listener.Connected() {
		return errors.New("slack socket not connected")
	}
	if err := m.store.Ping(ctx); err != nil {
		return errors.New("store unreachable")
	}
	return nil
}

// Run serves until ctx ends, then shuts down in order: stop taking
// envelopes, finish the work in flight, close the store. A Slack refusal
// of the app token ends Run with an error.
func (m *Main) Run(ctx context.Context) error {
	go func() {
		if err := m.http.Serve(m.httpLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.log.Error("ops HTTP server stopped", zap.Error(err))
		}
	}()
	m.log.Info("incident-bot serving", zap.String("store", m.cfg.StoreDescription()), zap.String("http_addr", m.HTTPAddr()),
		zap.String("slack_api", redactURL(m.cfg.SlackAPIURL)))
	if m.cfg.DatabaseURL == "" {
		m.log.Info("embedded store: run a single replica; set DATABASE_URL to share PostgreSQL between replicas")
	}
	m.cron.Start()
	m.timers.Start()
	alertsCtx, stopAlerts := context.WithCancel(context.Background())
	defer stopAlerts()
	alertsDone := make(chan struct{})
	go func() {
		defer close(alertsDone)
		m.alerts.Run(alertsCtx)
	}()
	// Start-up (package initialisation, migrations, the playbook index)
	// leaves garbage the idle bot never needs again; hand it back now
	// rather than whenever the scavenger gets to it.
	go func() {
		time.Sleep(2 * time.Second)
		debug.FreeOSMemory()
	}()
	runErr := m.listener.Run(ctx)
	m.log.Info("shutting down: finishing work in flight")
	sctx, cancel := context.WithTimeout(context.Background(), m.cfg.ShutdownTimeout)
	defer cancel()
	// Cron first, so no new sweep or digest starts; then the timers,
	// whose sweep in flight gives up; only then is the store closed.
	cronDone := m.cron.Stop()
	m.timers.Stop(sctx)
	select {
	case <-cronDone.Done():
	case <-sctx.Done():
	}
	if err := m.pool.Shutdown(sctx); err != nil {
		m.log.Warn("shutdown", zap.Error(err))
	}
	// No alert arrives after the HTTP server stops; then the router
	// finishes setting up the incidents alerts opened, so none is left
	// without a channel.
	_ = m.http.Shutdown(sctx)
	stopAlerts()
	select {
	case <-alertsDone:
	case <-sctx.Done():
	}
	if err := m.store.Close(); err != nil {
		m.log.Warn("close store", zap.Error(err))
	}
	m.log.Info("stopped")
	return runErr
}

// Close releases what NewMain opened when Run is never called.
func (m *Main) Close() {
	if m.httpLn != nil {
		_ = m.httpLn.Close()
	}
	if m.store != nil {
		_ = m.store.Close()
	}
}

// redactURL drops credentials and query parameters (which may carry a
// password) from a URL before it is logged.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparseable URL)"
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	u.RawQuery = ""
	return u.String()
}

// cronLogger lets robfig/cron log through zap.
type cronLogger struct{ log *zap.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug(msg, zap.Any("details", kv)) }

func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error(msg, zap.Error(err), zap.Any("details", kv))
}
