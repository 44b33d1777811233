package alerts

import (
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// ReceiverMetrics count alerts received and requests refused. A nil
// *ReceiverMetrics counts nothing.
type ReceiverMetrics struct {
	Received *prometheus.CounterVec // alerts stored, by source, status and severity
	Rejected *prometheus.CounterVec // requests refused, by reason and HTTP status
}

// NewReceiverMetrics makes the counters; register them with Collectors.
func NewReceiverMetrics() *ReceiverMetrics {
	return &ReceiverMetrics{
		Received: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "incidentbot_alerts_received_total", Help: "Alerts received and stored, by source, status and severity.",
		}, []string{"source", "status", "severity"}),
		Rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "incidentbot_alerts_rejected_total", Help: "Alert requests refused, by reason and HTTP status.",
		}, []string{"reason", "code"}),
	}
}

// Collectors are the metrics to register.
func (m *ReceiverMetrics) Collectors() []prometheus.Collector {
	return []prometheus.Collector{m.Received, m.Rejected}
}

func (m *ReceiverMetrics) received(a Alert) {
	if m != nil {
		m.Received.WithLabelValues(a.Source, string(a.Status), string(a.Severity)).Inc()
	}
}

func (m *ReceiverMetrics) rejected(reason string, code int) {
	if m != nil {
		m.Rejected.WithLabelValues(reason, strconv.Itoa(code)).Inc()
	}
}

// refuse answers a request the receiver will not take, counts it and
// logs it once with who sent it and why (never the secret).
func (r *Receiver) refuse(w http.ResponseWriter, req *http.Request, code int, reason, msg string) {
	r.Metrics.rejected(reason, code)
	fields := []zap.Field{zap.String("path", req.URL.Path), zap.String("remote", req.RemoteAddr), zap.Int("status", code), zap.String("reason", reason)}
	if code == http.StatusBadRequest {
		fields = append(fields, zap.String("detail", msg)) // what the parser could not read; never a credential
	}
	r.log().Warn("alert request refused", fields...)
	reply(w, code, msg)
}
