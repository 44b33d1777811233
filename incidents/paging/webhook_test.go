package paging

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

const testToken = "t0k3n-never-shown"

type hookCall struct {
	header http.Header
	body   map[string]any
}

// hookServer answers status (with Retry-After and body when given) and
// records what it received.
func hookServer(t *testing.T, status int, retryAfter, answer string) (string, *[]hookCall) {
	var calls []hookCall
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		calls = append(calls, hookCall{header: r.Header.Clone(), body: m})
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		if status/100 == 3 {
			w.Header().Set("Location", "/elsewhere") // followed, it would arrive as a GET without the page
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/hooks/s3cr3t-path", &calls
}

func TestWebhookSend(t *testing.T) {
	url, calls := hookServer(t, http.StatusOK, "", "")
	s := NewSender(Options{WebhookToken: testToken})
	target := Target{Kind: KindWebhook, Addr: url}
	res, err := s.Send(context.Background(), target, trigger("incident-12-level-1"))
	if err != nil {
		t.Fatal(err)
	}
	if want := (Result{Provider: "webhook", Answer: "200", DedupKey: "incident-12-level-1"}); res != want {
		t.Errorf("result %+v, want %+v", res, want)
	}
	p := trigger("incident-12-level-1")
	p.Action, p.Details = ActionResolve, nil
	if _, err := s.Send(context.Background(), target, p); err != nil {
		t.Fatal(err)
	}
	if len(*calls) != 2 {
		t.Fatalf("%d calls, want 2", len(*calls))
	}
	for i, c := range *calls {
		action := []string{"trigger", "resolve"}[i]
		for h, want := range map[string]string{
			"Content-Type":    "application/json",
			"Authorization":   "Bearer " + testToken,
			"Idempotency-Key": "incident-12-level-1:" + action,
		} {
			if got := c.header.Get(h); got != want {
				t.Errorf("%s: header %s = %q, want %q", action, h, got, want)
			}
		}
	}
	want := map[string]any{
		"action": "trigger", "dedup_key": "incident-12-level-1", "summary": p.Summary, "severity": "critical",
		"source": "incident-bot", "link": p.Link, "details": map[string]any{"incident": "12", "level": "1", "commander": "nobody"},
	}
	if got := (*calls)[0].body; !reflect.DeepEqual(got, want) {
		t.Errorf("trigger body\n %v\nwant\n %v", got, want)
	}
	if got := (*calls)[1].body; got["action"] != "resolve" || !reflect.DeepEqual(got["details"], map[string]any{}) {
		t.Errorf("resolve body: %v", got)
	}

	// No token configured: no Authorization header at all.
	_, _ = NewSender(Options{}).Send(context.Background(), target, trigger("k"))
	if h := (*calls)[2].header; h.Get("Authorization") != "" {
		t.Errorf("without a token, Authorization: %q", h.Get("Authorization"))
	}
}

func TestWebhookAnswers(t *testing.T) {
	for _, c := range []struct {
		status     int
		retryAfter string
		answer     string
		ok         bool
		permanent  bool
		wait       time.Duration
		reason     string
	}{
		{status: 204, ok: true},
		{status: 202, ok: true},
		{status: 404, answer: "no such hook", permanent: true, reason: "refused the page (404: no such hook)"},
		{status: 401, answer: "bad Authorization: Bearer " + testToken, permanent: true, reason: "refused the page (401: bad Authorization: Bearer [redacted])"},
		{status: 301, permanent: true, reason: "refused the page (301)"},
		{status: 408, reason: "failed (408)"},
		{status: 429, retryAfter: "7", reason: "is rate limiting (429)", wait: 7 * time.Second},
		{status: 503, retryAfter: "120", answer: "down for maintenance", reason: "failed (503: down for maintenance)", wait: 2 * time.Minute},
	} {
		url, _ := hookServer(t, c.status, c.retryAfter, c.answer)
		res, err := NewSender(Options{WebhookToken: testToken}).Send(context.Background(), Target{Kind: KindWebhook, Addr: url}, trigger("k"))
		if c.ok {
			if err != nil || res.Answer != strconv.Itoa(c.status) {
				t.Errorf("%d: %+v, %v", c.status, res, err)
			}
			continue
		}
		de := deliveryError(t, err)
		wantReason := Target{Kind: KindWebhook, Addr: url}.String() + " " + c.reason
		if de.Permanent != c.permanent || de.RetryAfter != c.wait || de.Reason != wantReason {
			t.Errorf("%d: %+v; want permanent %v, wait %v, reason %q", c.status, de, c.permanent, c.wait, wantReason)
		}
		if strings.Contains(de.Reason, testToken) || strings.Contains(de.Reason, "s3cr3t") {
			t.Errorf("%d: the reason shows a secret: %q", c.status, de.Reason)
		}
	}
}

// Without an answer the reason names the host but neither the path (the
// URL's secret) nor the token.
func TestWebhookNoAnswer(t *testing.T) {
	s := NewSender(Options{WebhookToken: testToken})
	_, err := s.Send(context.Background(), Target{Kind: KindWebhook, Addr: resetServer(t) + "/hooks/s3cr3t"}, trigger("k"))
	de := deliveryError(t, err)
	if !de.Uncertain || de.Permanent || !strings.HasPrefix(de.Reason, "no answer from webhook 127.0.0.1:") {
		t.Errorf("reset: %+v", de)
	}
	_, err = s.Send(context.Background(), Target{Kind: KindWebhook, Addr: "http://" + closedPort(t) + "/hooks/s3cr3t"}, trigger("k"))
	de2 := deliveryError(t, err)
	if de2.Uncertain || de2.Permanent || !strings.HasPrefix(de2.Reason, "could not reach webhook 127.0.0.1:") {
		t.Errorf("refused: %+v", de2)
	}
	for _, r := range []string{de.Reason, de2.Reason} {
		if strings.Contains(r, "s3cr3t") || strings.Contains(r, testToken) {
			t.Errorf("the reason shows a secret: %q", r)
		}
	}
	_, err = s.Send(context.Background(), Target{Kind: KindWebhook, Addr: "http://hooks.example.com/s3cr3t"}, trigger("k"))
	if de := deliveryError(t, err); !de.Permanent || strings.Contains(de.Reason, "s3cr3t") {
		t.Errorf("plain http to another host: %+v", de)
	}
}

// A server that echoes the request path back does not get the webhook's
// secret path into the reason (which reaches the timeline and Slack).
func TestWebhookFailureHidesThePath(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "Cannot POST "+r.URL.Path+"?"+r.URL.RawQuery, http.StatusNotFound)
	}))
	defer srv.Close()
	ts, err := ParseTargets("ESCALATION_PAGE", "webhook:"+srv.URL+"/hooks/T0/B0/s3cretPath?token=q5ecret", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = NewSender(Options{}).Send(context.Background(), ts[0], Page{Action: "trigger", DedupKey: "k", Summary: "s", Severity: "critical"})
	if err == nil || strings.Contains(err.Error(), "s3cretPath") || strings.Contains(err.Error(), "q5ecret") || !strings.Contains(err.Error(), "404") {
		t.Errorf("reason %v", err)
	}
}
