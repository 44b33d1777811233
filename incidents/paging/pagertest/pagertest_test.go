package pagertest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

const key = "0123456789abcdef0123456789abcdef"

func post(t *testing.T, url, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("answer %q: %v", b, err)
	}
	return resp.StatusCode, m
}

func TestValidation(t *testing.T) {
	s := New(t)
	payload := `"payload":{"summary":"s","source":"src","severity":"critical"}`
	for _, c := range []struct{ body, want string }{
		{`{"routing_key":"short","event_action":"trigger","dedup_key":"k",` + payload + `}`, "routing_key must be 32 characters"},
		{`{"routing_key":"` + key + `","event_action":"escalate","dedup_key":"k"}`, `event_action "escalate" is not trigger, acknowledge or resolve`},
		{`{"routing_key":"` + key + `","event_action":"acknowledge"}`, "dedup_key is required for acknowledge"},
		{`{"routing_key":"` + key + `","event_action":"resolve","dedup_key":""}`, "dedup_key is required for resolve"},
		{`{"routing_key":"` + key + `","event_action":"trigger"}`, "payload is missing"},
		{`{"routing_key":"` + key + `","event_action":"trigger","payload":{"source":"src","severity":"critical"}}`, "payload.summary is missing"},
		{`{"routing_key":"` + key + `","event_action":"trigger","payload":{"summary":"s","severity":"critical"}}`, "payload.source is missing"},
		{`{"routing_key":"` + key + `","event_action":"trigger","payload":{"summary":"s","source":"src","severity":"sev1"}}`, "payload.severity must be one of critical, error, warning, info"},
		{`{"routing_key":`, "Event object is invalid"},
	} {
		status, m := post(t, s.URL(), c.body)
		if status != 400 || m["status"] != "invalid event" || !strings.Contains(fmt.Sprint(m["errors"]), c.want) {
			t.Errorf("%s: %d %v; want 400 invalid event with %q", c.body, status, m, c.want)
		}
	}
	if n := len(s.Events()); n != 0 {
		t.Errorf("%d invalid events recorded", n)
	}

	// A trigger without a dedup key gets one, and says which.
	status, m := post(t, s.URL(), `{"routing_key":"`+key+`","event_action":"trigger",`+payload+`}`)
	got := s.WaitEvents(t, 1, time.Second)
	if status != 202 || m["status"] != "success" || m["dedup_key"] == "" || m["dedup_key"] != got[0].DedupKey {
		t.Errorf("trigger without dedup_key: %d %v; recorded %+v", status, m, got)
	}
	if s.Requests() != 10 {
		t.Errorf("%d requests counted, want 10", s.Requests())
	}
}

func TestFailThenAccept(t *testing.T) {
	s := New(t)
	s.Fail(2, 500)
	body := `{"routing_key":"` + key + `","event_action":"resolve","dedup_key":"k"}`
	for i := range 2 {
		if status, m := post(t, s.URL(), body); status != 500 || m["status"] != "error" {
			t.Errorf("request %d: %d %v, want 500", i+1, status, m)
		}
	}
	if status, _ := post(t, s.URL(), body); status != 202 {
		t.Errorf("after the failures: %d, want 202", status)
	}
	if got := s.Events(); len(got) != 1 || got[0].Action != "resolve" || got[0].DedupKey != "k" || got[0].RoutingKey != key {
		t.Errorf("events %+v", got)
	}
}
