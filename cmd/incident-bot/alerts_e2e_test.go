package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/incident-bot/incident-bot/bot"
	"github.com/incident-bot/incident-bot/bot/slacktest"
	"github.com/incident-bot/incident-bot/incidents"
)

const testAlertSecret = "alert-secret-0123456789"

// alertmanagerBody is the Alertmanager fixture with its alerts replaced.
func alertmanagerBody(t *testing.T, edit func(alerts []map[string]any) []map[string]any) string {
	t.Helper()
	raw, err := os.ReadFile("../../incidents/alerts/testdata/alertmanager_webhook.json")
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	var list []map[string]any
	for _, a := range p["alerts"].([]any) {
		list = append(list, a.(map[string]any))
	}
	p["alerts"] = edit(list)
	b, _ := json.Marshal(p)
	return string(b)
}

// onlyIncident waits for the one incident the store holds to have its
// channel, and returns it.
func (h *harness) onlyIncident(store incidents.Store) incidents.Incident {
	h.t.Helper()
	var inc incidents.Incident
	h.eventually("incident with a channel", func() bool {
		list, err := store.List(context.Background(), incidents.ListFilter{})
		if err != nil || len(list) != 1 || list[0].ChannelID == "" {
			return false
		}
		inc = list[0]
		return true
	})
	return inc
}

func (h *harness) postAlert(path, body string) int {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://"+h.httpAddr+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testAlertSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// An Alertmanager critical alert opens an incident with the matching
// runbook; a repeat attaches instead of duplicating; a second alert of the
// same runbook joins the same incident; the resolved twin is posted into
// the incident and recorded in its timeline.
func TestAlertOpensIncident(t *testing.T) {
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			h := newHarness(t, kind, map[string]string{"ALERT_WEBHOOK_SECRET": testAlertSecret})
			store := h.openStore(t)
			firing := alertmanagerBody(t, func(as []map[string]any) []map[string]any { return as[:1] })
			if code := h.postAlert("/alerts/alertmanager", firing); code != 200 {
				t.Fatalf("firing alert: HTTP %d", code)
			}
			inc := h.onlyIncident(store)
			if !strings.Contains(inc.Title, "BlackBox probe failure") || inc.Severity != incidents.Sev2 {
				t.Errorf("incident = %q %v", inc.Title, inc.Severity)
			}
			h.messageContaining(inc.ChannelID, "Opened automatically from an alertmanager alert")
			h.messageContaining(inc.ChannelID, "Service outage")
			h.messageContaining(h.announce, inc.Title)

			// The same alert again (Alertmanager repeats every
			// repeat_interval) and another instance of the same kind.
			if code := h.postAlert("/alerts/alertmanager", firing); code != 200 {
				t.Fatalf("repeat: HTTP %d", code)
			}
			other := alertmanagerBody(t, func(as []map[string]any) []map[string]any {
				a := as[1]
				a["status"], a["endsAt"] = "firing", "0001-01-01T00:00:00Z"
				return []map[string]any{a}
			})
			if code := h.postAlert("/alerts/alertmanager", other); code != 200 {
				t.Fatalf("second instance: HTTP %d", code)
			}
			h.messageContaining(inc.ChannelID, "Alert joined this incident")
			resolved := alertmanagerBody(t, func(as []map[string]any) []map[string]any {
				a := as[0]
				a["status"], a["endsAt"] = "resolved", "2026-01-06T10:32:00Z"
				return []map[string]any{a}
			})
			if code := h.postAlert("/alerts/alertmanager", resolved); code != 200 {
				t.Fatalf("resolved: HTTP %d", code)
			}
			h.messageContaining(inc.ChannelID, "is back to OK at")

			list, _ := store.List(context.Background(), incidents.ListFilter{})
			if len(list) != 1 {
				t.Errorf("%d incidents, want 1", len(list))
			}
			v, err := store.CardAlerts(context.Background(), `group:{}/{severity="critical"}:{alertname="ProbeFailure"}`, time.Time{}, 10)
			if err != nil || v.Count != 4 || v.Total != 2 {
				t.Errorf("stored %d alerts of %d conditions in the group (%v), want 4 of 2 (firing, repeat, other, resolved)", v.Count, v.Total, err)
			}
			evs, _ := store.Timeline(context.Background(), inc.ID)
			var alertEvents []string
			for _, e := range evs {
				if e.Kind == incidents.EventAlert {
					alertEvents = append(alertEvents, e.Text)
				}
			}
			if len(alertEvents) != 3 || !strings.HasPrefix(alertEvents[0], "Opened from alert: BlackBox probe failure") ||
				!strings.HasPrefix(alertEvents[1], "Alert firing: BlackBox probe failure (https://www.example.org/)") || !strings.HasPrefix(alertEvents[2], "Alert resolved") {
				t.Errorf("alert events = %q", alertEvents)
			}
			if n := strings.Count(strings.Join(texts(h.posts(inc.ChannelID)), "\n"), "Opened automatically"); n != 1 {
				t.Errorf("the alert was introduced %d times", n)
			}
			// The postmortem draft names the first alert and its sender (the
			// second instance, firing since 09:40).
			var out, errb bytes.Buffer
			if code := run(context.Background(), []string{"postmortem", "--incident", "1"}, func(k string) string { return h.env[k] }, &out, &errb); code != 0 ||
				!strings.Contains(out.String(), "alertmanager at 2026-01-06 09:40 UTC (alertmanager: BlackBox probe failure (https://www.example.org/))") {
				t.Errorf("postmortem: exit %d %s\n%s", code, errb.String(), out.String())
			}
		})
	}
}

// Wrong secret, bad JSON: refused with the reason, nothing opened.
func TestAlertReceiverRefusals(t *testing.T) {
	h := newHarness(t, "sqlite", map[string]string{"ALERT_WEBHOOK_SECRET": testAlertSecret})
	req, _ := http.NewRequest(http.MethodPost, "http://"+h.httpAddr+"/alerts/webhook", strings.NewReader(`{"title":"x","severity":"critical"}`))
	req.Header.Set("X-Alert-Secret", "wrong-secret-0123456789")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 401 {
		t.Fatalf("wrong secret: %v %v", resp.StatusCode, err)
	}
	var answer struct{ Error string }
	_ = json.NewDecoder(resp.Body).Decode(&answer)
	resp.Body.Close()
	if !strings.Contains(answer.Error, "Authorization: Bearer") || !strings.Contains(answer.Error, "X-Alert-Secret") {
		t.Errorf("the 401 names only one accepted form: %q", answer.Error)
	}
	if code := h.postAlert("/alerts/webhook", `{"title":`); code != 400 {
		t.Errorf("bad JSON: %d", code)
	}
	if n := h.metric("incidentbot_alerts_rejected_total", `reason="wrong_secret"`, `code="401"`); n != 1 {
		t.Errorf("401s counted %v, want 1", n)
	}
	if n := h.metric("incidentbot_alerts_rejected_total", `reason="unreadable"`, `code="400"`); n != 1 {
		t.Errorf("400s counted %v, want 1", n)
	}
	if n := strings.Count(h.logs.String(), `"reason":"wrong_secret"`); n != 1 || strings.Contains(h.logs.String(), "wrong-secret-0123456789") {
		t.Errorf("the refusal is logged %d times (want once, without the secret sent):\n%s", n, h.logs.String())
	}
	list, _ := h.openStore(t).List(context.Background(), incidents.ListFilter{})
	if len(list) != 0 {
		t.Errorf("%d incidents opened by refused alerts", len(list))
	}
}

func texts(ms []slacktest.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Text)
	}
	return out
}

// A warning asks for triage once; declaring from the card opens an
// incident reported by the clicker, and the condition's next alert is
// attached to it; dismissing settles the card.
func TestAlertTriage(t *testing.T) {
	h := newHarness(t, "sqlite", map[string]string{"ALERT_WEBHOOK_SECRET": testAlertSecret})
	store := h.openStore(t)
	warn := `{"title":"orders-db disk 90% full","text":"free space below 10%","severity":"warning","fingerprint":"disk-90","labels":{"db":"orders"}}`
	for range 3 {
		if code := h.postAlert("/alerts/webhook", warn); code != 200 {
			t.Fatalf("warning: HTTP %d", code)
		}
	}
	card := h.messageContaining(h.announce, "Warning alert: orders-db disk 90% full")
	other := `{"title":"cache hit rate low","severity":"warning","fingerprint":"cache-low"}`
	if code := h.postAlert("/alerts/webhook", other); code != 200 {
		t.Fatalf("second warning: HTTP %d", code)
	}
	otherCard := h.messageContaining(h.announce, "Warning alert: cache hit rate low")
	n := 0
	for _, m := range h.posts(h.announce) {
		if strings.Contains(m.Text, "orders-db disk") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d triage cards for one warning repeated 3 times, want 1", n)
	}
	if list, _ := store.List(context.Background(), incidents.ListFilter{}); len(list) != 0 {
		t.Fatalf("a warning opened %d incidents", len(list))
	}

	h.send("interactive", h.slack.BlockAction(bob, h.announce, card.TS, bot.ActionTriageDeclare, "webhook:disk-90"))
	h.send("interactive", h.slack.BlockAction(bob, h.announce, card.TS, bot.ActionTriageDeclare, "webhook:disk-90")) // a double click
	var inc incidents.Incident
	h.eventually("incident from triage", func() bool {
		list, _ := store.List(context.Background(), incidents.ListFilter{})
		if len(list) == 1 && list[0].ChannelID != "" {
			inc = list[0]
			return true
		}
		return false
	})
	if inc.Reporter != bob || inc.Title != "orders-db disk 90% full" {
		t.Errorf("incident = %+v", inc)
	}
	h.messageContaining(h.announce, "Declared as incident")
	// The warning repeats: it belongs to the incident now, which knows
	// about it already (no "joined" notice for the alert it was declared
	// from), and it is not carded again.
	if code := h.postAlert("/alerts/webhook", warn); code != 200 {
		t.Fatal(code)
	}
	h.settled()
	if n := h.count(inc.ChannelID, "Alert joined this incident"); n != 0 {
		t.Errorf("%d joined notices for the alert the incident was declared from", n)
	}
	if l, err := store.LatestAlert(context.Background(), "webhook:disk-90"); err != nil || l.IncidentID != inc.ID {
		t.Errorf("the repeat is not attached to the incident: %v %v", l.IncidentID, err)
	}

	h.send("interactive", h.slack.BlockAction(bob, h.announce, otherCard.TS, bot.ActionTriageDismiss, "webhook:cache-low"))
	h.messageContaining(h.announce, "Dismissed as a false positive by")
	h.settled()
	if list, _ := store.List(context.Background(), incidents.ListFilter{}); len(list) != 1 {
		t.Errorf("%d incidents after a double click and a dismissal, want 1", len(list))
	}

	// The dismissal stands after a restart: the warning is counted, not
	// carded again.
	h.stop()
	h.start()
	if code := h.postAlert("/alerts/webhook", other); code != 200 {
		t.Fatal(code)
	}
	h.settled()
	cards := 0
	for _, m := range h.posts(h.announce) {
		if strings.Contains(m.Text, "cache hit rate low") {
			cards++
		}
	}
	if cards != 1 {
		t.Errorf("%d cards for the dismissed warning after a restart, want 1", cards)
	}
	if v, _ := store.CardAlerts(context.Background(), "fp:webhook:cache-low", time.Time{}, 1); v.Count != 2 {
		t.Errorf("stored %d of the dismissed warning, want 2", v.Count)
	}
}

// A critical alert that no playbook fits gets the team's procedure for
// critical alerts (triage, updates every 15 minutes, escalation after 30)
// rather than nothing; one that a playbook fits gets that playbook.
func TestCriticalAlertFallsBackToTriage(t *testing.T) {
	h := newHarness(t, "sqlite", map[string]string{"ALERT_WEBHOOK_SECRET": testAlertSecret})
	store := h.openStore(t)
	body := `{"title":"Platform health score below 40","text":"score fell from 93 to 38","severity":"critical","labels":{"service":"platform"}}`
	if code := h.postAlert("/alerts/webhook", body); code != 200 {
		t.Fatalf("alert: HTTP %d", code)
	}
	inc := h.onlyIncident(store)
	card := h.card(inc.ChannelID)
	if b := string(card.Blocks); !strings.Contains(b, "Handling critical alerts") || !strings.Contains(b, "no playbook fits this critical alert") {
		t.Errorf("card = %s", b)
	}
}
