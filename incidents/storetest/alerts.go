package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/incident-bot/incident-bot/incidents"
)

func newAlert(fp string, received time.Time, inc uuid.UUID) incidents.AlertRecord {
	return incidents.AlertRecord{ID: uuid.New(), ReceivedAt: received, Source: "alertmanager", Fingerprint: fp,
		Status: "firing", Severity: "critical", Title: "ProbeFailure " + fp, Text: "down for 5m",
		Labels: map[string]string{"alertname": "ProbeFailure"}, Links: []string{"https://grafana.example.org/d/1"}, At: received, IncidentID: inc}
}

func mustStats(t *testing.T, s incidents.Store, fp string, since time.Time) incidents.AlertStats {
	t.Helper()
	st, err := s.AlertStats(t.Context(), fp, since)
	if err != nil {
		t.Fatalf("AlertStats(%q): %v", fp, err)
	}
	return st
}

// Every alert is kept and counted; a redelivered ID counts once; stats
// follow the since bound.
func testAlertsAddAndStats(t *testing.T, s incidents.Store) {
	t0 := us(time.Now().Add(-time.Hour))
	var batch []incidents.AlertRecord
	for i := range 50 {
		batch = append(batch, newAlert(fmt.Sprintf("fp-%d", i%3), t0.Add(time.Duration(i)*time.Second), uuid.Nil))
	}
	if err := s.AddAlerts(t.Context(), batch, nil); err != nil {
		t.Fatalf("AddAlerts: %v", err)
	}
	if err := s.AddAlerts(t.Context(), batch[:5], nil); err != nil {
		t.Fatalf("AddAlerts again: %v", err)
	}
	st := mustStats(t, s, "fp-0", t0)
	if st.Count != 17 || !st.First.Equal(t0) || !st.Last.Equal(t0.Add(48*time.Second)) {
		t.Errorf("stats fp-0 = %+v, want 17 from %v to %v", st, t0, t0.Add(48*time.Second))
	}
	if st := mustStats(t, s, "fp-0", t0.Add(30*time.Second)); st.Count != 7 {
		t.Errorf("stats since +30s = %d, want 7", st.Count)
	}
	if st := mustStats(t, s, "nope", t0); st.Count != 0 || !st.First.IsZero() {
		t.Errorf("stats of an unknown fingerprint = %+v", st)
	}
}

// A bad alert in a batch stores none of it.
func testAlertsAllOrNothing(t *testing.T, s incidents.Store) {
	now := us(time.Now())
	bad := newAlert("fp-bad", now, uuid.Nil)
	bad.Status = "maybe"
	if err := s.AddAlerts(t.Context(), []incidents.AlertRecord{newAlert("fp-bad", now, uuid.Nil), bad}, nil); err == nil {
		t.Fatal("AddAlerts with status maybe succeeded")
	}
	orphan := newAlert("fp-bad", now, uuid.New()) // no such incident
	if err := s.AddAlerts(t.Context(), []incidents.AlertRecord{newAlert("fp-bad", now, uuid.Nil), orphan}, nil); err == nil {
		t.Fatal("AddAlerts attached to a missing incident succeeded")
	}
	if st := mustStats(t, s, "fp-bad", now.Add(-time.Hour)); st.Count != 0 {
		t.Errorf("a failed batch left %d alerts", st.Count)
	}
}

// AlertIncident finds the open incident a fingerprint is attached to, the
// newest if several, and forgets it once resolved.
func testAlertIncident(t *testing.T, s incidents.Store) {
	now := us(time.Now())
	if _, err := s.AlertIncident(t.Context(), "fp-1"); !errors.Is(err, incidents.ErrNotFound) {
		t.Fatalf("AlertIncident with no alerts: %v, want ErrNotFound", err)
	}
	old, _ := mustCreate(t, s, newIncident("old", now.Add(-2*time.Hour)), "")
	cur, _ := mustCreate(t, s, newIncident("current", now.Add(-time.Hour)), "")
	other, _ := mustCreate(t, s, newIncident("other", now), "")
	if err := s.AddAlerts(t.Context(), []incidents.AlertRecord{
		newAlert("fp-1", now.Add(-2*time.Hour), old.ID), newAlert("fp-1", now.Add(-time.Hour), cur.ID),
		newAlert("fp-2", now, other.ID), newAlert("fp-1", now, uuid.Nil),
	}, nil); err != nil {
		t.Fatal(err)
	}
	got, err := s.AlertIncident(t.Context(), "fp-1")
	if err != nil || got.ID != cur.ID {
		t.Fatalf("AlertIncident = %q, %v; want %q", got.Title, err, cur.Title)
	}
	if _, err := s.Update(t.Context(), cur.ID, "", eventsOnly(func(inc *incidents.Incident) ([]incidents.Event, error) {
		inc.Status, inc.ResolvedAt = incidents.StatusResolved, now
		return nil, nil
	})); err != nil {
		t.Fatal(err)
	}
	if got, err := s.AlertIncident(t.Context(), "fp-1"); err != nil || got.ID != old.ID {
		t.Fatalf("after resolving the newest: %q, %v; want %q", got.Title, err, old.Title)
	}
}

// LatestAlert returns the last received, with everything stored.
func testAlertsLatest(t *testing.T, s incidents.Store) {
	now := us(time.Now())
	if _, err := s.LatestAlert(t.Context(), "fp-x"); !errors.Is(err, incidents.ErrNotFound) {
		t.Fatalf("LatestAlert of nothing: %v, want ErrNotFound", err)
	}
	first, second := newAlert("fp-x", now, uuid.Nil), newAlert("fp-x", now, uuid.Nil)
	second.Title, second.Status = "second", "resolved"
	if err := s.AddAlerts(t.Context(), []incidents.AlertRecord{first, second}, nil); err != nil {
		t.Fatal(err)
	}
	got, err := s.LatestAlert(t.Context(), "fp-x")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != second.ID || got.Title != "second" || got.Status != "resolved" || got.Labels["alertname"] != "ProbeFailure" ||
		len(got.Links) != 1 || !got.At.Equal(now) || !got.ReceivedAt.Equal(now) || got.IncidentID != uuid.Nil {
		t.Errorf("LatestAlert = %+v, want the second of one batch", got)
	}
}

// Declaring from triage attaches the loose alerts, so the next alert of
// the condition finds the incident; other decisions attach nothing.
func testAlertsTriage(t *testing.T, s incidents.Store) {
	now := us(time.Now())
	if err := s.AddAlerts(t.Context(), []incidents.AlertRecord{newAlert("fp-w", now, uuid.Nil), newAlert("fp-w", now, uuid.Nil)}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LastTriage(t.Context(), "fp-w"); !errors.Is(err, incidents.ErrNotFound) {
		t.Fatalf("LastTriage before any: %v, want ErrNotFound", err)
	}
	if err := s.TriageAlerts(t.Context(), incidents.Triage{Fingerprint: "fp-w", Decision: incidents.TriageMonitor, By: "U0BOB", At: now.Add(-time.Minute)}, nil); err != nil {
		t.Fatal(err)
	}
	if got, err := s.LastTriage(t.Context(), "fp-w"); err != nil || got.Decision != incidents.TriageMonitor || got.By != "U0BOB" || !got.At.Equal(now.Add(-time.Minute)) {
		t.Fatalf("LastTriage = %+v, %v", got, err)
	}
	if _, err := s.AlertIncident(t.Context(), "fp-w"); !errors.Is(err, incidents.ErrNotFound) {
		t.Fatalf("monitor attached the alerts: %v", err)
	}
	if err := s.TriageAlerts(t.Context(), incidents.Triage{Fingerprint: "fp-w", Decision: "maybe", By: "U0BOB"}, nil); err == nil {
		t.Error("unknown decision accepted")
	}
	if err := s.TriageAlerts(t.Context(), incidents.Triage{Fingerprint: "fp-w", Decision: incidents.TriageDeclared, By: "U0BOB"}, nil); err == nil {
		t.Error("declared without an incident accepted")
	}
	inc, _ := mustCreate(t, s, newIncident("from triage", now), "")
	if err := s.TriageAlerts(t.Context(), incidents.Triage{Fingerprint: "fp-w", Decision: incidents.TriageDeclared, By: "U0BOB", IncidentID: inc.ID}, nil); err != nil {
		t.Fatal(err)
	}
	got, err := s.AlertIncident(t.Context(), "fp-w")
	if err != nil || got.ID != inc.ID {
		t.Fatalf("after declaring: %q, %v", got.Title, err)
	}
	if l, err := s.LatestAlert(t.Context(), "fp-w"); err != nil || l.IncidentID != inc.ID {
		t.Errorf("latest alert incident = %v, %v", l.IncidentID, err)
	}
	if got, err := s.LastTriage(t.Context(), "fp-w"); err != nil || got.Decision != incidents.TriageDeclared || got.IncidentID != inc.ID {
		t.Errorf("LastTriage after declaring = %+v, %v", got, err)
	}
}
