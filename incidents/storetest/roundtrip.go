package storetest

import (
	"testing"
	"time"

	"github.com/incident-bot/incident-bot/incidents"
)

func testRoundTripTimesAndData(t *testing.T, s incidents.Store) {
	zone := time.FixedZone("PDT", -7*3600)
	want := newIncident("times", time.Date(2024, 7, 1, 23, 59, 59, 999_999_999, zone))
	want.UpdatedAt = want.DeclaredAt.Add(time.Minute + 1234*time.Nanosecond)
	want.MitigatedAt = want.DeclaredAt.Add(2 * time.Minute)
	want.ResolvedAt = want.DeclaredAt.Add(3*time.Minute + 1)
	want.LastStatusUpdateAt = want.DeclaredAt.Add(4 * time.Minute)
	want.Status = incidents.StatusResolved
	want.Title, want.Summary = `quotes " ' \ and ünïcødé 🔥`, "line one\nline two\ttabbed"
	ev := newEvent(want, want.DeclaredAt.Add(5*time.Nanosecond), incidents.EventKind("kind_added_later"), "data")
	ev.Data = map[string]string{"from": "sev3", "empty": "", `"quoted"`: `{"json":true}`, "ünï": "🔥\n\x01"}
	bare := newEvent(want, want.DeclaredAt.Add(time.Second), incidents.EventNote, "no data")
	bare.Data = nil

	got, err := s.Create(t.Context(), want, incidents.Change{Events: []incidents.Event{ev, bare}}, "")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	want.Number = got.Number
	stored := mustGet(t, s, want.ID)
	checkIncident(t, "Get", stored, want)
	for name, tm := range map[string]time.Time{"DeclaredAt": stored.DeclaredAt, "UpdatedAt": stored.UpdatedAt,
		"MitigatedAt": stored.MitigatedAt, "ResolvedAt": stored.ResolvedAt, "LastStatusUpdateAt": stored.LastStatusUpdateAt} {
		if tm.Location() != time.UTC {
			t.Errorf("%s is in %v, want UTC", name, tm.Location())
		}
	}
	evs := mustTimeline(t, s, want.ID)
	checkTimeline(t, "Timeline", evs, []incidents.Event{ev, bare})
	if len(evs) == 2 && evs[0].At.Location() != time.UTC {
		t.Errorf("event time is in %v, want UTC", evs[0].At.Location())
	}
}

func testRoundTripZeroTimes(t *testing.T, s incidents.Store) {
	want, _ := mustCreate(t, s, newIncident("zero", base()), "")
	got := mustGet(t, s, want.ID)
	if !got.MitigatedAt.IsZero() || !got.ResolvedAt.IsZero() {
		t.Fatalf("new incident: MitigatedAt = %v, ResolvedAt = %v; want zero", got.MitigatedAt, got.ResolvedAt)
	}
	set := func(at time.Time) {
		t.Helper()
		if _, err := s.Update(t.Context(), want.ID, "", eventsOnly(func(inc *incidents.Incident) ([]incidents.Event, error) {
			inc.MitigatedAt = at
			return nil, nil
		})); err != nil {
			t.Fatalf("Update: %v", err)
		}
	}
	set(base().Add(time.Hour))
	if got := mustGet(t, s, want.ID); !got.MitigatedAt.Equal(us(base().Add(time.Hour))) {
		t.Errorf("MitigatedAt = %v, want %v", got.MitigatedAt, us(base().Add(time.Hour)))
	}
	set(time.Time{}) // back to investigating clears it
	if got := mustGet(t, s, want.ID); !got.MitigatedAt.IsZero() {
		t.Errorf("MitigatedAt = %v after clearing, want zero", got.MitigatedAt)
	}
}

// testUnstorableText: NUL and invalid UTF-8, which PostgreSQL refuses,
// are stored as U+FFFD wherever text goes, so one bad field never blocks
// a write (and a sender retrying it, for ever).
func testUnstorableText(t *testing.T, s incidents.Store) {
	bad := "db\x00down \xff"
	inc := newIncident(bad, base())
	ev := newEvent(inc, base(), incidents.EventDeclared, bad)
	ev.Data = map[string]string{"k\x00": bad}
	got, err := s.Create(t.Context(), inc, incidents.Change{Events: []incidents.Event{ev},
		Effects: []incidents.Effect{{Key: "e", Kind: incidents.EffectPost, Event: ev, Data: map[string]string{"to": bad}}}}, "")
	if err != nil {
		t.Fatalf("Create with NUL and invalid UTF-8: %v", err)
	}
	want := "db\uFFFDdown \uFFFD"
	if got.Title != want {
		t.Errorf("title stored as %q, want %q", got.Title, want)
	}
	evs := mustTimeline(t, s, got.ID)
	if evs[0].Text != want || evs[0].Data["k\uFFFD"] != want {
		t.Errorf("event stored as %q %v", evs[0].Text, evs[0].Data)
	}
	alert := incidents.AlertRecord{Source: bad, Fingerprint: bad, Status: "firing", Severity: "warning", Title: bad, Text: bad,
		Labels: map[string]string{bad: bad}, Links: []string{bad}}
	if err := s.AddAlerts(t.Context(), incidents.AlertBatch{Alerts: []incidents.AlertRecord{alert}}); err != nil {
		t.Fatalf("AddAlerts with NUL and invalid UTF-8: %v", err)
	}
	a, err := s.LatestAlert(t.Context(), want)
	if err != nil || a.Title != want || a.Labels[want] != want || a.Links[0] != want {
		t.Errorf("alert stored as %+v (%v)", a, err)
	}
}
