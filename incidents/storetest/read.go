package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/incident-bot/incident-bot/incidents"
)

func testGetNotFound(t *testing.T, s incidents.Store) {
	if _, err := s.Get(t.Context(), uuid.New()); !errors.Is(err, incidents.ErrNotFound) {
		t.Errorf("Get(unknown): err = %v, want ErrNotFound", err)
	}
}

func testByChannel(t *testing.T, s incidents.Store) {
	want := newIncident("with channel", base())
	want.ChannelID, want.ChannelName = "C0FOUND", "inc-found"
	want, _ = mustCreate(t, s, want, "")
	mustCreate(t, s, newIncident("without channel", base()), "")

	got, err := s.ByChannel(t.Context(), "C0FOUND")
	if err != nil {
		t.Fatalf("ByChannel: %v", err)
	}
	checkIncident(t, "ByChannel", got, want)
	for _, ch := range []string{"C0UNKNOWN", ""} {
		if _, err := s.ByChannel(t.Context(), ch); !errors.Is(err, incidents.ErrNotFound) {
			t.Errorf("ByChannel(%q): err = %v, want ErrNotFound", ch, err)
		}
	}
}

// seed declares incidents out of order: titles name their declaration
// order, oldest first.
func seed(t *testing.T, s incidents.Store) map[string]incidents.Incident {
	t.Helper()
	byTitle := map[string]incidents.Incident{}
	for _, c := range []struct {
		title string
		at    time.Duration
	}{{"second", 0}, {"fourth", 2 * time.Hour}, {"first", -time.Hour}, {"third", time.Hour}} {
		inc, _ := mustCreate(t, s, newIncident(c.title, base().Add(c.at)), "")
		byTitle[c.title] = inc
	}
	return byTitle
}

func titles(list []incidents.Incident) []string {
	out := make([]string, len(list))
	for i, inc := range list {
		out[i] = inc.Title
	}
	return out
}

func checkTitles(t *testing.T, what string, list []incidents.Incident, want ...string) {
	t.Helper()
	got := titles(list)
	if len(got) != len(want) {
		t.Errorf("%s = %q, want %q", what, got, want)
		return
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%s = %q, want %q", what, got, want)
			return
		}
	}
}

func testListOrder(t *testing.T, s incidents.Store) {
	checkTitles(t, "List of an empty store", mustList(t, s, incidents.ListFilter{}))
	byTitle := seed(t, s)
	list := mustList(t, s, incidents.ListFilter{})
	checkTitles(t, "List", list, "fourth", "third", "second", "first")
	if len(list) > 0 {
		checkIncident(t, "List[0]", list[0], byTitle["fourth"])
	}
}

func testListOpenOnly(t *testing.T, s incidents.Store) {
	byTitle := seed(t, s)
	_, err := s.Update(t.Context(), byTitle["third"].ID, "", eventsOnly(func(inc *incidents.Incident) ([]incidents.Event, error) {
		inc.Status, inc.ResolvedAt = incidents.StatusResolved, base().Add(3*time.Hour)
		return nil, nil
	}))

	if err != nil {
		t.Fatalf("resolve: %v", err)
	}
	checkTitles(t, "List(OpenOnly)", mustList(t, s, incidents.ListFilter{OpenOnly: true}), "fourth", "second", "first")
	checkTitles(t, "List(OpenOnly, Limit 2)", mustList(t, s, incidents.ListFilter{OpenOnly: true, Limit: 2}), "fourth", "second")
	checkTitles(t, "List", mustList(t, s, incidents.ListFilter{}), "fourth", "third", "second", "first")
}

func testListLimit(t *testing.T, s incidents.Store) {
	seed(t, s)
	checkTitles(t, "List(Limit 2)", mustList(t, s, incidents.ListFilter{Limit: 2}), "fourth", "third")
	checkTitles(t, "List(Limit 10)", mustList(t, s, incidents.ListFilter{Limit: 10}), "fourth", "third", "second", "first")
}

func testTimelineOrder(t *testing.T, s incidents.Store) {
	inc := newIncident("ordering", base())
	at := base()
	first := newEvent(inc, at, incidents.EventDeclared, "first at t")
	second := newEvent(inc, at, incidents.EventChannelCreated, "second at t")
	if _, err := s.Create(t.Context(), inc, incidents.Change{Events: []incidents.Event{first, second}}, ""); err != nil {
		t.Fatalf("Create: %v", err)
	}
	third := newEvent(inc, at, incidents.EventNote, "third at t")
	earlier := newEvent(inc, at.Add(-time.Minute), incidents.EventNote, "recorded late, happened earlier")
	// Nanoseconds apart: equal once stored at microsecond precision.
	fourth := newEvent(inc, at.Add(time.Nanosecond), incidents.EventNote, "fourth at t")
	if _, err := s.Update(t.Context(), inc.ID, "", eventsOnly(func(*incidents.Incident) ([]incidents.Event, error) {
		return []incidents.Event{third, earlier, fourth}, nil
	})); err != nil {
		t.Fatalf("Update: %v", err)
	}
	checkTimeline(t, "Timeline", mustTimeline(t, s, inc.ID), []incidents.Event{earlier, first, second, third, fourth})
}

func testTimelineNotFound(t *testing.T, s incidents.Store) {
	if _, err := s.Timeline(t.Context(), uuid.New()); !errors.Is(err, incidents.ErrNotFound) {
		t.Errorf("Timeline(unknown): err = %v, want ErrNotFound", err)
	}
}
