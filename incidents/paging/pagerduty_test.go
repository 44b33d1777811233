package paging

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/paging/pagertest"
)

var pdTarget = Target{Kind: KindPagerDuty}

func trigger(key string) Page {
	return Page{
		Action: ActionTrigger, DedupKey: key,
		Summary:  "#12 Checkout is down (sev1): nobody has taken command for 5m",
		Severity: "critical", Source: "incident-bot",
		Link: "https://acme.slack.com/archives/C0123", LinkText: "#inc-12-checkout",
		Details: map[string]string{"incident": "12", "level": "1", "commander": "nobody"},
	}
}

func pdSender(url string) *Sender {
	return NewSender(Options{PagerDutyURL: url, Getenv: env(map[string]string{"PAGERDUTY_ROUTING_KEY": testKey})})
}

// deliveryError returns err as a *incidents.DeliveryError, failing the
// test if it is not one or if it shows the routing key.
func deliveryError(t *testing.T, err error) *incidents.DeliveryError {
	t.Helper()
	de, ok := errors.AsType[*incidents.DeliveryError](err)
	if !ok {
		t.Fatalf("error %v (%T) is not a *incidents.DeliveryError", err, err)
	}
	for _, s := range []string{de.Reason, de.Code, err.Error()} {
		if strings.Contains(s, testKey) {
			t.Fatalf("the error shows the routing key: %q", s)
		}
	}
	return de
}

func TestPagerDutyTriggerAcknowledgeResolve(t *testing.T) {
	pd := pagertest.New(t)
	s := pdSender(pd.URL())
	ctx := context.Background()

	res, err := s.Send(ctx, pdTarget, trigger("incident-12-level-1"))
	if err != nil {
		t.Fatal(err)
	}
	want := Result{Provider: "PagerDuty", Answer: "202 success: Event processed", DedupKey: "incident-12-level-1"}
	if res != want {
		t.Errorf("trigger: %+v, want %+v", res, want)
	}
	for _, action := range []string{ActionAcknowledge, ActionResolve} {
		p := trigger("incident-12-level-1")
		p.Action = action
		if _, err := s.Send(ctx, pdTarget, p); err != nil {
			t.Fatalf("%s: %v", action, err)
		}
	}

	got := pd.Events()
	wantEvents := []pagertest.Event{
		{RoutingKey: testKey, Action: "trigger", DedupKey: "incident-12-level-1",
			Summary: trigger("").Summary, Severity: "critical", Source: "incident-bot",
			Links:   []pagertest.Link{{Href: "https://acme.slack.com/archives/C0123", Text: "#inc-12-checkout"}},
			Details: map[string]string{"incident": "12", "level": "1", "commander": "nobody"}},
		{RoutingKey: testKey, Action: "acknowledge", DedupKey: "incident-12-level-1"},
		{RoutingKey: testKey, Action: "resolve", DedupKey: "incident-12-level-1"},
	}
	if !reflect.DeepEqual(got, wantEvents) {
		t.Errorf("PagerDuty received\n %+v\nwant\n %+v", got, wantEvents)
	}
}

// The wire JSON itself: acknowledge and resolve carry no payload, and
// the routing key is read from the variable the target names at send time.
func TestPagerDutyWireJSON(t *testing.T) {
	var bodies []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("body %v, Content-Type %q", err, r.Header.Get("Content-Type"))
		}
		bodies = append(bodies, m)
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, `{"status":"success","message":"Event processed","dedup_key":"k"}`)
	}))
	t.Cleanup(srv.Close)
	keys := map[string]string{"PAGERDUTY_ROUTING_KEY_DB": testKey}
	s := NewSender(Options{PagerDutyURL: srv.URL, Getenv: env(keys)})
	target := Target{Kind: KindPagerDuty, Addr: "PAGERDUTY_ROUTING_KEY_DB"}
	p := trigger("k")
	p.Severity, p.Source = "", "" // the defaults
	if _, err := s.Send(context.Background(), target, p); err != nil {
		t.Fatal(err)
	}
	p.Action = ActionResolve
	if _, err := s.Send(context.Background(), target, p); err != nil {
		t.Fatal(err)
	}
	wantTrigger := map[string]any{
		"routing_key": testKey, "event_action": "trigger", "dedup_key": "k",
		"payload": map[string]any{"summary": p.Summary, "source": "incident-bot", "severity": "critical",
			"custom_details": map[string]any{"incident": "12", "level": "1", "commander": "nobody"}},
		"links": []any{map[string]any{"href": p.Link, "text": p.LinkText}},
	}
	wantResolve := map[string]any{"routing_key": testKey, "event_action": "resolve", "dedup_key": "k"}
	if len(bodies) != 2 || !reflect.DeepEqual(bodies[0], wantTrigger) || !reflect.DeepEqual(bodies[1], wantResolve) {
		t.Errorf("sent\n %v\nwant\n %v\n %v", bodies, wantTrigger, wantResolve)
	}

	delete(keys, "PAGERDUTY_ROUTING_KEY_DB") // removed since startup
	_, err := s.Send(context.Background(), target, p)
	if de := deliveryError(t, err); !de.Permanent || !strings.Contains(de.Reason, "PAGERDUTY_ROUTING_KEY_DB is not set") {
		t.Errorf("without the key: %+v", de)
	}
}

func TestPagerDutyRefusals(t *testing.T) {
	for _, c := range []struct {
		status    int
		permanent bool
		reason    string
	}{
		{400, true, "PagerDuty refused the event (400 invalid event: forced by pagertest)"},
		{403, true, "PagerDuty refused the event (403 Forbidden: forced by pagertest)"},
		{429, false, "PagerDuty is rate limiting (429)"},
		{500, false, "PagerDuty failed (500 error: Internal server error)"},
		{503, false, "PagerDuty failed (503 error: Internal server error)"},
	} {
		pd := pagertest.New(t)
		pd.Fail(1, c.status)
		s := pdSender(pd.URL())
		_, err := s.Send(context.Background(), pdTarget, trigger("k"))
		de := deliveryError(t, err)
		if de.Permanent != c.permanent || de.Reason != c.reason || de.Uncertain {
			t.Errorf("%d: %+v; want permanent %v, reason %q", c.status, de, c.permanent, c.reason)
		}
		// The failure was used up: the outbox's retry goes through.
		if _, err := s.Send(context.Background(), pdTarget, trigger("k")); err != nil {
			t.Errorf("%d, then: %v", c.status, err)
		}
		if n := len(pd.Events()); n != 1 {
			t.Errorf("%d: PagerDuty accepted %d events, want 1", c.status, n)
		}
	}
}

// PagerDuty's own validation, as the fake does it: a routing key of the
// wrong length is refused for good, without the key in the reason.
func TestPagerDutyInvalidEvent(t *testing.T) {
	pd := pagertest.New(t)
	short := testKey[:31]
	s := NewSender(Options{PagerDutyURL: pd.URL(), Getenv: env(map[string]string{"PAGERDUTY_ROUTING_KEY": short})})
	_, err := s.Send(context.Background(), pdTarget, trigger("k"))
	de := deliveryError(t, err)
	want := "PagerDuty refused the event (400 invalid event: routing_key must be 32 characters)"
	if !de.Permanent || de.Reason != want || de.Code != "invalid event" || strings.Contains(de.Reason, short) {
		t.Errorf("%+v; want permanent, %q", de, want)
	}
}

// A server that quotes the key back, or an answer that is not JSON: the
// key is redacted and the reason still says what happened.
func TestPagerDutyRedactsAndRetryAfter(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/echo":
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"status":"invalid event","message":"Event object is invalid","errors":["unknown routing_key `+testKey+`"]}`)
		case "/html":
			w.WriteHeader(http.StatusBadGateway)
			_, _ = io.WriteString(w, "<html>\n<body>Bad Gateway "+testKey+"</body></html>")
		default:
			w.Header().Set("Retry-After", "42")
			w.WriteHeader(http.StatusTooManyRequests)
		}
	}))
	t.Cleanup(srv.Close)

	_, err := pdSender(srv.URL+"/echo").Send(context.Background(), pdTarget, trigger("k"))
	if de := deliveryError(t, err); de.Reason != "PagerDuty refused the event (400 invalid event: unknown routing_key [redacted])" {
		t.Errorf("echo: %q", de.Reason)
	}
	_, err = pdSender(srv.URL+"/html").Send(context.Background(), pdTarget, trigger("k"))
	if de := deliveryError(t, err); de.Permanent || de.Code != "502" || de.Reason != "PagerDuty failed (502: <html> <body>Bad Gateway [redacted]</body></html>)" {
		t.Errorf("html: %+v", de)
	}
	_, err = pdSender(srv.URL+"/busy").Send(context.Background(), pdTarget, trigger("k"))
	if de := deliveryError(t, err); de.Permanent || de.RetryAfter != 42*time.Second {
		t.Errorf("429 with Retry-After: %+v", de)
	}
}

// resetServer reads each request in full, then resets the connection:
// the request arrived, the answer never came.
func resetServer(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // close with RST
		}
		_ = conn.Close()
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// closedPort is an address nothing listens on.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

func TestPagerDutyNoAnswer(t *testing.T) {
	_, err := pdSender(resetServer(t)).Send(context.Background(), pdTarget, trigger("k"))
	if de := deliveryError(t, err); !de.Uncertain || de.Permanent || !strings.Contains(de.Reason, "which it may have received") {
		t.Errorf("reset after sending: %+v", de)
	}

	// Timed out waiting for the answer: as uncertain as a reset.
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) })
	s := NewSender(Options{PagerDutyURL: slow.URL, HTTP: &http.Client{Timeout: 200 * time.Millisecond},
		Getenv: env(map[string]string{"PAGERDUTY_ROUTING_KEY": testKey})})
	_, err = s.Send(context.Background(), pdTarget, trigger("k"))
	if de := deliveryError(t, err); !de.Uncertain || de.Permanent {
		t.Errorf("timeout after sending: %+v", de)
	}

	// Never connected: certainly not received.
	_, err = pdSender("http://"+closedPort(t)+"/v2/enqueue").Send(context.Background(), pdTarget, trigger("k"))
	if de := deliveryError(t, err); de.Uncertain || de.Permanent || !strings.HasPrefix(de.Reason, "could not reach PagerDuty (dial tcp ") {
		t.Errorf("connection refused: %+v", de)
	}
}

func TestSendRefusesBadPages(t *testing.T) {
	s := pdSender("http://" + closedPort(t))
	for _, c := range []struct {
		edit func(*Page)
		want string
	}{
		{func(p *Page) { p.Action = "escalate" }, `the page's action "escalate" is not trigger, acknowledge or resolve`},
		{func(p *Page) { p.DedupKey = "" }, "the page has no dedup key"},
		{func(p *Page) { p.DedupKey = strings.Repeat("k", 256) }, "the page's dedup key is longer than 255 characters"},
		{func(p *Page) { p.Summary = " \n " }, "the page has no summary"},
		{func(p *Page) { p.Severity = "sev1" }, `the page's severity "sev1" is not critical, error, warning or info`},
	} {
		p := trigger("k")
		c.edit(&p)
		_, err := s.Send(context.Background(), pdTarget, p)
		if de := deliveryError(t, err); !de.Permanent || de.Reason != c.want {
			t.Errorf("%+v; want permanent %q", de, c.want)
		}
	}
	_, err := s.Send(context.Background(), Target{Kind: "pager"}, trigger("k"))
	if de := deliveryError(t, err); !de.Permanent {
		t.Errorf("unknown kind: %+v", de)
	}
}
