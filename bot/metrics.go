package bot

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the bot's Prometheus collectors. They are registered on the
// registerer passed to NewMetrics (no global registry), so tests can build
// as many bots as they like.
type Metrics struct {
	Envelopes     *prometheus.CounterVec   // socket-mode envelopes by type
	Duplicates    prometheus.Counter       // redelivered envelopes that were not run again
	AckLatency    prometheus.Histogram     // envelope received → ack queued
	Connected     prometheus.Gauge         // 1 while the socket is connected
	Reconnects    prometheus.Counter       // socket connections after the first
	SlackCalls    *prometheus.CounterVec   // Web API calls by method and outcome
	SlackLatency  *prometheus.HistogramVec // Web API call duration by method
	QueueDepth    prometheus.Gauge         // jobs waiting for a worker
	JobsRejected  prometheus.Counter       // jobs left in the store for later because the queue was full
	JobPanics     prometheus.Counter       // jobs that panicked (a bug; the bot carries on)
	Declared      *prometheus.CounterVec   // incidents declared by severity
	CommandErrors *prometheus.CounterVec   // commands that failed, by domain error code
	Jobs          *prometheus.CounterVec   // jobs run, by kind and outcome
	RateLimited   *prometheus.CounterVec   // HTTP 429s from Slack, by method
}

// NewMetrics creates the collectors and registers them on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Envelopes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "incidentbot_socket_envelopes_total", Help: "Socket-mode envelopes received, by type.",
		}, []string{"type"}),
		Duplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "incidentbot_socket_duplicate_envelopes_total", Help: "Redelivered envelopes acknowledged but not run again.",
		}),
		AckLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "incidentbot_socket_ack_seconds",
			Help:    "Time from receiving an envelope to queueing its acknowledgement.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .05, .25, 1},
		}),
		Connected: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "incidentbot_socket_connected", Help: "1 while the socket-mode connection is up.",
		}),
		Reconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "incidentbot_socket_reconnects_total", Help: "Socket-mode reconnections.",
		}),
		SlackCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "incidentbot_slack_api_calls_total", Help: "Slack Web API calls, by method and Slack's answer: ok, its error code (ok:false), http_<status>, or request_failed.",
		}, []string{"method", "outcome"}),
		SlackLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "incidentbot_slack_api_seconds", Help: "Slack Web API call duration.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method"}),
		QueueDepth: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "incidentbot_worker_queue_depth", Help: "Jobs waiting for a worker.",
		}),
		JobsRejected: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "incidentbot_worker_jobs_rejected_total", Help: "Jobs left in the store for later because the worker queue was full.",
		}),
		JobPanics: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "incidentbot_worker_job_panics_total", Help: "Jobs that panicked; each is a bug, logged with its stack.",
		}),
		Declared: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "incidentbot_incidents_declared_total", Help: "Incidents declared, by severity.",
		}, []string{"severity"}),
		CommandErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "incidentbot_command_errors_total", Help: "Commands that failed, by error code.",
		}, []string{"code"}),
	}
	m.Jobs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "incidentbot_jobs_total", Help: "Jobs (accepted requests) run, by kind and outcome (done, retry, failed).",
	}, []string{"kind", "outcome"})
	m.RateLimited = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "incidentbot_slack_rate_limited_total", Help: "HTTP 429 answers from Slack, by method.",
	}, []string{"method"})
	reg.MustRegister(m.Jobs, m.RateLimited)
	reg.MustRegister(m.Envelopes, m.Duplicates, m.AckLatency, m.Connected, m.Reconnects,
		m.SlackCalls, m.SlackLatency, m.QueueDepth, m.JobsRejected, m.JobPanics, m.Declared, m.CommandErrors)
	return m
}
