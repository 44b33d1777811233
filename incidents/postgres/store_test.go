package postgres_test

import (
	"testing"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/postgres"
	"github.com/incident-bot/incident-bot/incidents/storetest"
	"github.com/incident-bot/incident-bot/internal/testpg"
)

func open(t testing.TB, url string) *postgres.Store {
	t.Helper()
	// Small pools: the suite runs many stores in parallel on one server.
	s, err := postgres.New(t.Context(), postgres.Options{URL: url, MaxConns: 8})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) incidents.Store { return open(t, testpg.URL(t)) })
}

func TestReopen(t *testing.T) {
	storetest.RunReopen(t, func(t *testing.T) func() incidents.Store {
		url := testpg.URL(t)
		return func() incidents.Store { return open(t, url) }
	})
}

func TestNewValidates(t *testing.T) {
	for _, opts := range []postgres.Options{{}, {URL: "postgres://x/y", MaxConns: -1}, {URL: "::not a url"}} {
		if s, err := postgres.New(t.Context(), opts); err == nil {
			s.Close()
			t.Errorf("New(%+v) succeeded; want an error", opts)
		}
	}
}

// BenchmarkDueNothing10k is the scheduler's idle sweep over 10,000 open
// incidents with future timers: it must stay an index range scan.
func BenchmarkDueNothing10k(b *testing.B) {
	storetest.BenchmarkDueNothing(b, open(b, testpg.URL(b)), 10_000, 8)
}
