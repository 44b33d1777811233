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
		Labels: map[string]string{"alertname": "ProbeFailure"}, Links: []string{"https://grafana.example.org/d/1"}, At: received, IncidentID: inc,
		Card: "card:" + fp}
}

func addAlerts(s incidents.Store, t *testing.T, alerts ...incidents.AlertRecord) error {
	return s.AddAlerts(t.Context(), incidents.AlertBatch{Alerts: alerts})
}

func mustView(t *testing.T, s incidents.Store, card string, since time.Time) incidents.CardView {
	t.Helper()
	v, err := s.CardAlerts(t.Context(), card, since, 10)
	if err != nil {
		t.Fatalf("CardAlerts(%q): %v", card, err)
	}
	return v
}

// Every alert is kept and counted; a redelivered ID counts once; counts
// follow the since bound.
func testAlertsAddAndStats(t *testing.T, s incidents.Store) {
	t0 := us(time.Now().Add(-time.Hour))
	var batch []incidents.AlertRecord
	for i := range 50 {
		batch = append(batch, newAlert(fmt.Sprintf("fp-%d", i%3), t0.Add(time.Duration(i)*time.Second), uuid.Nil))
	}
	if err := addAlerts(s, t, batch...); err != nil {
		t.Fatalf("AddAlerts: %v", err)
	}
	if err := addAlerts(s, t, batch[:5]...); err != nil {
		t.Fatalf("AddAlerts again: %v", err)
	}
	v := mustView(t, s, "card:fp-0", t0)
	if v.Count != 17 || v.Total != 1 || v.Firing != 1 || len(v.Latest) != 1 || !v.Latest[0].ReceivedAt.Equal(t0.Add(48*time.Second)) {
		t.Errorf("card fp-0 = %+v, want 17 alerts, the last at %v", v, t0.Add(48*time.Second))
	}
	if v := mustView(t, s, "card:fp-0", t0.Add(30*time.Second)); v.Count != 7 {
		t.Errorf("count since +30s = %d, want 7", v.Count)
	}
	if v := mustView(t, s, "nope", t0); v.Count != 0 || len(v.Latest) != 0 {
		t.Errorf("an unknown card = %+v", v)
	}
}

// A bad alert in a batch stores none of it.
func testAlertsAllOrNothing(t *testing.T, s incidents.Store) {
	now := us(time.Now())
	bad := newAlert("fp-bad", now, uuid.Nil)
	bad.Status = "maybe"
	if err := addAlerts(s, t, newAlert("fp-bad", now, uuid.Nil), bad); err == nil {
		t.Fatal("AddAlerts with status maybe succeeded")
	}
	orphan := newAlert("fp-bad", now, uuid.New()) // no such incident
	if err := addAlerts(s, t, newAlert("fp-bad", now, uuid.Nil), orphan); err == nil {
		t.Fatal("AddAlerts attached to a missing incident succeeded")
	}
	if v := mustView(t, s, "card:fp-bad", now.Add(-time.Hour)); v.Count != 0 {
		t.Errorf("a failed batch left %d alerts", v.Count)
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
	if err := addAlerts(s, t,
		newAlert("fp-1", now.Add(-2*time.Hour), old.ID), newAlert("fp-1", now.Add(-time.Hour), cur.ID),
		newAlert("fp-2", now, other.ID), newAlert("fp-1", now, uuid.Nil),
	); err != nil {
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
	if err := addAlerts(s, t, first, second); err != nil {
		t.Fatal(err)
	}
	got, err := s.LatestAlert(t.Context(), "fp-x")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != second.ID || got.Title != "second" || got.Status != "resolved" || got.Labels["alertname"] != "ProbeFailure" ||
		len(got.Links) != 1 || !got.At.Equal(now) || !got.ReceivedAt.Equal(now) || got.IncidentID != uuid.Nil || got.Card != "card:fp-x" {
		t.Errorf("LatestAlert = %+v, want the second of one batch", got)
	}
}

// Declaring from a card attaches the card's loose alerts, every
// fingerprint of them, so the next alert of the problem finds the
// incident; other decisions attach nothing.
func testAlertsTriage(t *testing.T, s incidents.Store) {
	now := us(time.Now())
	other := newAlert("fp-w2", now, uuid.Nil)
	other.Card = "card:fp-w"
	if err := addAlerts(s, t, newAlert("fp-w", now, uuid.Nil), newAlert("fp-w", now, uuid.Nil), other); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LastTriage(t.Context(), "card:fp-w"); !errors.Is(err, incidents.ErrNotFound) {
		t.Fatalf("LastTriage before any: %v, want ErrNotFound", err)
	}
	if err := s.TriageAlerts(t.Context(), incidents.Triage{Card: "card:fp-w", Decision: incidents.TriageMonitor, By: "U0BOB", At: now.Add(-time.Minute)}, nil); err != nil {
		t.Fatal(err)
	}
	if got, err := s.LastTriage(t.Context(), "card:fp-w"); err != nil || got.Decision != incidents.TriageMonitor || got.By != "U0BOB" || !got.At.Equal(now.Add(-time.Minute)) {
		t.Fatalf("LastTriage = %+v, %v", got, err)
	}
	if _, err := s.AlertIncident(t.Context(), "fp-w"); !errors.Is(err, incidents.ErrNotFound) {
		t.Fatalf("monitor attached the alerts: %v", err)
	}
	if err := s.TriageAlerts(t.Context(), incidents.Triage{Card: "card:fp-w", Decision: "maybe", By: "U0BOB"}, nil); err == nil {
		t.Error("unknown decision accepted")
	}
	if err := s.TriageAlerts(t.Context(), incidents.Triage{Card: "card:fp-w", Decision: incidents.TriageDeclared, By: "U0BOB"}, nil); err == nil {
		t.Error("declared without an incident accepted")
	}
	inc, _ := mustCreate(t, s, newIncident("from triage", now), "")
	if err := s.TriageAlerts(t.Context(), incidents.Triage{Card: "card:fp-w", Decision: incidents.TriageDeclared, By: "U0BOB", IncidentID: inc.ID}, nil); err != nil {
		t.Fatal(err)
	}
	for _, fp := range []string{"fp-w", "fp-w2"} {
		got, err := s.AlertIncident(t.Context(), fp)
		if err != nil || got.ID != inc.ID {
			t.Fatalf("after declaring, %s: %q, %v", fp, got.Title, err)
		}
	}
	if l, err := s.LatestAlert(t.Context(), "fp-w"); err != nil || l.IncidentID != inc.ID {
		t.Errorf("latest alert incident = %v, %v", l.IncidentID, err)
	}
	if got, err := s.LastTriage(t.Context(), "card:fp-w"); err != nil || got.Decision != incidents.TriageDeclared || got.IncidentID != inc.ID {
		t.Errorf("LastTriage after declaring = %+v, %v", got, err)
	}
}
