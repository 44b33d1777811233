// Package pagertest is a fake PagerDuty for tests: an Events API v2
// endpoint that validates events as PagerDuty does and records the ones
// it accepts, and a sender of signed v3 webhooks, as PagerDuty sends when
// someone acknowledges. It imports nothing of the bot, so any package's
// tests can use it.
package pagertest

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"
)

// Event is an event the fake accepted.
type Event struct {
	RoutingKey string
	Action     string // trigger, acknowledge, resolve
	DedupKey   string // as sent, or generated for a trigger without one
	Summary    string
	Severity   string
	Source     string
	Links      []Link
	Details    map[string]string // custom_details; values that are not strings as JSON text
}

// Link is one of an event's links.
type Link struct {
	Href string `json:"href"`
	Text string `json:"text"`
}

// Server is a fake Events API v2.
type Server struct {
	srv *httptest.Server

	mu       sync.Mutex
	events   []Event
	requests int
	fail     int           // how many requests still fail
	status   int           // with this status
	changed  chan struct{} // closed and replaced when an event is accepted
}

// New starts a fake PagerDuty, closed when the test ends.
func New(t testing.TB) *Server {
	s := &Server{changed: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v2/enqueue", s.enqueue)
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the Events API endpoint, for paging.Options.PagerDutyURL.
func (s *Server) URL() string { return s.srv.URL + "/v2/enqueue" }

// Events returns the accepted events, in order.
func (s *Server) Events() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.events)
}

// Requests is how many requests reached the endpoint, accepted or not.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// Fail makes the next n requests fail with status (400, 429, 500…) and
// PagerDuty's error body for it, whatever they carry.
func (s *Server) Fail(n int, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail, s.status = n, status
}

// WaitEvents waits until at least n events have been accepted and
// returns them all; the test fails if that takes longer than timeout.
func (s *Server) WaitEvents(t testing.TB, n int, timeout time.Duration) []Event {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		got, changed := slices.Clone(s.events), s.changed
		s.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("pagertest: %d events after %v, want %d: %+v", len(got), timeout, n, got)
		}
	}
}

// wireEvent is an Events API v2 request body.
type wireEvent struct {
	RoutingKey  string `json:"routing_key"`
	EventAction string `json:"event_action"`
	DedupKey    string `json:"dedup_key"`
	Payload     *struct {
		Summary       string                     `json:"summary"`
		Source        string                     `json:"source"`
		Severity      string                     `json:"severity"`
		CustomDetails map[string]json.RawMessage `json:"custom_details"`
	} `json:"payload"`
	Links []Link `json:"links"`
}

func (s *Server) enqueue(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	failing := s.fail > 0
	if failing {
		s.fail--
	}
	status := s.status
	s.mu.Unlock()
	if failing {
		answerError(w, status)
		return
	}
	var e wireEvent
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 512<<10)).Decode(&e); err != nil {
		invalid(w, "Event object is invalid: "+err.Error())
		return
	}
	if problems := validate(&e); len(problems) > 0 {
		invalid(w, problems...)
		return
	}
	if e.DedupKey == "" {
		e.DedupKey = rand.Text() // PagerDuty makes one up and says which
	}
	s.record(e)
	writeJSON(w, http.StatusAccepted, map[string]any{"status": "success", "message": "Event processed", "dedup_key": e.DedupKey})
}

var severities = []string{"critical", "error", "warning", "info"}

// validate applies PagerDuty's rules, returning its complaints.
func validate(e *wireEvent) []string {
	var p []string
	if len(e.RoutingKey) != 32 {
		p = append(p, "routing_key must be 32 characters")
	}
	if len(e.DedupKey) > 255 {
		p = append(p, "dedup_key is longer than 255 characters")
	}
	switch e.EventAction {
	case "acknowledge", "resolve":
		if e.DedupKey == "" {
			p = append(p, "dedup_key is required for "+e.EventAction)
		}
		return p
	case "trigger":
	default:
		return append(p, fmt.Sprintf("event_action %q is not trigger, acknowledge or resolve", e.EventAction))
	}
	pl := e.Payload
	if pl == nil {
		return append(p, "payload is missing")
	}
	if pl.Summary == "" {
		p = append(p, "payload.summary is missing")
	} else if len([]rune(pl.Summary)) > 1024 {
		p = append(p, "payload.summary is longer than 1024 characters")
	}
	if pl.Source == "" {
		p = append(p, "payload.source is missing")
	}
	if !slices.Contains(severities, pl.Severity) {
		p = append(p, "payload.severity must be one of critical, error, warning, info")
	}
	return p
}

func (s *Server) record(e wireEvent) {
	ev := Event{RoutingKey: e.RoutingKey, Action: e.EventAction, DedupKey: e.DedupKey, Links: e.Links}
	if pl := e.Payload; pl != nil {
		ev.Summary, ev.Severity, ev.Source = pl.Summary, pl.Severity, pl.Source
		if pl.CustomDetails != nil {
			ev.Details = map[string]string{}
			for k, v := range pl.CustomDetails {
				var str string
				if json.Unmarshal(v, &str) == nil {
					ev.Details[k] = str
				} else {
					ev.Details[k] = string(v)
				}
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, ev)
	close(s.changed)
	s.changed = make(chan struct{})
}

func invalid(w http.ResponseWriter, errs ...string) {
	writeJSON(w, http.StatusBadRequest, map[string]any{"status": "invalid event", "message": "Event object is invalid", "errors": errs})
}

// answerError answers a forced failure with PagerDuty's body for status.
func answerError(w http.ResponseWriter, status int) {
	switch {
	case status == http.StatusBadRequest:
		invalid(w, "forced by pagertest")
	case status == http.StatusTooManyRequests:
		writeJSON(w, status, map[string]any{"status": "throttle event", "message": "Requests for this service are arriving too quickly.  Please retry later."})
	case status >= 500:
		writeJSON(w, status, map[string]any{"status": "error", "message": "Internal server error"})
	default:
		writeJSON(w, status, map[string]any{"status": http.StatusText(status), "message": "forced by pagertest"})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
