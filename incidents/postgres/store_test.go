package postgres_test

import (
	"context"
	"errors"
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

// Two replicas (two pools on one database) share TryLock's locks, and a
// lock dies with its holder's connection.
func TestTryLockAcrossReplicas(t *testing.T) {
	url := testpg.URL(t)
	a, b := open(t, url), open(t, url)
	release, err := a.TryLock(context.Background(), "ecs:prod/web")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.TryLock(context.Background(), "ecs:prod/web"); !errors.Is(err, incidents.ErrLocked) {
		t.Fatalf("the other replica took a held lock: %v", err)
	}
	release()
	rb, err := b.TryLock(context.Background(), "ecs:prod/web")
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	rb()
}

func TestWork(t *testing.T) {
	storetest.RunWork(t, true, func(t *testing.T) func() incidents.Store {
		url := testpg.URL(t)
		return func() incidents.Store { return open(t, url) }
	})
}

func TestUnreadableEffect(t *testing.T) {
	s := open(t, testpg.URL(t))
	storetest.RunUnreadable(t, s, func(key string) {
		if err := s.SpoilEffect(t.Context(), key); err != nil {
			t.Fatal(err)
		}
	})
}
