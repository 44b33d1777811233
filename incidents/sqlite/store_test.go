package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/sqlite"
	"github.com/incident-bot/incident-bot/incidents/storetest"
)

func open(t testing.TB, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.New(t.Context(), sqlite.Options{Path: path})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) incidents.Store {
		return open(t, filepath.Join(t.TempDir(), "incidents.db"))
	})
}

func TestReopen(t *testing.T) {
	storetest.RunReopen(t, func(t *testing.T) func() incidents.Store {
		// A directory that does not exist yet: New creates it.
		path := filepath.Join(t.TempDir(), "state", "incidents.db")
		return func() incidents.Store { return open(t, path) }
	})
}

func TestNewRejectsBadPaths(t *testing.T) {
	for _, path := range []string{"", ":memory:", "file:x.db", "x.db?mode=ro"} {
		if s, err := sqlite.New(t.Context(), sqlite.Options{Path: path}); err == nil {
			s.Close()
			t.Errorf("New(%q) succeeded; want an error", path)
		}
	}
}

// BenchmarkDueNothing10k is the scheduler's idle sweep over 10,000 open
// incidents with future timers: it must stay an index range scan.
func BenchmarkDueNothing10k(b *testing.B) {
	storetest.BenchmarkDueNothing(b, open(b, filepath.Join(b.TempDir(), "incidents.db")), 10_000, 1)
}

func TestWork(t *testing.T) {
	storetest.RunWork(t, false, func(t *testing.T) func() incidents.Store {
		path := filepath.Join(t.TempDir(), "incidents.db")
		return func() incidents.Store { return open(t, path) }
	})
}
