package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/incident-bot/incident-bot/incidents"
)

// RunReopen checks that data survives closing and reopening a store.
// prepare sets up an empty location (a file, a database) for t and returns
// a function opening a store there; each call must open a new Store on the
// same data. The suite closes the stores itself.
func RunReopen(t *testing.T, prepare func(t *testing.T) (open func() incidents.Store)) {
	open := prepare(t)

	first := open()
	want, events := mustCreate(t, first, newIncident("durable", base()), "key-durable")
	ev := newEvent(want, base().Add(time.Minute), incidents.EventNote, "noted")
	if _, err := first.Update(t.Context(), want.ID, "", eventsOnly(func(inc *incidents.Incident) ([]incidents.Event, error) {
		inc.ChannelID = "C0DURABLE"
		return []incidents.Event{ev}, nil
	})); err != nil {
		t.Fatalf("Update: %v", err)
	}
	want.ChannelID, events = "C0DURABLE", append(events, ev)
	if !mustClaim(t, first, "digest/durable") {
		t.Fatal("Claim of a new key = false, want true")
	}
	if err := first.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	second := open()
	defer second.Close()
	checkIncident(t, "Get after reopening", mustGet(t, second, want.ID), want)
	checkTimeline(t, "Timeline after reopening", mustTimeline(t, second, want.ID), events)
	if got, err := second.ByChannel(t.Context(), "C0DURABLE"); err != nil || got.ID != want.ID {
		t.Errorf("ByChannel after reopening = %s, %v; want %s", got.ID, err, want.ID)
	}
	if _, err := second.Create(t.Context(), newIncident("again", base()), incidents.Change{Events: nil}, "key-durable"); !errors.Is(err, incidents.ErrDuplicate) {
		t.Errorf("Create with a key used before reopening: err = %v, want ErrDuplicate", err)
	}
	if mustClaim(t, second, "digest/durable") {
		t.Error("Claim of a key claimed before reopening = true, want false")
	}
	next, _ := mustCreate(t, second, newIncident("next", base()), "")
	if next.Number <= want.Number {
		t.Errorf("number after reopening = %d, want more than %d", next.Number, want.Number)
	}
}
