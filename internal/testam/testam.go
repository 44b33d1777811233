// Package testam runs a real Prometheus Alertmanager for tests, so alert
// grouping is Alertmanager's own, not a guess at it. scripts/test makes
// sure the binary is installed (Debian's prometheus-alertmanager) and
// names it in TEST_ALERTMANAGER_BIN. Each test runs its own Alertmanager,
// with a webhook receiver pointing at the bot under test.
package testam

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/incident-bot/incident-bot/internal/testproc"
)

// Environment variables read by Start.
const (
	EnvBin     = "TEST_ALERTMANAGER_BIN"
	EnvRequire = "INCIDENT_BOT_REQUIRE_SERVICES"
)

// Options configure one Alertmanager.
type Options struct {
	WebhookURL string // the bot's /alerts/alertmanager
	// Also are more webhook URLs sent the same notifications (replicas).
	Also      []string
	Secret    string   // sent as Authorization: Bearer (http_config.authorization)
	GroupBy   []string // route's group_by
	GroupWait time.Duration
}

// Alertmanager is a running Alertmanager.
type Alertmanager struct {
	URL string
	t   testing.TB
}

// Start runs an Alertmanager for the rest of the test. Without the
// binary the test is skipped, or fails when INCIDENT_BOT_REQUIRE_SERVICES=1.
func Start(t testing.TB, o Options) *Alertmanager {
	t.Helper()
	bin := os.Getenv(EnvBin)
	if bin == "" {
		if os.Getenv(EnvRequire) == "1" {
			t.Fatalf("%s is not set but %s=1: this test needs Alertmanager; run scripts/test, which installs it", EnvBin, EnvRequire)
		}
		t.Skipf("needs Alertmanager: run scripts/test, or set %s to prometheus-alertmanager", EnvBin)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(path, []byte(o.config()), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := testproc.FreeAddr(t)
	testproc.Start(t, "alertmanager", bin, []string{"--config.file=" + path, "--storage.path=" + filepath.Join(dir, "data"),
		"--web.listen-address=" + addr, "--cluster.listen-address=", "--log.level=warn"}, "http://"+addr+"/-/ready", 20*time.Second)
	return &Alertmanager{URL: "http://" + addr, t: t}
}

// config is the Alertmanager configuration: one route grouping as asked,
// every notification sent to each webhook with the secret.
func (o Options) config() string {
	if o.GroupWait == 0 {
		o.GroupWait = time.Second
	}
	groupBy, _ := json.Marshal(o.GroupBy)
	cfg := fmt.Sprintf(`route:
  receiver: bot
  group_by: %s
  group_wait: %s
  group_interval: 1s
  repeat_interval: 1h
receivers:
- name: bot
  webhook_configs:
`, groupBy, o.GroupWait)
	for _, url := range append([]string{o.WebhookURL}, o.Also...) {
		cfg += fmt.Sprintf(`  - url: %q
    send_resolved: true
    http_config:
      authorization:
        credentials: %q
`, url, o.Secret)
	}
	return cfg
}

// Alert is one alert as Alertmanager's v2 API takes it.
type Alert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations,omitempty"`
	StartsAt    time.Time         `json:"startsAt,omitzero"`
	EndsAt      time.Time         `json:"endsAt,omitzero"`
}

// Fire posts alerts to Alertmanager's v2 API, as Prometheus does. An
// alert whose EndsAt is past is resolved.
func (am *Alertmanager) Fire(alerts ...Alert) {
	am.t.Helper()
	body, _ := json.Marshal(alerts)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, am.URL+"/api/v2/alerts", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		am.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		am.t.Fatalf("alertmanager refused the alerts: HTTP %d", resp.StatusCode)
	}
}
