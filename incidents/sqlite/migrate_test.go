package sqlite_test

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/sqlite"
	"github.com/incident-bot/incident-bot/incidents/storetest"
)

// migrations reads what schema_migrations records, to compare before and
// after migrating again.
func migrations(t *testing.T, path string) []string {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer db.Close()
	rows, err := db.QueryContext(t.Context(), "SELECT version || ' ' || name || ' ' || applied_at FROM schema_migrations ORDER BY version")
	if err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatalf("scan: %v", err)
		}
		out = append(out, s)
	}
	return out
}

func TestMigrateTwiceIsNoop(t *testing.T) {
	path := filepath.Join(t.TempDir(), "incidents.db")
	storetest.RunMigrateAgain(t,
		func() storetest.Migrator { return open(t, path) },
		func() []string { return migrations(t, path) })
}

func TestConcurrentNew(t *testing.T) {
	path := filepath.Join(t.TempDir(), "incidents.db")
	const n = 4
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			s, err := sqlite.New(t.Context(), sqlite.Options{Path: path})
			if err == nil {
				s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("New %d: %v", i, err)
		}
	}
}

// TestUpgrade opens files made by each older version of the schema
// (1: before job_claims, 2: before the timers) with the current code.
func TestUpgrade(t *testing.T) {
	for _, version := range []int{1, 2} {
		t.Run(fmt.Sprintf("From%d", version), func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "incidents.db")
			storetest.RunUpgrade(t,
				func() storetest.OldStore {
					s, err := sqlite.NewAtVersion(t.Context(), sqlite.Options{Path: path}, version)
					if err != nil {
						t.Fatalf("NewAtVersion(%d): %v", version, err)
					}
					t.Cleanup(func() { s.Close() })
					return s
				},
				func() incidents.Store { return open(t, path) },
				func() []string { return migrations(t, path) })
		})
	}
}
