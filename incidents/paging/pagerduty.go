package paging

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/internal/txt"
)

// pdEvent is an Events API v2 event.
type pdEvent struct {
	RoutingKey  string     `json:"routing_key"`
	EventAction string     `json:"event_action"`
	DedupKey    string     `json:"dedup_key"`
	Payload     *pdPayload `json:"payload,omitempty"`
	Links       []pdLink   `json:"links,omitempty"`
}

type pdPayload struct {
	Summary       string            `json:"summary"`
	Source        string            `json:"source"`
	Severity      string            `json:"severity"`
	CustomDetails map[string]string `json:"custom_details,omitempty"`
}

type pdLink struct {
	Href string `json:"href"`
	Text string `json:"text,omitempty"`
}

// pdAnswer is what the Events API answers, success or not.
type pdAnswer struct {
	Status   string   `json:"status"`
	Message  string   `json:"message"`
	DedupKey string   `json:"dedup_key"`
	Errors   []string `json:"errors"`
}

// maxSummary is PagerDuty's limit on payload.summary.
const maxSummary = 1024

// pagerDutyEvent builds the event for p. Acknowledge and resolve carry
// no payload: PagerDuty finds the alert by routing and dedup key alone.
func pagerDutyEvent(key string, p Page) pdEvent {
	e := pdEvent{RoutingKey: key, EventAction: p.Action, DedupKey: p.DedupKey}
	if p.Action != ActionTrigger {
		return e
	}
	e.Payload = &pdPayload{
		Summary:       txt.Clip(p.Summary, maxSummary),
		Source:        p.Source,
		Severity:      p.Severity,
		CustomDetails: p.Details,
	}
	if p.Link != "" {
		e.Links = []pdLink{{Href: p.Link, Text: p.LinkText}}
	}
	return e
}

func (s *Sender) sendPagerDuty(ctx context.Context, t Target, p Page) (Result, error) {
	v := t.routingKeyVar()
	key := strings.TrimSpace(s.getenv(v))
	if key == "" {
		return Result{}, permanent(fmt.Sprintf("PagerDuty: %s is not set (the routing key of an Events API v2 integration)", v))
	}
	body, err := json.Marshal(pagerDutyEvent(key, p))
	if err != nil {
		return Result{}, permanent("PagerDuty: " + err.Error()) // strings only: cannot happen
	}
	a, sent, err := s.post(ctx, s.pdURL, body, nil)
	if err != nil {
		de := noAnswer("PagerDuty", err, sent)
		de.Reason = redact(de.Reason, key)
		return Result{}, de
	}
	var r pdAnswer
	// Proxies answer in HTML: the status alone then decides.
	_ = json.Unmarshal(a.body, &r)
	if a.status/100 != 2 {
		return Result{}, pagerDutyFailure(a, r, key)
	}
	answer := strconv.Itoa(a.status)
	if r.Status != "" || r.Message != "" {
		answer = fmt.Sprintf("%d %s: %s", a.status, r.Status, r.Message)
	}
	dedup := r.DedupKey
	if dedup == "" {
		dedup = p.DedupKey
	}
	return Result{Provider: "PagerDuty", Answer: redact(answer, key), DedupKey: dedup}, nil
}

// pagerDutyFailure explains a refused event, with PagerDuty's own words:
// "PagerDuty refused the event (400 invalid event: payload.summary is
// missing)".
func pagerDutyFailure(a answer, r pdAnswer, key string) *incidents.DeliveryError {
	code := r.Status
	if code == "" {
		code = strconv.Itoa(a.status)
	}
	var reason string
	switch {
	case a.status == http.StatusTooManyRequests:
		reason = "PagerDuty is rate limiting (429)"
	case a.status >= 500 || a.status == http.StatusRequestTimeout:
		reason = fmt.Sprintf("PagerDuty failed (%s)", pdDetail(a, r, key))
	default:
		reason = fmt.Sprintf("PagerDuty refused the event (%s)", pdDetail(a, r, key))
	}
	return classify(&incidents.DeliveryError{Code: code, Reason: reason}, a)
}

// pdDetail is "400 invalid event: payload.summary is missing", or the
// status and the start of a body that was not PagerDuty's JSON.
func pdDetail(a answer, r pdAnswer, key string) string {
	var what string
	switch {
	case len(r.Errors) > 0:
		what = strings.Join(r.Errors, "; ")
	case r.Message != "":
		what = r.Message
	case r.Status == "":
		what = string(a.body)
	}
	d := strconv.Itoa(a.status)
	if r.Status != "" {
		d += " " + quoted([]byte(r.Status), key)
	}
	if q := quoted([]byte(what), key); q != "" {
		d += ": " + q
	}
	return d
}
