package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/incident-bot/incident-bot/incidents"
)

// A repair puts an earlier effect of a lane back while a later one is in
// flight: the lane waits for the one in flight, so never two at once.
func testRepairWhileLaneBusy(t *testing.T, open func() incidents.Store) {
	s := open()
	if err := s.AddEffects(t.Context(), []incidents.Effect{effect("a", "a1"), effect("a", "a2")}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	_, a1, _ := mustClaimEffects(t, s, now, 10)
	settle(t, s, a1[0], incidents.Failed)
	_, a2, _ := mustClaimEffects(t, s, now, 10)
	if len(a2) != 1 || a2[0].Key != "a2" {
		t.Fatalf("claim after a1 failed = %+v, want a2", a2)
	}
	if n, err := s.RetryFailed(t.Context(), "a", now); err != nil || n != 1 {
		t.Fatalf("RetryFailed = %d, %v", n, err)
	}
	if keys, _, _ := mustClaimEffects(t, s, now, 10); len(keys) != 0 {
		t.Fatalf("claim while a2 is in flight = %v, want none: one effect of a lane at a time", keys)
	}
	settle(t, s, a2[0], incidents.Done)
	if keys, _, _ := mustClaimEffects(t, s, now, 10); fmt.Sprint(keys) != "[a1]" {
		t.Fatalf("claim after a2 is done = %v, want [a1]", keys)
	}
}

// A process whose claim lapsed and was taken over cannot put the effect
// back or fail it under the new holder; it can say it is done, since it is.
func testStaleHolderSettles(t *testing.T, open func() incidents.Store) {
	first, second := open(), open()
	if err := first.AddEffects(t.Context(), []incidents.Effect{effect("a", "a1")}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	_, old, _ := mustClaimEffects(t, first, now, 10)
	later := now.Add(time.Hour) // first's claim has lapsed (or first is gone)
	_, cur, _ := mustClaimEffects(t, second, later, 10)
	if len(old) != 1 || len(cur) != 1 {
		t.Fatalf("claims = %+v then %+v", old, cur)
	}
	for _, o := range []incidents.Outcome{incidents.Retry, incidents.Release, incidents.Failed} {
		settle(t, first, old[0], o)
		if keys, _, _ := mustClaimEffects(t, second, later, 10); len(keys) != 0 {
			t.Fatalf("after the stale holder's %s the effect was claimable again: %v", o, keys)
		}
		recs, err := second.Effects(t.Context(), "a")
		if err != nil || len(recs) != 1 || recs[0].State != incidents.EffectPending || recs[0].Attempts != 2 {
			t.Fatalf("after the stale holder's %s: %+v, %v", o, recs, err)
		}
	}
	settle(t, first, old[0], incidents.Done)
	if recs, _ := second.Effects(t.Context(), "a"); len(recs) != 1 || recs[0].State != incidents.EffectDone {
		t.Fatalf("the stale holder's done was not recorded: %+v", recs)
	}
}

// A job its live holder lost track of (its outcome could not be written)
// is claimed again by that holder after a minute, not after the lease.
func testOwnJobsRechecked(t *testing.T, open func() incidents.Store) {
	s := open()
	if _, err := s.AddJobs(t.Context(), []incidents.Job{{Key: "env-1", Kind: "slash_commands", Payload: []byte("{}")}}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if got, err := s.ClaimJobs(t.Context(), now.Add(30*time.Second), 10); err != nil || len(got) != 0 {
		t.Fatalf("claim half a minute on = %+v, %v; want none", got, err)
	}
	got, err := s.ClaimJobs(t.Context(), now.Add(2*time.Minute), 10)
	if err != nil || len(got) != 1 || got[0].Key != "env-1" || got[0].Attempts != 2 {
		t.Fatalf("claim two minutes on = %+v, %v; want env-1, attempt 2", got, err)
	}
	if again, _ := s.ClaimJobs(t.Context(), now.Add(2*time.Minute), 10); len(again) != 0 {
		t.Fatalf("the recheck renewed nothing: claimed again %+v", again)
	}
}
