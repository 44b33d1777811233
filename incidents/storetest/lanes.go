package storetest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
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
	if err != nil || len(got) != 1 || got[0].Key != "env-1" || got[0].Attempts != 1 {
		t.Fatalf("claim two minutes on = %+v, %v; want env-1, still its first attempt", got, err)
	}
	if again, _ := s.ClaimJobs(t.Context(), now.Add(2*time.Minute), 10); len(again) != 0 {
		t.Fatalf("the recheck renewed nothing: claimed again %+v", again)
	}
}

// A change that settles an effect its writer no longer holds (or that is
// settled already) is refused whole: its events are not written, so a
// step is not said to have failed, or a channel to have been created,
// twice or wrongly.
func testChangeSettlingUnheldWork(t *testing.T, open func() incidents.Store) {
	first, second := open(), open()
	inc, err := first.Create(t.Context(), newIncident("held", base()), incidents.Change{
		Effects: []incidents.Effect{{Key: "setup-held", Kind: incidents.EffectChannel}},
	}, "")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	_, old, _ := mustClaimEffects(t, first, now, 10)
	_, cur, _ := mustClaimEffects(t, second, now.Add(time.Hour), 10) // first's claim lapsed
	if len(old) != 1 || len(cur) != 1 {
		t.Fatalf("claims = %+v then %+v", old, cur)
	}
	failed := func(s incidents.Store, e incidents.Effect) error {
		_, err := s.Update(t.Context(), inc.ID, "", func(*incidents.Incident) (incidents.Change, error) {
			ev := incidents.Event{ID: uuid.New(), IncidentID: inc.ID, At: base(), Actor: "bot", Kind: incidents.EventStepFailed, Text: "Could not create the channel"}
			return incidents.Change{Events: []incidents.Event{ev}, Settle: []incidents.Settlement{{ID: e.ID, Outcome: incidents.Failed, Error: "x"}}}, nil
		})
		return err
	}
	if err := failed(first, old[0]); !errors.Is(err, incidents.ErrNotHeld) {
		t.Fatalf("the stale holder's failure = %v, want ErrNotHeld", err)
	}
	if err := failed(second, cur[0]); err != nil {
		t.Fatalf("the holder's failure: %v", err)
	}
	if err := failed(second, cur[0]); !errors.Is(err, incidents.ErrNotHeld) {
		t.Fatalf("the same failure again = %v, want ErrNotHeld", err)
	}
	evs, err := second.Timeline(t.Context(), inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range evs {
		if ev.Kind == incidents.EventStepFailed {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d step_failed events, want 1", n)
	}
}

// RunUnreadable checks that an effect whose stored body no longer decodes
// is failed at its claim, and holds up nothing else. corrupt spoils the
// stored body of the effect with the given key.
func RunUnreadable(t *testing.T, s incidents.Store, corrupt func(key string)) {
	if err := s.AddEffects(t.Context(), []incidents.Effect{effect("a", "a1"), effect("b", "b1"), effect("a", "a2")}); err != nil {
		t.Fatal(err)
	}
	corrupt("a1")
	keys, _, _ := mustClaimEffects(t, s, time.Now(), 10)
	if fmt.Sprint(keys) != "[b1]" {
		t.Fatalf("claim = %v, want [b1]: the unreadable a1 failed, not handed out", keys)
	}
	recs, err := s.Effects(t.Context(), "a")
	if err != nil || len(recs) != 2 || recs[0].State != incidents.EffectFailed || !strings.Contains(recs[0].LastError, "cannot be read") {
		t.Fatalf("lane a = %+v, %v", recs, err)
	}
	if keys, _, _ := mustClaimEffects(t, s, time.Now(), 10); fmt.Sprint(keys) != "[a2]" {
		t.Fatalf("next claim = %v, want [a2]: the lane goes on", keys)
	}
}
