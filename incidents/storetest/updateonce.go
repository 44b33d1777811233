package storetest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/incident-bot/incident-bot/incidents"
)

// mustNotRun is an UpdateOnce fn for calls that must not reach it.
func mustNotRun(t *testing.T, what string) func(*incidents.Incident) ([]incidents.Event, error) {
	return func(inc *incidents.Incident) ([]incidents.Event, error) {
		t.Errorf("%s: fn called", what)
		inc.Title = "must not be stored"
		return []incidents.Event{newEvent(*inc, base(), incidents.EventNote, "must not be stored")}, nil
	}
}

// note appends x to the summary and adds one event: a change whose every
// application shows.
func note(at time.Time, text string) func(*incidents.Incident) ([]incidents.Event, error) {
	id := uuid.New() // the same event ID for every call: fn may run more than once
	return func(inc *incidents.Incident) ([]incidents.Event, error) {
		inc.Summary += "x"
		ev := newEvent(*inc, at, incidents.EventNote, text)
		ev.ID = id
		return []incidents.Event{ev}, nil
	}
}

func testUpdateOnceDuplicate(t *testing.T, s incidents.Store) {
	want, events := mustCreate(t, s, newIncident("before", base()), "")
	now := base().Add(10 * time.Minute)
	ev := newEvent(want, now, incidents.EventMitigated, "Mitigated")
	first, err := s.Update(t.Context(), want.ID, "view-1", eventsOnly(func(inc *incidents.Incident) ([]incidents.Event, error) {
		inc.Title, inc.Status, inc.MitigatedAt, inc.UpdatedAt = "after", incidents.StatusMitigated, now, now
		return []incidents.Event{ev}, nil
	}))

	if err != nil {
		t.Fatalf("first UpdateOnce: %v", err)
	}
	want.Title, want.Status, want.MitigatedAt, want.UpdatedAt = "after", incidents.StatusMitigated, now, now
	checkIncident(t, "first UpdateOnce result", first, want)
	events = append(events, ev)

	got, err := s.Update(t.Context(), want.ID, "view-1", eventsOnly(mustNotRun(t, "UpdateOnce with a used key")))
	if !errors.Is(err, incidents.ErrDuplicate) {
		t.Fatalf("UpdateOnce with a used key: err = %v, want ErrDuplicate", err)
	}
	checkIncident(t, "UpdateOnce with a used key", got, want)
	checkIncident(t, "Get after a duplicate UpdateOnce", mustGet(t, s, want.ID), want)
	checkTimeline(t, "Timeline after a duplicate UpdateOnce", mustTimeline(t, s, want.ID), events)

	// Another key is another change.
	if _, err := s.Update(t.Context(), want.ID, "view-2", eventsOnly(note(now, "second view"))); err != nil {
		t.Errorf("UpdateOnce with a new key: %v", err)
	}
}

func testUpdateOnceFnError(t *testing.T, s incidents.Store) {
	want, events := mustCreate(t, s, newIncident("unchanged", base()), "")
	refused := errors.New("refused by fn")
	_, err := s.Update(t.Context(), want.ID, "click-1", eventsOnly(func(inc *incidents.Incident) ([]incidents.Event, error) {
		inc.Title = "changed"
		return []incidents.Event{newEvent(*inc, base(), incidents.EventNote, "must not be stored")}, refused
	}))

	if !errors.Is(err, refused) {
		t.Fatalf("UpdateOnce: err = %v, want fn's error", err)
	}
	checkIncident(t, "Get after a refused UpdateOnce", mustGet(t, s, want.ID), want)
	checkTimeline(t, "Timeline after a refused UpdateOnce", mustTimeline(t, s, want.ID), events)

	// The refusal left the key unused: the retry runs, once.
	ran := false
	if _, err := s.Update(t.Context(), want.ID, "click-1", eventsOnly(func(inc *incidents.Incident) ([]incidents.Event, error) {
		ran = true
		return nil, nil
	})); err != nil {
		t.Fatalf("UpdateOnce retried after fn's error: %v", err)
	}
	if !ran {
		t.Error("UpdateOnce retried after fn's error did not call fn")
	}
	if _, err := s.Update(t.Context(), want.ID, "click-1", eventsOnly(mustNotRun(t, "third UpdateOnce"))); !errors.Is(err, incidents.ErrDuplicate) {
		t.Errorf("third UpdateOnce: err = %v, want ErrDuplicate", err)
	}
}

// A change that fn accepts but the store refuses also leaves the key
// unused: the key is written in the same transaction as the change.
func testUpdateOnceWriteError(t *testing.T, s incidents.Store) {
	owner := newIncident("owner", base())
	owner.ChannelID = "C0TAKEN"
	mustCreate(t, s, owner, "")
	want, events := mustCreate(t, s, newIncident("other", base()), "")

	take := func(inc *incidents.Incident) ([]incidents.Event, error) {
		inc.ChannelID = "C0TAKEN"
		return []incidents.Event{newEvent(*inc, base(), incidents.EventChannelCreated, "channel")}, nil
	}
	if _, err := s.Update(t.Context(), want.ID, "view-take", eventsOnly(take)); !errors.Is(err, incidents.ErrChannelTaken) {
		t.Fatalf("UpdateOnce to a taken channel: err = %v, want ErrChannelTaken", err)
	}
	checkIncident(t, "Get after a refused UpdateOnce", mustGet(t, s, want.ID), want)
	checkTimeline(t, "Timeline after a refused UpdateOnce", mustTimeline(t, s, want.ID), events)
	if _, err := s.Update(t.Context(), want.ID, "view-take", eventsOnly(note(base(), "retry"))); err != nil {
		t.Errorf("UpdateOnce retried with the key of a refused write: %v", err)
	}
}

func testUpdateOnceConcurrentSameKey(t *testing.T, s incidents.Store) {
	inc, _ := mustCreate(t, s, newIncident("clicked", base()), "")
	const n = 20
	got := make([]incidents.Incident, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			fn := note(base().Add(time.Duration(i)*time.Second), fmt.Sprintf("click %d", i))
			<-start
			got[i], errs[i] = s.Update(t.Context(), inc.ID, "same-click", eventsOnly(fn))
		})
	}
	close(start)
	wg.Wait()

	applied := -1
	for i, err := range errs {
		switch {
		case err == nil && applied >= 0:
			t.Fatalf("racers %d and %d both applied the change", applied, i)
		case err == nil:
			applied = i
		case !errors.Is(err, incidents.ErrDuplicate):
			t.Fatalf("racer %d: %v", i, err)
		}
	}
	if applied < 0 {
		t.Fatal("no racer applied the change")
	}
	// The change is committed before any other racer can see the key, so
	// every duplicate returns the incident with it.
	for i, inc := range got {
		if inc.Summary != "x" {
			t.Errorf("racer %d got Summary %q, want %q", i, inc.Summary, "x")
		}
	}
	if got := mustGet(t, s, inc.ID).Summary; got != "x" {
		t.Errorf("Summary = %q: the change was applied %d times, want once", got, len(got))
	}
	if evs := mustTimeline(t, s, inc.ID); len(evs) != 2 {
		t.Errorf("Timeline has %d events, want 2 (declared, one click): %s", len(evs), texts(evs))
	}
}

func testUpdateOnceEmptyKey(t *testing.T, s incidents.Store) {
	inc, _ := mustCreate(t, s, newIncident("keyless", base()), "")
	const n = 3
	for i := range n {
		if _, err := s.Update(t.Context(), inc.ID, "", eventsOnly(note(base(), fmt.Sprintf("note %d", i)))); err != nil {
			t.Fatalf("UpdateOnce %d without a key: %v", i, err)
		}
	}
	if got := mustGet(t, s, inc.ID).Summary; got != strings.Repeat("x", n) {
		t.Errorf("Summary = %q, want %d updates", got, n)
	}
	if evs := mustTimeline(t, s, inc.ID); len(evs) != n+1 {
		t.Errorf("Timeline has %d events, want %d", len(evs), n+1)
	}
}

func testUpdateOnceKeyFromCreate(t *testing.T, s incidents.Store) {
	created, events := mustCreate(t, s, newIncident("created", base()), "envelope-1")
	got, err := s.Update(t.Context(), created.ID, "envelope-1", eventsOnly(mustNotRun(t, "UpdateOnce with Create's key")))
	if !errors.Is(err, incidents.ErrDuplicate) {
		t.Fatalf("UpdateOnce with Create's key: err = %v, want ErrDuplicate", err)
	}
	checkIncident(t, "UpdateOnce with Create's key", got, created)
	checkTimeline(t, "Timeline after UpdateOnce with Create's key", mustTimeline(t, s, created.ID), events)

	// A key used on another incident is still used; the incident returned
	// is the one asked for.
	other, otherEvents := mustCreate(t, s, newIncident("other", base()), "")
	got, err = s.Update(t.Context(), other.ID, "envelope-1", eventsOnly(mustNotRun(t, "UpdateOnce with another incident's key")))
	if !errors.Is(err, incidents.ErrDuplicate) {
		t.Fatalf("UpdateOnce with another incident's key: err = %v, want ErrDuplicate", err)
	}
	checkIncident(t, "UpdateOnce with another incident's key", got, other)
	checkIncident(t, "Get after UpdateOnce with another incident's key", mustGet(t, s, other.ID), other)
	checkTimeline(t, "Timeline after UpdateOnce with another incident's key", mustTimeline(t, s, other.ID), otherEvents)
	checkIncident(t, "Get of the key's incident", mustGet(t, s, created.ID), created)
}

func testUpdateOnceNotFound(t *testing.T, s incidents.Store) {
	_, err := s.Update(t.Context(), uuid.New(), "view-lost", eventsOnly(mustNotRun(t, "UpdateOnce(unknown)")))
	if !errors.Is(err, incidents.ErrNotFound) {
		t.Errorf("UpdateOnce(unknown): err = %v, want ErrNotFound", err)
	}
	// Nothing claimed the key.
	inc, _ := mustCreate(t, s, newIncident("found", base()), "")
	if _, err := s.Update(t.Context(), inc.ID, "view-lost", eventsOnly(note(base(), "found"))); err != nil {
		t.Errorf("UpdateOnce with the key of a call that found nothing: %v", err)
	}
}
