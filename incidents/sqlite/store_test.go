package sqlite_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

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

func TestUnreadableEffect(t *testing.T) {
	path := filepath.Join(t.TempDir(), "incidents.db")
	storetest.RunUnreadable(t, open(t, path), func(key string) {
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec("UPDATE work_items SET body = X'7b' WHERE key = ?", key); err != nil {
			t.Fatal(err)
		}
	})
}

// Requests an older version kept in the database file are moved to the
// inbox file at the next start, and are not lost or run twice.
func TestInboxMovesToItsOwnFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bot.db")
	old, err := sqlite.NewAtVersion(t.Context(), sqlite.Options{Path: path}, 6)
	if err != nil {
		t.Fatal(err)
	}
	old.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO work_items (id, queue, key, lane, kind, body, not_before, owner, claimed_at, attempts, created_at)
		VALUES ('0b6d6a3e-7c1f-4a55-9a55-111111111111', 'inbox', 'envelope:old-1', 'envelope:old-1', 'slash_commands', X'7b7d',
			'2026-01-01T00:00:00.000000Z', 77, '2026-01-01T00:00:00.000000Z', 1, '2026-01-01T00:00:00.000000Z')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s := open(t, path)
	jobs, err := s.ClaimJobs(t.Context(), time.Now(), 10)
	if err != nil || len(jobs) != 1 || jobs[0].Key != "envelope:old-1" || string(jobs[0].Payload) != "{}" {
		t.Fatalf("ClaimJobs after the move = %+v, %v", jobs, err)
	}
	if added, err := s.AddJobs(t.Context(), []incidents.Job{{Key: "envelope:old-1", Kind: "slash_commands", Payload: []byte("{}")}}); err != nil || added[0] {
		t.Fatalf("a redelivery of the moved request was added again: %v, %v", added, err)
	}
	if _, err := os.Stat(sqlite.InboxPath(path)); err != nil || sqlite.InboxPath(path) != filepath.Join(filepath.Dir(path), "bot.inbox.db") {
		t.Fatalf("inbox file %s: %v", sqlite.InboxPath(path), err)
	}
}
