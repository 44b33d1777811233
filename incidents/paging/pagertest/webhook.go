package pagertest

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// incidentNumber numbers the incidents of WebhookBody, as PagerDuty does.
var incidentNumber atomic.Int64

// WebhookBody is a v3 webhook of eventType ("incident.acknowledged",
// "incident.resolved", …) about the incident PagerDuty opened for
// dedupKey, done by agent (a user's name; "" for none, as when PagerDuty
// itself resolves). Its shape follows PagerDuty's documented example.
func WebhookBody(eventType, dedupKey, agent string) []byte {
	n := incidentNumber.Add(1)
	id := "Q" + strings.ToUpper(rand.Text()[:6])
	status := "triggered"
	switch eventType {
	case "incident.acknowledged":
		status = "acknowledged"
	case "incident.resolved":
		status = "resolved"
	}
	var by any // JSON null when nobody is named
	if agent != "" {
		by = ref("user_reference", "users/PLH1HKV", agent)
	}
	body, err := json.Marshal(map[string]any{"event": map[string]any{
		"id":            "01" + rand.Text()[:24],
		"event_type":    eventType,
		"resource_type": "incident",
		"occurred_at":   time.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
		"agent":         by,
		"client":        nil,
		"data": map[string]any{
			"id":                id,
			"type":              "incident",
			"self":              "https://api.pagerduty.com/incidents/" + id,
			"html_url":          "https://acme.pagerduty.com/incidents/" + id,
			"number":            n,
			"status":            status,
			"incident_key":      dedupKey,
			"created_at":        time.Now().UTC().Add(-time.Minute).Format(time.RFC3339),
			"title":             "Paged by incident-bot",
			"service":           ref("service_reference", "services/PF9KMXH", "API Service"),
			"assignees":         []any{ref("user_reference", "users/PTUXL6G", "User 123")},
			"escalation_policy": ref("escalation_policy_reference", "escalation_policies/PUS0KTE", "Default"),
			"teams":             []any{},
			"priority":          nil,
			"urgency":           "high",
			"conference_bridge": nil,
			"resolve_reason":    nil,
		},
	}})
	if err != nil {
		panic(err) // maps of strings and numbers: cannot happen
	}
	return body
}

// ref is a PagerDuty reference object.
func ref(typ, path, summary string) map[string]any {
	id := path[strings.LastIndex(path, "/")+1:]
	return map[string]any{
		"html_url": "https://acme.pagerduty.com/" + path, "id": id,
		"self": "https://api.pagerduty.com/" + path, "summary": summary, "type": typ,
	}
}

// Sign is the X-PagerDuty-Signature of body under secret: "v1=<hex HMAC-SHA256>".
func Sign(body []byte, secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "v1=" + hex.EncodeToString(m.Sum(nil))
}

// SendWebhook posts WebhookBody(eventType, dedupKey, agent) to url, signed
// with secret ("" sends it unsigned, with no signature header), and
// returns the HTTP status it was answered with.
func SendWebhook(url, secret, eventType, dedupKey, agent string) (int, error) {
	body := WebhookBody(eventType, dedupKey, agent)
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "PagerDuty-Webhook/V3.0")
	if secret != "" {
		req.Header.Set("X-PagerDuty-Signature", Sign(body, secret))
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return 0, err
	}
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}
