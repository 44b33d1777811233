package storetest

import (
	"errors"
	"slices"
	"testing"

	"github.com/incident-bot/incident-bot/incidents"
)

// RunUpgrade checks that migrating a database of an older schema version
// applies only the newer migrations and keeps the data. openOld opens a
// store on the caller's database migrated only up to an older version,
// enough for Create and Get; open opens a store there with New, which
// migrates to the latest version; applied is as for RunMigrateAgain. Both
// close their stores in t.Cleanup.
func RunUpgrade(t *testing.T, openOld, open func() incidents.Store, applied func() []string) {
	old := openOld()
	want, _ := mustCreate(t, old, newIncident("from before the upgrade", base()), "key-old")
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
	if _, err := s.Create(t.Context(), newIncident("again", base()), nil, "key-old"); !errors.Is(err, incidents.ErrDuplicate) {
		t.Errorf("Create with a key used before upgrading: err = %v, want ErrDuplicate", err)
	}
	if !mustClaim(t, s, "digest/upgraded") {
		t.Error("first Claim after upgrading = false, want true")
	}
	if mustClaim(t, s, "digest/upgraded") {
		t.Error("second Claim after upgrading = true, want false")
	}
}
