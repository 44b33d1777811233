package postgres_test

import (
	"slices"
	"testing"
	"time"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/postgres"
	"github.com/incident-bot/incident-bot/internal/testpg"
)

// The owner lock's connection drops: the store takes the lock back, so
// the work it holds is not taken over by the other replica afterwards.
func TestPresenceComesBack(t *testing.T) {
	url := testpg.URL(t)
	a, b := open(t, url), open(t, url)
	eff := incidents.Effect{Key: "k1", Lane: "l", Kind: incidents.EffectTell, Data: map[string]string{"text": "x"}}
	if err := a.AddEffects(t.Context(), []incidents.Effect{eff}); err != nil {
		t.Fatal(err)
	}
	if got, _, err := a.ClaimEffects(t.Context(), time.Now(), 10); err != nil || len(got) != 1 {
		t.Fatalf("claim = %v, %v", got, err)
	}
	if err := a.DropPresence(t.Context()); err != nil {
		t.Fatal(err)
	}
	if held, err := a.PresenceHeld(t.Context()); err != nil || held {
		t.Fatalf("after the drop the lock is held = %v, %v", held, err)
	}
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		held, err := a.PresenceHeld(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if held {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the owner lock did not come back within 15s")
		}
	}
	if got, _, err := b.ClaimEffects(t.Context(), time.Now(), 10); err != nil || len(got) != 0 {
		t.Fatalf("the other replica took work of a live holder: %v, %v", got, err)
	}
}

// While the owner lock is lost, the store claims and accepts no work:
// whatever it took would look orphaned to the other replicas.
func TestNoClaimsWithoutPresence(t *testing.T) {
	s := open(t, testpg.URL(t))
	s.SetPresenceHeld(false)
	job := []incidents.Job{{Key: "env-1", Kind: "slash_commands", Payload: []byte("{}")}}
	if _, err := s.AddJobs(t.Context(), job); err == nil {
		t.Error("AddJobs accepted a job without the owner lock")
	}
	if _, _, err := s.ClaimEffects(t.Context(), time.Now(), 1); err == nil {
		t.Error("ClaimEffects claimed without the owner lock")
	}
	if _, err := s.ClaimJobs(t.Context(), time.Now(), 1); err == nil {
		t.Error("ClaimJobs claimed without the owner lock")
	}
	s.SetPresenceHeld(true)
	if _, err := s.AddJobs(t.Context(), job); err != nil {
		t.Errorf("AddJobs with the lock back: %v", err)
	}
}

// Each replica knows the others alive, so its claims need not read
// pg_locks; one that stops is dropped at the next look.
func TestPresenceKnowsTheLiving(t *testing.T) {
	url := testpg.URL(t)
	a := open(t, url)
	b, err := postgres.New(t.Context(), postgres.Options{URL: url, MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Alive(t.Context()); !slices.Contains(got, b.Owner()) || !slices.Contains(got, a.Owner()) {
		t.Fatalf("alive = %v, want %d and %d", got, a.Owner(), b.Owner())
	}
	b.Close()
	// The server releases a closed session's locks once it has seen the
	// disconnect, a moment after Close returns: wait for that, bounded.
	deadline := time.Now().Add(10 * time.Second)
	for got := a.Alive(t.Context()); slices.Contains(got, b.Owner()) || !slices.Contains(got, a.Owner()); got = a.Alive(t.Context()) {
		if time.Now().After(deadline) {
			t.Fatalf("alive 10s after b stopped = %v, want only %d", got, a.Owner())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
