package postgres_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/postgres"
	"github.com/incident-bot/incident-bot/incidents/storetest"
	"github.com/incident-bot/incident-bot/internal/testpg"
)

// migrations reads what schema_migrations records, to compare before and
// after migrating again.
func migrations(t *testing.T, url string) []string {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(t.Context())
	rows, err := conn.Query(t.Context(), "SELECT version || ' ' || name || ' ' || applied_at FROM schema_migrations ORDER BY version")
	if err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	return out
}

func TestMigrateTwiceIsNoop(t *testing.T) {
	url := testpg.URL(t)
	storetest.RunMigrateAgain(t,
		func() storetest.Migrator { return open(t, url) },
		func() []string { return migrations(t, url) })
}

// TestConcurrentNew starts several replicas at once on a fresh database:
// the advisory lock must let exactly one migrate and the others wait.
func TestConcurrentNew(t *testing.T) {
	url := testpg.URL(t)
	const n = 4
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			s, err := postgres.New(t.Context(), postgres.Options{URL: url, MaxConns: 2})
			if err == nil {
				s.Close()
			}
			errs[i] = err
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("New %d: %v", i, err)
		}
	}
	if got := migrations(t, url); len(got) == 0 {
		t.Error("no migrations recorded")
	}
}

// TestUpgrade opens databases made by each older version of the schema
// (1: before job_claims, 2: before the timers) with the current code.
func TestUpgrade(t *testing.T) {
	for _, version := range []int{1, 2} {
		t.Run(fmt.Sprintf("From%d", version), func(t *testing.T) {
			t.Parallel()
			url := testpg.URL(t)
			storetest.RunUpgrade(t,
				func() storetest.OldStore {
					s, err := postgres.NewAtVersion(t.Context(), postgres.Options{URL: url, MaxConns: 2}, version)
					if err != nil {
						t.Fatalf("NewAtVersion(%d): %v", version, err)
					}
					t.Cleanup(func() { s.Close() })
					return s
				},
				func() incidents.Store { return open(t, url) },
				func() []string { return migrations(t, url) })
		})
	}
}
