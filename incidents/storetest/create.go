package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/incident-bot/incident-bot/incidents"
)

func testCreateNumbers(t *testing.T, s incidents.Store) {
	var last int64
	for i := range 3 {
		inc, _ := mustCreate(t, s, newIncident(fmt.Sprintf("incident %d", i), base()), "")
		if inc.Number <= last {
			t.Errorf("incident %d got number %d after %d; numbers must increase", i, inc.Number, last)
		}
		last = inc.Number
	}
}

func testCreateStored(t *testing.T, s incidents.Store) {
	want := newIncident("database down", base())
	want.ChannelID, want.ChannelName, want.HeaderTS = "C0DB", "inc-1-database-down", "1700000000.000100"
	got, events := mustCreate(t, s, want, "key-1")
	if got.Number == 0 {
		t.Fatal("Create returned no Number")
	}
	want.Number = got.Number
	checkIncident(t, "Create result", got, want)
	checkIncident(t, "Get after Create", mustGet(t, s, want.ID), want)
	checkTimeline(t, "Timeline after Create", mustTimeline(t, s, want.ID), events)
}

func testCreateDuplicateKey(t *testing.T, s incidents.Store) {
	first, events := mustCreate(t, s, newIncident("first", base()), "envelope-1")

	again := newIncident("redelivered", base().Add(time.Second))
	got, err := s.Create(t.Context(), again, incidents.Change{Events: []incidents.Event{newEvent(again, again.DeclaredAt, incidents.EventDeclared, "again")}}, "envelope-1")
	if !errors.Is(err, incidents.ErrDuplicate) {
		t.Fatalf("Create with a used key: err = %v, want ErrDuplicate", err)
	}
	checkIncident(t, "Create with a used key", got, first)
	if _, err := s.Get(t.Context(), again.ID); !errors.Is(err, incidents.ErrNotFound) {
		t.Errorf("Get(duplicate's ID): err = %v, want ErrNotFound: nothing may be stored", err)
	}
	if n := len(mustList(t, s, incidents.ListFilter{})); n != 1 {
		t.Errorf("List after a duplicate Create: %d incidents, want 1", n)
	}
	checkTimeline(t, "Timeline of the first incident", mustTimeline(t, s, first.ID), events)
}

func testCreateEmptyKey(t *testing.T, s incidents.Store) {
	a, _ := mustCreate(t, s, newIncident("a", base()), "")
	b, _ := mustCreate(t, s, newIncident("b", base()), "")
	if a.ID == b.ID || a.Number == b.Number {
		t.Errorf("two creates without a key gave %s/#%d and %s/#%d; want two incidents", a.ID, a.Number, b.ID, b.Number)
	}
}

func testCreateChannelTaken(t *testing.T, s incidents.Store) {
	owner := newIncident("owner", base())
	owner.ChannelID = "C0TAKEN"
	mustCreate(t, s, owner, "")

	other := newIncident("other", base())
	other.ChannelID = "C0TAKEN"
	_, err := s.Create(t.Context(), other, incidents.Change{Events: []incidents.Event{newEvent(other, base(), incidents.EventDeclared, "x")}}, "key-other")
	if !errors.Is(err, incidents.ErrChannelTaken) {
		t.Fatalf("Create with a taken channel: err = %v, want ErrChannelTaken", err)
	}
	if _, err := s.Get(t.Context(), other.ID); !errors.Is(err, incidents.ErrNotFound) {
		t.Errorf("Get after a refused Create: err = %v, want ErrNotFound", err)
	}
	// The refused Create must not have consumed its key either.
	other.ChannelID = ""
	if _, err := s.Create(t.Context(), other, incidents.Change{Events: nil}, "key-other"); err != nil {
		t.Errorf("Create retried with the same key after a refusal: %v", err)
	}
}

func testCreateConcurrentSameKey(t *testing.T, s incidents.Store) {
	const n = 20
	got := make([]incidents.Incident, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			inc := newIncident(fmt.Sprintf("racer %d", i), base())
			<-start
			got[i], errs[i] = s.Create(t.Context(), inc, incidents.Change{Events: []incidents.Event{newEvent(inc, base(), incidents.EventDeclared, inc.Title)}}, "same-key")
		})
	}
	close(start)
	wg.Wait()

	created := -1
	for i, err := range errs {
		switch {
		case err == nil && created >= 0:
			t.Fatalf("racers %d and %d both created an incident", created, i)
		case err == nil:
			created = i
		case !errors.Is(err, incidents.ErrDuplicate):
			t.Fatalf("racer %d: %v", i, err)
		}
	}
	if created < 0 {
		t.Fatal("no racer created the incident")
	}
	winner := got[created]
	for i, inc := range got {
		if inc.ID != winner.ID || inc.Number != winner.Number {
			t.Errorf("racer %d got %s/#%d, want the winner's %s/#%d", i, inc.ID, inc.Number, winner.ID, winner.Number)
		}
	}
	if list := mustList(t, s, incidents.ListFilter{}); len(list) != 1 {
		t.Errorf("List: %d incidents, want 1", len(list))
	}
	if evs := mustTimeline(t, s, winner.ID); len(evs) != 1 {
		t.Errorf("Timeline: %d events, want 1", len(evs))
	}
}

func testCreateConcurrentDistinctKeys(t *testing.T, s incidents.Store) {
	const n = 20
	numbers := make([]int64, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			inc := newIncident(fmt.Sprintf("incident %d", i), base())
			<-start
			var got incidents.Incident
			got, errs[i] = s.Create(t.Context(), inc, incidents.Change{Events: []incidents.Event{newEvent(inc, base(), incidents.EventDeclared, inc.Title)}}, fmt.Sprintf("key-%d", i))
			numbers[i] = got.Number
		})
	}
	close(start)
	wg.Wait()

	seen := map[int64]int{}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Create %d: %v", i, err)
		}
		if j, dup := seen[numbers[i]]; dup {
			t.Errorf("incidents %d and %d both got number %d", j, i, numbers[i])
		}
		seen[numbers[i]] = i
	}
	if list := mustList(t, s, incidents.ListFilter{}); len(list) != n {
		t.Errorf("List: %d incidents, want %d", len(list), n)
	}
}
