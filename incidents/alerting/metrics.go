package alerting

import "github.com/prometheus/client_golang/prometheus"

// Metrics count what alerts did. A nil *Metrics counts nothing.
type Metrics struct {
	Opened  *prometheus.CounterVec // incidents opened by alerts, by source
	Joined  *prometheus.CounterVec // alerts that joined an open incident, by source
	Notices prometheus.Counter     // notices owed to incident channels
}

// NewMetrics makes the counters; register them with Collectors.
func NewMetrics() *Metrics {
	return &Metrics{
		Opened: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "incidentbot_alert_incidents_opened_total", Help: "Incidents opened by alerts, by alert source.",
		}, []string{"source"}),
		Joined: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "incidentbot_alert_incidents_joined_total", Help: "Critical alerts that joined an open incident instead of opening one, by alert source.",
		}, []string{"source"}),
		Notices: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "incidentbot_alert_notices_queued_total", Help: "Alert notices owed to incident channels (posted by the outbox).",
		}),
	}
}

// Collectors are the metrics to register.
func (m *Metrics) Collectors() []prometheus.Collector {
	return []prometheus.Collector{m.Opened, m.Joined, m.Notices}
}

func (m *Metrics) opened(source string) {
	if m != nil {
		m.Opened.WithLabelValues(source).Inc()
	}
}

func (m *Metrics) joined(source string) {
	if m != nil {
		m.Joined.WithLabelValues(source).Inc()
	}
}

func (m *Metrics) noticesQueued(n int) {
	if m != nil && n > 0 {
		m.Notices.Add(float64(n))
	}
}
