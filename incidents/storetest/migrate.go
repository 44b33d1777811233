package storetest

import (
	"context"
	"slices"
	"testing"
)

// Migrator is a store whose schema migrations can be applied on demand;
// both backends' New also migrates.
type Migrator interface {
	Migrate(ctx context.Context) error
}

// RunMigrateAgain checks that migrating an up-to-date database changes
// nothing, whether through the same store or a newly opened one. open
// returns a new store (already migrated, closed in t.Cleanup) on one
// database the caller set up; applied reads what schema_migrations records
// there, one string per row in version order, applied_at included, so a
// migration that ran again would show.
func RunMigrateAgain(t *testing.T, open func() Migrator, applied func() []string) {
	s := open()
	before := applied()
	if len(before) == 0 {
		t.Fatal("no migrations recorded")
	}
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	open() // and a second New on the same database
	if after := applied(); !slices.Equal(after, before) {
		t.Errorf("migrations after migrating again = %q, want %q", after, before)
	}
}
