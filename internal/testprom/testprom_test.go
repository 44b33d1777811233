package testprom

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestConfig(t *testing.T) {
	cfg, err := config([]string{"127.0.0.1:9100", "http://127.0.0.1:8080", "http://127.0.0.1:8081/metrics"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"scrape_interval: 1s", "scrape_timeout: 1s",
		`targets: ["127.0.0.1:9100", "127.0.0.1:8080", "127.0.0.1:8081"]`} {
		if !strings.Contains(cfg, want) {
			t.Errorf("config lacks %q:\n%s", want, cfg)
		}
	}
	for _, bad := range []string{"https://127.0.0.1:1", "http://127.0.0.1:1/other", "http://"} {
		if _, err := config([]string{bad}); err == nil {
			t.Errorf("target %q: no error", bad)
		}
	}
}

// TestStartScrapes runs Prometheus and waits for it to report the test's
// target up: the configuration it was given works.
func TestStartScrapes(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "testprom_up 1")
	}))
	defer target.Close()
	p := Start(t, target.URL)
	deadline := time.Now().Add(30 * time.Second)
	for {
		health, err := targetHealth(p.URL)
		if health == "up" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("target not up after 30s: health %q, %v", health, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func targetHealth(url string) (string, error) {
	resp, err := http.Get(url + "/api/v1/targets")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var body struct {
		Data struct {
			ActiveTargets []struct {
				Health string `json:"health"`
			} `json:"activeTargets"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return "", err
	}
	if len(body.Data.ActiveTargets) != 1 {
		return "", fmt.Errorf("%d targets, want 1", len(body.Data.ActiveTargets))
	}
	return body.Data.ActiveTargets[0].Health, nil
}
