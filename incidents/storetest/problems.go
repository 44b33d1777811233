package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/incident-bot/incident-bot/incidents"
)

// An incident created with alert keys is found by each of them while
// open and within since; the count of incidents opened under a key
// names the next one alike everywhere; a resolved one is not found.
func testAlertKeys(t *testing.T, s incidents.Store) {
	now := us(time.Now())
	if _, n, err := s.KeyedIncident(t.Context(), "group:g1", now.Add(-time.Hour)); !errors.Is(err, incidents.ErrNotFound) || n != 0 {
		t.Fatalf("KeyedIncident of nothing: %d, %v; want 0, ErrNotFound", n, err)
	}
	inc := newIncident("group one", now.Add(-10*time.Minute))
	inc, err := s.Create(t.Context(), inc, incidents.Change{AlertKeys: []string{"group:g1", "svc:api|rb:high-error-rate"}}, "alert:group:g1:1")
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"group:g1", "svc:api|rb:high-error-rate"} {
		got, n, err := s.KeyedIncident(t.Context(), key, now.Add(-time.Hour))
		if err != nil || got.ID != inc.ID || n != 1 {
			t.Errorf("KeyedIncident(%q) = %q, %d, %v; want %q, 1", key, got.Title, n, err, inc.Title)
		}
	}
	if _, n, err := s.KeyedIncident(t.Context(), "svc:api|rb:high-error-rate", now.Add(-time.Minute)); !errors.Is(err, incidents.ErrNotFound) || n != 1 {
		t.Errorf("opened before since: %d, %v; want 1, ErrNotFound", n, err)
	}
	if _, err := s.Create(t.Context(), newIncident("bad key", now), incidents.Change{AlertKeys: []string{""}}, ""); err == nil {
		t.Error("an empty alert key was accepted")
	}
	if _, err := s.Update(t.Context(), inc.ID, "", func(*incidents.Incident) (incidents.Change, error) {
		return incidents.Change{AlertKeys: []string{"group:g2"}}, nil
	}); err != nil {
		t.Fatal(err)
	}
	if got, n, err := s.KeyedIncident(t.Context(), "group:g2", time.Time{}); err != nil || got.ID != inc.ID || n != 1 {
		t.Errorf("a key added by Update: %q, %d, %v; want %q", got.Title, n, err, inc.Title)
	}
	resolve(t, s, inc.ID, now)
	if _, n, err := s.KeyedIncident(t.Context(), "group:g1", now.Add(-time.Hour)); !errors.Is(err, incidents.ErrNotFound) || n != 1 {
		t.Errorf("after resolving: %d, %v; want 1, ErrNotFound", n, err)
	}
}

func resolve(t *testing.T, s incidents.Store, id uuid.UUID, at time.Time) {
	t.Helper()
	if _, err := s.Update(t.Context(), id, "", eventsOnly(func(inc *incidents.Incident) ([]incidents.Event, error) {
		inc.Status, inc.ResolvedAt = incidents.StatusResolved, at
		return nil, nil
	})); err != nil {
		t.Fatal(err)
	}
}

// Cards are stored with their batch, once per key and epoch; the view of
// a card has the latest alert of each fingerprint and counts those firing.
func testTriageCards(t *testing.T, s incidents.Store) {
	now := us(time.Now())
	if _, err := s.LatestCard(t.Context(), "card:c"); !errors.Is(err, incidents.ErrNotFound) {
		t.Fatalf("LatestCard of nothing: %v", err)
	}
	a1, a2, a3 := newAlert("fp-c1", now, uuid.Nil), newAlert("fp-c2", now.Add(time.Second), uuid.Nil), newAlert("fp-c1", now.Add(2*time.Second), uuid.Nil)
	a2.Card, a3.Card = a1.Card, a1.Card
	a3.Status = "resolved"
	card := incidents.TriageCard{Key: a1.Card, Epoch: 1, OpenedAt: now}
	post := incidents.Effect{Key: "triage:" + a1.Card + ":1", Lane: "triage:" + a1.Card, Kind: incidents.EffectTriage}
	for range 2 { // the second time as another replica would: kept once
		if err := s.AddAlerts(t.Context(), incidents.AlertBatch{Alerts: []incidents.AlertRecord{a1, a2}, Effects: []incidents.Effect{post}, Cards: []incidents.TriageCard{card}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := addAlerts(s, t, a3); err != nil {
		t.Fatal(err)
	}
	if got, err := s.LatestCard(t.Context(), a1.Card); err != nil || got.Epoch != 1 || !got.OpenedAt.Equal(now) {
		t.Errorf("LatestCard = %+v, %v", got, err)
	}
	if effs, err := s.Effects(t.Context(), post.Lane); err != nil || len(effs) != 1 {
		t.Errorf("card effects = %d, %v; want 1", len(effs), err)
	}
	v := mustView(t, s, a1.Card, now)
	if v.Count != 3 || v.Total != 2 || v.Firing != 1 || len(v.Latest) != 2 || v.Latest[0].ID != a3.ID || v.Latest[1].ID != a2.ID {
		t.Errorf("view = %+v; want 3 alerts, 2 fingerprints, 1 firing, latest c1 (resolved) then c2", v)
	}
	if v, _ := s.CardAlerts(t.Context(), a1.Card, now, 1); len(v.Latest) != 1 || v.Total != 2 {
		t.Errorf("view limited to 1 = %+v", v)
	}
	if err := s.AddAlerts(t.Context(), incidents.AlertBatch{Cards: []incidents.TriageCard{{Key: a1.Card, Epoch: 2, OpenedAt: now.Add(time.Hour)}}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.LatestCard(t.Context(), a1.Card); got.Epoch != 2 {
		t.Errorf("latest epoch = %d, want 2", got.Epoch)
	}
}

// StillFiring lists the incident's fingerprints whose latest alert fires.
func testStillFiring(t *testing.T, s incidents.Store) {
	now := us(time.Now())
	inc, _ := mustCreate(t, s, newIncident("firing", now), "")
	up, down := newAlert("fp-up", now, inc.ID), newAlert("fp-down", now, inc.ID)
	back := newAlert("fp-down", now.Add(time.Second), inc.ID)
	back.Status = "resolved"
	if err := addAlerts(s, t, up, down, back); err != nil {
		t.Fatal(err)
	}
	got, err := s.StillFiring(t.Context(), inc.ID)
	if err != nil || len(got) != 1 || got[0].Fingerprint != "fp-up" {
		t.Fatalf("StillFiring = %+v, %v; want fp-up alone", got, err)
	}
}
