package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// playbooks match --source reads a raw payload through the bot's own
// parser and ranks the playbooks for each alert in it.
func TestMatchPayloadCLI(t *testing.T) {
	fixtures := filepath.Join("..", "..", "incidents", "alerts", "testdata") // copies of the shared wire samples
	run1 := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(context.Background(), append([]string{"playbooks", "match"}, args...), func(string) string { return "" }, &out, &errb)
		return code, out.String(), errb.String()
	}

	// The team's retirement notice, as EventBridge sends it through SNS.
	code, out, errs := run1("--source", "sns", filepath.Join(fixtures, "sns_eventbridge_health_notification.json"))
	if code != 0 || !strings.Contains(out, "alert 1 of 1: firing warning") || !strings.Contains(out, "event_type=AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED") ||
		!strings.Contains(out, "   1. ec2-instance-retirement") {
		t.Fatalf("sns health: %d %q %q", code, out, errs)
	}

	// Standard input, and one ranking per alert of a group.
	body, err := os.ReadFile(filepath.Join(fixtures, "alertmanager_webhook_grouped.json"))
	if err != nil {
		t.Fatal(err)
	}
	stdin = bytes.NewReader(body)
	t.Cleanup(func() { stdin = os.Stdin })
	code, out, errs = run1("--source", "alertmanager", "-")
	if code != 0 || strings.Count(out, "alert ") != 3 || !strings.Contains(out, "1. high-error-rate") {
		t.Fatalf("alertmanager from stdin: %d %q %q", code, out, errs)
	}

	// A recovery never brings a card.
	code, out, _ = run1("--source", "uptimerobot", filepath.Join(fixtures, "uptimerobot_webhook_up.json"))
	if code != 0 || !strings.Contains(out, "resolved: it closes what it opened and never brings a card") {
		t.Fatalf("uptime robot up: %d %q", code, out)
	}

	// Mistakes are named.
	if code, _, errs = run1("--source", "pagerduty", "x.json"); code != 2 || !strings.Contains(errs, `unknown --source "pagerduty"`) {
		t.Fatalf("unknown source: %d %q", code, errs)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"version":"4","alerts":"x"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs = run1("--source", "alertmanager", bad); code != 1 || !strings.Contains(errs, "the alertmanager parser refuses it") {
		t.Fatalf("refused payload: %d %q", code, errs)
	}
	if code, _, errs = run1("--source", "chat"); code != 2 || !strings.Contains(errs, "exactly one FILE") {
		t.Fatalf("no file: %d %q", code, errs)
	}
}

// postmortem --incident with no store says so, and creates nothing.
func TestPostmortemWithoutStoreCreatesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "incident-bot.db")
	var out, errb bytes.Buffer
	env := map[string]string{"SQLITE_PATH": path}
	code := run(context.Background(), []string{"postmortem", "--incident", "1"}, func(k string) string { return env[k] }, &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "no incident store at "+path) {
		t.Fatalf("exit %d: %q", code, errb.String())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("created %d files", len(entries))
	}
}
