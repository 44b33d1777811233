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

func testUpdateWrites(t *testing.T, s incidents.Store) {
	want, events := mustCreate(t, s, newIncident("before", base()), "")
	now := base().Add(10 * time.Minute)
	ev := newEvent(want, now, incidents.EventMitigated, "Mitigated")
	got, err := s.Update(t.Context(), want.ID, "", eventsOnly(func(inc *incidents.Incident) ([]incidents.Event, error) {
		checkIncident(t, "fn's incident", *inc, want)
		inc.Title, inc.Status, inc.MitigatedAt, inc.UpdatedAt = "after", incidents.StatusMitigated, now, now
		return []incidents.Event{ev}, nil
	}))

	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	want.Title, want.Status, want.MitigatedAt, want.UpdatedAt = "after", incidents.StatusMitigated, now, now
	checkIncident(t, "Update result", got, want)
	checkIncident(t, "Get after Update", mustGet(t, s, want.ID), want)
	checkTimeline(t, "Timeline after Update", mustTimeline(t, s, want.ID), append(events, ev))
}

func testUpdateWithoutEvents(t *testing.T, s incidents.Store) {
	want, events := mustCreate(t, s, newIncident("header", base()), "")
	if _, err := s.Update(t.Context(), want.ID, "", eventsOnly(func(inc *incidents.Incident) ([]incidents.Event, error) {
		inc.HeaderTS = "1700000000.000200"
		return nil, nil
	})); err != nil {
		t.Fatalf("Update: %v", err)
	}
	want.HeaderTS = "1700000000.000200"
	checkIncident(t, "Get after Update", mustGet(t, s, want.ID), want)
	checkTimeline(t, "Timeline after Update", mustTimeline(t, s, want.ID), events)
}

func testUpdateFnError(t *testing.T, s incidents.Store) {
	want, events := mustCreate(t, s, newIncident("unchanged", base()), "")
	refused := errors.New("refused by fn")
	_, err := s.Update(t.Context(), want.ID, "", eventsOnly(func(inc *incidents.Incident) ([]incidents.Event, error) {
		inc.Title, inc.Status = "changed", incidents.StatusResolved
		return []incidents.Event{newEvent(*inc, base(), incidents.EventResolved, "must not be stored")}, refused
	}))

	if !errors.Is(err, refused) {
		t.Fatalf("Update: err = %v, want fn's error", err)
	}
	checkIncident(t, "Get after a refused Update", mustGet(t, s, want.ID), want)
	checkTimeline(t, "Timeline after a refused Update", mustTimeline(t, s, want.ID), events)
}

func testUpdateNotFound(t *testing.T, s incidents.Store) {
	_, err := s.Update(t.Context(), uuid.New(), "", eventsOnly(func(*incidents.Incident) ([]incidents.Event, error) {
		t.Error("fn called for an unknown incident")
		return nil, nil
	}))

	if !errors.Is(err, incidents.ErrNotFound) {
		t.Errorf("Update(unknown): err = %v, want ErrNotFound", err)
	}
}

func testUpdateChannelTaken(t *testing.T, s incidents.Store) {
	owner := newIncident("owner", base())
	owner.ChannelID, owner.ChannelName = "C0TAKEN", "inc-owner"
	owner, _ = mustCreate(t, s, owner, "")
	want, events := mustCreate(t, s, newIncident("other", base()), "")

	take := func(inc *incidents.Incident) ([]incidents.Event, error) {
		inc.ChannelID, inc.ChannelName = "C0TAKEN", "inc-other"
		return []incidents.Event{newEvent(*inc, base(), incidents.EventChannelCreated, "channel")}, nil
	}
	if _, err := s.Update(t.Context(), want.ID, "", eventsOnly(take)); !errors.Is(err, incidents.ErrChannelTaken) {
		t.Fatalf("Update to a taken channel: err = %v, want ErrChannelTaken", err)
	}
	checkIncident(t, "Get after a refused Update", mustGet(t, s, want.ID), want)
	checkTimeline(t, "Timeline after a refused Update", mustTimeline(t, s, want.ID), events)
	if got, err := s.ByChannel(t.Context(), "C0TAKEN"); err != nil || got.ID != owner.ID {
		t.Errorf("ByChannel after a refused Update = %s, %v; want the owner %s", got.ID, err, owner.ID)
	}

	// Once the owner moves away, the channel is free.
	if _, err := s.Update(t.Context(), owner.ID, "", eventsOnly(func(inc *incidents.Incident) ([]incidents.Event, error) {
		inc.ChannelID = "C0MOVED"
		return nil, nil
	})); err != nil {
		t.Fatalf("move owner: %v", err)
	}
	if _, err := s.Update(t.Context(), want.ID, "", eventsOnly(take)); err != nil {
		t.Errorf("Update to a freed channel: %v", err)
	}
}

func testUpdateConcurrent(t *testing.T, s incidents.Store) {
	inc, _ := mustCreate(t, s, newIncident("busy", base()), "")
	const n = 50
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			ev := newEvent(inc, base().Add(time.Duration(i)*time.Second), incidents.EventNote, fmt.Sprintf("note %d", i))
			<-start
			_, errs[i] = s.Update(t.Context(), inc.ID, "", eventsOnly(func(inc *incidents.Incident) ([]incidents.Event, error) {
				inc.Summary += "x"
				return []incidents.Event{ev}, nil
			}))

		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Update %d: %v", i, err)
		}
	}
	if got := mustGet(t, s, inc.ID).Summary; got != strings.Repeat("x", n) {
		t.Errorf("Summary has %d updates, want %d", len(got), n)
	}
	if evs := mustTimeline(t, s, inc.ID); len(evs) != n+1 {
		t.Errorf("Timeline has %d events, want %d", len(evs), n+1)
	}
}
