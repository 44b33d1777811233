package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/incident-bot/incident-bot/incidents"
)

// OldStore is a store on a database of an older schema version, as
// RunUpgrade needs it. The current Create writes columns an older schema
// does not have, so the backend provides CreateOld: Create as the code of
// that version did it, writing only the columns it knew.
type OldStore interface {
	CreateOld(ctx context.Context, inc incidents.Incident, events []incidents.Event, key string) (incidents.Incident, error)
	Close() error
}

// RunUpgrade checks that migrating a database of an older schema version
// applies only the newer migrations and keeps the data. openOld opens a
// store on the caller's database migrated only up to an older version;
// open opens a store there with New, which migrates to the latest version;
// applied is as for RunMigrateAgain. Both close their stores in t.Cleanup.
func RunUpgrade(t *testing.T, openOld func() OldStore, open func() incidents.Store, applied func() []string) {
	old := openOld()
	want := newIncident("from before the upgrade", base())
	events := []incidents.Event{newEvent(want, want.DeclaredAt, incidents.EventDeclared, "Declared "+want.Title)}
	created, err := old.CreateOld(t.Context(), want, events, "key-old")
	if err != nil {
		t.Fatalf("CreateOld: %v", err)
	}
	want.Number = created.Number
	// A title stored as Slack sent it, escaped, before the store held
	// plain text.
	escaped := newIncident("p99 &gt; 2s &amp; rising &lt;db&gt; &amp;lt;", base())
	escEvents := []incidents.Event{newEvent(escaped, escaped.DeclaredAt, incidents.EventDeclared, "Declared "+escaped.Title)}
	if _, err := old.CreateOld(t.Context(), escaped, escEvents, ""); err != nil {
		t.Fatalf("CreateOld: %v", err)
	}
	before := applied()
	if len(before) == 0 {
		t.Fatal("no migrations recorded before the upgrade")
	}
	if err := old.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s := open()
	after := applied()
	if len(after) <= len(before) || !slices.Equal(after[:len(before)], before) {
		t.Errorf("migrations after upgrading = %q, want %q followed by newer ones", after, before)
	}
	checkIncident(t, "Get after upgrading", mustGet(t, s, want.ID), want)
	const plain = "p99 > 2s & rising <db> &lt;"
	if got := mustGet(t, s, escaped.ID); got.Title != plain {
		t.Errorf("an escaped title after upgrading = %q, want %q", got.Title, plain)
	}
	if evs := mustTimeline(t, s, escaped.ID); len(evs) != 1 || evs[0].Text != "Declared "+plain {
		t.Errorf("an escaped event after upgrading = %+v, want %q", evs, "Declared "+plain)
	}
	checkTimeline(t, "Timeline after upgrading", mustTimeline(t, s, want.ID), events)
	if _, err := s.Create(t.Context(), newIncident("again", base()), incidents.Change{Events: nil}, "key-old"); !errors.Is(err, incidents.ErrDuplicate) {
		t.Errorf("Create with a key used before upgrading: err = %v, want ErrDuplicate", err)
	}
	if !mustClaim(t, s, "digest/upgraded") {
		t.Error("first Claim after upgrading = false, want true")
	}
	if mustClaim(t, s, "digest/upgraded") {
		t.Error("second Claim after upgrading = true, want false")
	}

	// Incidents from before the timers have none, until an update sets one.
	now := base().Add(time.Hour)
	names := map[uuid.UUID]string{want.ID: want.Title}
	checkDue(t, s, names, now, 10, nil, time.Time{})
	mustUpdate(t, s, want.ID, setTimers(now.Add(30*time.Minute), now.Add(time.Hour)))
	want.RemindAt, want.EscalateAt = now.Add(30*time.Minute), now.Add(time.Hour)
	checkIncident(t, "Get after setting timers", mustGet(t, s, want.ID), want)
	checkDue(t, s, names, now, 10, nil, now.Add(30*time.Minute))
	checkDue(t, s, names, now.Add(2*time.Hour), 10, []incidents.Incident{want}, time.Time{})
}
