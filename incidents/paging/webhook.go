package paging

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/incident-bot/incident-bot/incidents"
)

// webhookPage is the JSON a webhook target receives.
type webhookPage struct {
	Action   string            `json:"action"`
	DedupKey string            `json:"dedup_key"`
	Summary  string            `json:"summary"`
	Severity string            `json:"severity"`
	Source   string            `json:"source"`
	Link     string            `json:"link"`
	Details  map[string]string `json:"details"`
}

func (s *Sender) sendWebhook(ctx context.Context, t Target, p Page) (Result, error) {
	if err := checkWebhookURL(t.Addr); err != nil {
		return Result{}, permanent(fmt.Sprintf("%s: the URL %s", t, err))
	}
	details := p.Details
	if details == nil {
		details = map[string]string{} // an object, always, for receivers that index into it
	}
	body, err := json.Marshal(webhookPage{
		Action: p.Action, DedupKey: p.DedupKey, Summary: p.Summary, Severity: p.Severity,
		Source: p.Source, Link: p.Link, Details: details,
	})
	if err != nil {
		return Result{}, permanent("webhook: " + err.Error()) // strings only: cannot happen
	}
	h := http.Header{}
	// Receivers deduplicate retries on it: one key per page and action,
	// as a resolve must not be taken for a repeat of its trigger.
	h.Set("Idempotency-Key", p.DedupKey+":"+p.Action)
	if s.token != "" {
		h.Set("Authorization", "Bearer "+s.token)
	}
	a, sent, err := s.post(ctx, t.Addr, body, h)
	if err != nil {
		de := noAnswer(t.String(), err, sent)
		de.Reason = redact(de.Reason, s.token)
		return Result{}, de
	}
	if a.status/100 != 2 {
		return Result{}, s.webhookFailure(t, a)
	}
	return Result{Provider: "webhook", Answer: strconv.Itoa(a.status), DedupKey: p.DedupKey}, nil
}

// redactURL hides in s what of the webhook's URL may be its secret — the
// URL itself, its path, query and user info — since servers echo them
// back in errors ("Cannot POST /hooks/T0/B0/…"), and a reason reaches the
// timeline, Slack and the logs.
func redactURL(s, raw string) string {
	s = redact(s, raw)
	u, err := url.Parse(raw)
	if err != nil {
		return s
	}
	for _, part := range []string{u.EscapedPath(), u.Path, u.RawQuery, u.User.String()} {
		if len(part) > 1 {
			s = redact(s, part)
		}
	}
	return s
}

// webhookFailure explains a refusal: "webhook hooks.example.com refused
// the page (404: no such hook)".
func (s *Sender) webhookFailure(t Target, a answer) *incidents.DeliveryError {
	d := strconv.Itoa(a.status)
	if q := quoted([]byte(redactURL(string(a.body), t.Addr)), s.token); q != "" {
		d += ": " + q
	}
	var reason string
	switch {
	case a.status == http.StatusTooManyRequests:
		reason = fmt.Sprintf("%s is rate limiting (429)", t)
	case a.status >= 500 || a.status == http.StatusRequestTimeout:
		reason = fmt.Sprintf("%s failed (%s)", t, d)
	default:
		reason = fmt.Sprintf("%s refused the page (%s)", t, d)
	}
	return classify(&incidents.DeliveryError{Code: strconv.Itoa(a.status), Reason: reason}, a)
}
