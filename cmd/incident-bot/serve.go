package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
	"go.uber.org/zap"

	"github.com/incident-bot/incident-bot/bot"
	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/alerting"
	"github.com/incident-bot/incident-bot/incidents/postgres"
	"github.com/incident-bot/incident-bot/incidents/sqlite"
)

// Main is the wired-up `serve` process.
type Main struct {
	cfg      Config
	log      *zap.Logger
	store    incidents.Store
	svc      *incidents.Service
	inbox    *bot.Inbox
	outbox   *incidents.Dispatcher
	listener *bot.Listener
	cron     *cron.Cron
	timers   *incidents.Runner
	sched    *incidents.Scheduler
	digest   *bot.ReviewDigest
	alerts   *alerting.Router
	http     *http.Server
	httpLn   net.Listener
}

// openStore picks PostgreSQL when DATABASE_URL is set, else the embedded
// file store. Both apply their migrations on open.
func openStore(ctx context.Context, cfg Config) (incidents.Store, error) {
	if cfg.DatabaseURL != "" {
		return postgres.New(ctx, postgres.Options{URL: cfg.DatabaseURL})
	}
	return sqlite.New(ctx, sqlite.Options{Path: cfg.SQLitePath})
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
	work, stopWork := context.WithCancel(context.Background())
	defer stopWork()
	var running, inboxRunning sync.WaitGroup
	running.Go(func() { m.outbox.Run(work) })
	running.Go(func() { m.upkeep(work) })
	inboxCtx, stopInbox := context.WithCancel(context.Background())
	defer stopInbox()
	inboxRunning.Go(func() { m.inbox.Run(inboxCtx) })
	// Start-up (package initialisation, migrations, the playbook index)
	// leaves garbage the idle bot never needs again; hand it back now
	// rather than whenever the scavenger gets to it.
	go func() {
		time.Sleep(2 * time.Second)
		debug.FreeOSMemory()
	}()
	runErr := m.listener.Run(ctx)
	m.shutdown(func() { stopInbox(); inboxRunning.Wait() }, func() { stopWork(); running.Wait() })
	return runErr
}

// shutdown stops in order, each stage within its share of
// SHUTDOWN_TIMEOUT: no new envelopes are taken (the socket is closed) and
// the jobs in flight finish (a third); then timers and alert receivers
// stop adding work (to half way); then the outbox performs what is owed
// and due (the rest). The store is closed last, once every stage has
// returned — past the deadline a stage is told to stop, and is waited for
// a few seconds more, so nothing writes to a closed store. Whatever the
// timeout leaves owed stays in the store and is done at the next start
// (or at once by another replica).
func (m *Main) shutdown(stopInbox, stopWork func()) {
	m.log.Info("shutting down: finishing work in flight")
	start := time.Now()
	until := func(share float64) (context.Context, context.CancelFunc) {
		return context.WithDeadline(context.Background(), start.Add(time.Duration(share*float64(m.cfg.ShutdownTimeout))))
	}
	inboxCtx, cancelInbox := until(1.0 / 3)
	defer cancelInbox()
	inboxDone := within(inboxCtx, stopInbox)
	intakeCtx, cancelIntake := until(0.5)
	defer cancelIntake()
	cronDone := m.cron.Stop()
	m.timers.Stop(intakeCtx)
	select {
	case <-cronDone.Done():
	case <-intakeCtx.Done():
	}
	_ = m.http.Shutdown(intakeCtx)
	m.alerts.Stop(intakeCtx)
	workCtx, cancelWork := until(1)
	defer cancelWork()
	workDone := within(workCtx, stopWork)
	m.outbox.Drain(workCtx)
	if workCtx.Err() != nil {
		m.log.Warn("shutdown timed out; unfinished work stays owed and is done at the next start")
	}
	// Every stage was told to stop; let the last writes land before the
	// store goes, but never hang the exit.
	grace := time.NewTimer(5 * time.Second)
	defer grace.Stop()
	for _, done := range []<-chan struct{}{inboxDone, workDone} {
		select {
		case <-done:
		case <-grace.C:
			m.log.Warn("a stage did not stop in time; closing the store under it")
		}
	}
	if err := m.store.Close(); err != nil {
		m.log.Warn("close store", zap.Error(err))
	}
	m.log.Info("stopped")
}

// within runs stop, waiting for it no longer than ctx allows; the channel
// closes when stop has returned, however long that took.
func within(ctx context.Context, stop func()) <-chan struct{} {
	done := make(chan struct{})
	go func() { stop(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
	return done
}

// upkeep repairs incidents whose set-up is incomplete — at start-up,
// retrying steps that failed for good too (settings may have been fixed),
// then every few minutes the ones that lack steps — and prunes old work.
func (m *Main) upkeep(ctx context.Context) {
	retryFailed := true
	tick := time.NewTicker(5 * time.Minute)
	defer tick.Stop()
	for i := 0; ; i++ {
		if n, err := m.svc.RepairAll(ctx, retryFailed); err != nil && ctx.Err() == nil {
			m.log.Warn("repair of incomplete incidents had errors; the next round retries", zap.Error(err))
		} else if n > 0 {
			m.log.Info("repaired the set-up of incidents", zap.Int("incidents", n))
		}
		if i%288 == 0 { // daily: settled work older than a week
			if _, err := m.svc.PruneWork(ctx, 7*24*time.Hour); err != nil && ctx.Err() == nil {
				m.log.Warn("could not prune old work", zap.Error(err))
			}
		}
		retryFailed = false
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
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
