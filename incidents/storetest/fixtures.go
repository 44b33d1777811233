package storetest

import (
	"fmt"
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/incident-bot/incident-bot/incidents"
)

// base is an arbitrary declaration time, deliberately not in UTC and with
// nanoseconds, so the suite sees what the stores do to times.
func base() time.Time {
	return time.Date(2025, 3, 14, 9, 26, 53, 589_793_238, time.FixedZone("CET", 3600))
}

// us is what a store keeps of a time: UTC, microseconds.
func us(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func newIncident(title string, declared time.Time) incidents.Incident {
	return incidents.Incident{
		ID:                 uuid.New(),
		Title:              title,
		Description:        "what " + title + " is about",
		Severity:           incidents.Sev2,
		Status:             incidents.StatusInvestigating,
		Commander:          "U0COMMANDER",
		Reporter:           "U0REPORTER",
		DeclaredAt:         declared,
		UpdatedAt:          declared,
		LastStatusUpdateAt: declared,
	}
}

func newEvent(inc incidents.Incident, at time.Time, kind incidents.EventKind, text string) incidents.Event {
	return incidents.Event{ID: uuid.New(), IncidentID: inc.ID, At: at, Actor: inc.Reporter, Kind: kind, Text: text,
		Data: map[string]string{"text": text}}
}

// mustCreate declares inc with one "declared" event and returns the stored
// incident and its events.
func mustCreate(t *testing.T, s incidents.Store, inc incidents.Incident, key string) (incidents.Incident, []incidents.Event) {
	t.Helper()
	events := []incidents.Event{newEvent(inc, inc.DeclaredAt, incidents.EventDeclared, "Declared "+inc.Title)}
	got, err := s.Create(t.Context(), inc, incidents.Change{Events: events}, key)
	if err != nil {
		t.Fatalf("Create(%q): %v", inc.Title, err)
	}
	return got, events
}

func mustGet(t *testing.T, s incidents.Store, id uuid.UUID) incidents.Incident {
	t.Helper()
	inc, err := s.Get(t.Context(), id)
	if err != nil {
		t.Fatalf("Get(%s): %v", id, err)
	}
	return inc
}

func mustTimeline(t *testing.T, s incidents.Store, id uuid.UUID) []incidents.Event {
	t.Helper()
	evs, err := s.Timeline(t.Context(), id)
	if err != nil {
		t.Fatalf("Timeline(%s): %v", id, err)
	}
	return evs
}

func mustList(t *testing.T, s incidents.Store, f incidents.ListFilter) []incidents.Incident {
	t.Helper()
	list, err := s.List(t.Context(), f)
	if err != nil {
		t.Fatalf("List(%+v): %v", f, err)
	}
	return list
}

// checkIncident fails t unless got is want as a store keeps it.
func checkIncident(t *testing.T, what string, got, want incidents.Incident) {
	t.Helper()
	var diffs []string
	eq := func(field string, g, w any) {
		if g != w {
			diffs = append(diffs, fmt.Sprintf("%s = %v, want %v", field, g, w))
		}
	}
	eqTime := func(field string, g, w time.Time) {
		if !g.Equal(us(w)) {
			diffs = append(diffs, fmt.Sprintf("%s = %v, want %v", field, g, us(w)))
		}
	}
	eq("ID", got.ID, want.ID)
	eq("Number", got.Number, want.Number)
	eq("Title", got.Title, want.Title)
	eq("Description", got.Description, want.Description)
	eq("Severity", got.Severity, want.Severity)
	eq("Status", got.Status, want.Status)
	eq("Commander", got.Commander, want.Commander)
	eq("Reporter", got.Reporter, want.Reporter)
	eq("ChannelID", got.ChannelID, want.ChannelID)
	eq("ChannelName", got.ChannelName, want.ChannelName)
	eq("HeaderTS", got.HeaderTS, want.HeaderTS)
	eq("Summary", got.Summary, want.Summary)
	eqTime("DeclaredAt", got.DeclaredAt, want.DeclaredAt)
	eqTime("UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	eqTime("MitigatedAt", got.MitigatedAt, want.MitigatedAt)
	eqTime("ResolvedAt", got.ResolvedAt, want.ResolvedAt)
	eqTime("LastStatusUpdateAt", got.LastStatusUpdateAt, want.LastStatusUpdateAt)
	eqTime("RemindAt", got.RemindAt, want.RemindAt)
	eqTime("EscalateAt", got.EscalateAt, want.EscalateAt)
	eq("EscalationLevel", got.EscalationLevel, want.EscalationLevel)
	eq("ReminderSnoozed", got.ReminderSnoozed, want.ReminderSnoozed)
	eqTime("AckDueAt", got.AckDueAt, want.AckDueAt)
	eqTime("AcknowledgedAt", got.AcknowledgedAt, want.AcknowledgedAt)
	eq("AcknowledgedBy", got.AcknowledgedBy, want.AcknowledgedBy)
	if !reflect.DeepEqual(got.Paged, want.Paged) {
		diffs = append(diffs, fmt.Sprintf("Paged = %+v, want %+v", got.Paged, want.Paged))
	}
	if len(diffs) > 0 {
		t.Errorf("%s:\n\t%s", what, strings.Join(diffs, "\n\t"))
	}
}

// checkTimeline fails t unless got holds want's events, in want's order.
func checkTimeline(t *testing.T, what string, got, want []incidents.Event) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d events, want %d:\n\tgot  %s\n\twant %s", what, len(got), len(want), texts(got), texts(want))
		return
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.ID != w.ID || g.IncidentID != w.IncidentID || !g.At.Equal(us(w.At)) || g.Actor != w.Actor ||
			g.Kind != w.Kind || g.Text != w.Text || !maps.Equal(g.Data, w.Data) {
			t.Errorf("%s: event %d = %+v, want %+v", what, i, g, w)
		}
	}
}

func texts(evs []incidents.Event) string {
	s := make([]string, len(evs))
	for i, ev := range evs {
		s[i] = ev.Text
	}
	return fmt.Sprintf("%q", s)
}

// eventsOnly adapts an update that only records events to Store.Update.
func eventsOnly(fn func(*incidents.Incident) ([]incidents.Event, error)) func(*incidents.Incident) (incidents.Change, error) {
	return func(inc *incidents.Incident) (incidents.Change, error) {
		evs, err := fn(inc)
		return incidents.Change{Events: evs}, err
	}
}
