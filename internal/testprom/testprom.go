// Package testprom runs a real Prometheus for tests, so queries and their
// answers are Prometheus's own, not a guess at them. scripts/test makes
// sure the binary is installed (Debian's prometheus) and names it in
// TEST_PROMETHEUS_BIN. Each test runs its own Prometheus, with its own
// configuration and storage, scraping the targets the test serves; a
// Prometheus the package installation may have started is not used.
package testprom

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/incident-bot/incident-bot/internal/testproc"
)

// Environment variables read by Start.
const (
	EnvBin     = "TEST_PROMETHEUS_BIN"
	EnvRequire = "INCIDENT_BOT_REQUIRE_SERVICES"
)

// Prometheus is a running Prometheus.
type Prometheus struct {
	URL string // like http://127.0.0.1:40123
}

// Start runs a Prometheus for the rest of the test, scraping each target
// ("host:port" or an http URL, as httptest.Server.URL gives; /metrics is
// scraped) every second. Without the binary the test is skipped, or fails
// when INCIDENT_BOT_REQUIRE_SERVICES=1.
func Start(t testing.TB, scrapeTargets ...string) *Prometheus {
	t.Helper()
	bin := os.Getenv(EnvBin)
	if bin == "" {
		if os.Getenv(EnvRequire) == "1" {
			t.Fatalf("%s is not set but %s=1: this test needs Prometheus; run scripts/test, which installs it", EnvBin, EnvRequire)
		}
		t.Skipf("needs Prometheus: run scripts/test, or set %s to prometheus", EnvBin)
	}
	cfg, err := config(scrapeTargets)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := testproc.FreeAddr(t)
	testproc.Start(t, "prometheus", bin, []string{"--config.file=" + path, "--storage.tsdb.path=" + filepath.Join(dir, "data"),
		"--web.listen-address=" + addr, "--log.level=warn"}, "http://"+addr+"/-/ready", 30*time.Second)
	return &Prometheus{URL: "http://" + addr}
}

// config scrapes every target each second (the timeout may not exceed
// the interval), so a test sees a new value within about a second.
func config(targets []string) (string, error) {
	var b strings.Builder
	b.WriteString(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
- job_name: test
  static_configs:
  - targets: [`)
	for i, target := range targets {
		hostport, err := hostPort(target)
		if err != nil {
			return "", err
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", hostport)
	}
	b.WriteString("]\n")
	return b.String(), nil
}

// hostPort is a scrape target as Prometheus's static_configs want it.
func hostPort(target string) (string, error) {
	if !strings.Contains(target, "://") {
		return target, nil
	}
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return "", fmt.Errorf("testprom: scrape target %q: want host:port or http://host:port", target)
	}
	if u.Path != "" && u.Path != "/" && u.Path != "/metrics" {
		return "", fmt.Errorf("testprom: scrape target %q: only /metrics is scraped", target)
	}
	return u.Host, nil
}
