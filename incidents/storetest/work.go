package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/incident-bot/incident-bot/incidents"
)

// RunWork checks the outbox and the inbox: lanes, claims, settlements,
// and the hand-over of work held by a process that died. prepare is as
// for RunReopen: each call of open is another process on the same data.
// replicas says the store may be shared by live processes (PostgreSQL);
// then two live processes claiming at once never take the same work.
func RunWork(t *testing.T, replicas bool, prepare func(t *testing.T) (open func() incidents.Store)) {
	tests := map[string]func(*testing.T, func() incidents.Store){
		"LaneOrder":           testLaneOrder,
		"DuplicateKeys":       testEffectKeys,
		"RetryAndNext":        testEffectRetry,
		"FailedAndRepair":     testEffectFailed,
		"ChangeIsAtomic":      testEffectsAtomic,
		"DeadOwnerTakeover":   testDeadOwner,
		"Jobs":                testJobs,
		"Prune":               testPrune,
		"SettleIsPendingOnly": testSettlePendingOnly,
		"RepairWhileLaneBusy": testRepairWhileLaneBusy,
		"StaleHolderSettles":  testStaleHolderSettles,
		"OwnJobsRechecked":    testOwnJobsRechecked,
		"UnheldChange":        testChangeSettlingUnheldWork,
	}
	if replicas {
		tests["ConcurrentClaims"] = testConcurrentClaims
	}
	for name, fn := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			open := prepare(t)
			var opened []incidents.Store
			t.Cleanup(func() {
				for _, s := range opened {
					s.Close()
				}
			})
			fn(t, func() incidents.Store { s := open(); opened = append(opened, s); return s })
		})
	}
}

func effect(lane, key string) incidents.Effect {
	return incidents.Effect{Key: key, Lane: lane, Kind: incidents.EffectTell, Data: map[string]string{"text": key}}
}

func mustClaimEffects(t *testing.T, s incidents.Store, at time.Time, limit int) ([]string, []incidents.Effect, time.Time) {
	t.Helper()
	effs, next, err := s.ClaimEffects(t.Context(), at, limit)
	if err != nil {
		t.Fatalf("ClaimEffects: %v", err)
	}
	keys := make([]string, len(effs))
	for i, e := range effs {
		keys[i] = e.Key
	}
	return keys, effs, next
}

func settle(t *testing.T, s incidents.Store, e incidents.Effect, o incidents.Outcome) {
	t.Helper()
	if err := s.SettleEffects(t.Context(), []incidents.Settlement{{ID: e.ID, Outcome: o, Error: string(o), NotBefore: base().Add(time.Hour)}}); err != nil {
		t.Fatalf("SettleEffects: %v", err)
	}
}

func testLaneOrder(t *testing.T, open func() incidents.Store) {
	s := open()
	if err := s.AddEffects(t.Context(), []incidents.Effect{effect("a", "a1"), effect("b", "b1"), effect("a", "a2"), effect("b", "b2"), effect("a", "a3")}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	keys, effs, _ := mustClaimEffects(t, s, now, 10)
	if fmt.Sprint(keys) != "[a1 b1]" {
		t.Fatalf("first claim = %v, want the head of each lane [a1 b1]", keys)
	}
	if effs[0].Attempts != 1 || effs[0].Uncertain || effs[0].Data["text"] != "a1" {
		t.Errorf("claimed effect = %+v", effs[0])
	}
	if keys, _, _ := mustClaimEffects(t, s, now, 10); len(keys) != 0 {
		t.Fatalf("claim while the heads are held = %v, want none", keys)
	}
	settle(t, s, effs[0], incidents.Done)
	if keys, _, _ := mustClaimEffects(t, s, now, 10); fmt.Sprint(keys) != "[a2]" {
		t.Fatalf("claim after a1 is done = %v, want [a2]", keys)
	}
}

func testEffectKeys(t *testing.T, open func() incidents.Store) {
	s := open()
	if err := s.AddEffects(t.Context(), []incidents.Effect{effect("a", "k1")}); err != nil {
		t.Fatal(err)
	}
	again := effect("other-lane", "k1")
	again.Data["text"] = "second"
	if err := s.AddEffects(t.Context(), []incidents.Effect{again}); err != nil {
		t.Fatal(err)
	}
	_, effs, _ := mustClaimEffects(t, s, time.Now(), 10)
	if len(effs) != 1 || effs[0].Lane != "a" || effs[0].Data["text"] != "k1" {
		t.Fatalf("claimed %+v, want the first k1 only", effs)
	}
	for _, bad := range []incidents.Effect{{Lane: "a", Kind: "x"}, {Key: "k", Kind: "x"}, {Key: "k", Lane: "a"}} {
		if err := s.AddEffects(t.Context(), []incidents.Effect{bad}); err == nil {
			t.Errorf("AddEffects(%+v) = nil, want an error (key, lane and kind are required)", bad)
		}
	}
}

func testEffectRetry(t *testing.T, open func() incidents.Store) {
	s := open()
	if err := s.AddEffects(t.Context(), []incidents.Effect{effect("a", "a1"), effect("a", "a2")}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	_, effs, _ := mustClaimEffects(t, s, now, 10)
	later := now.Add(time.Minute)
	if err := s.SettleEffects(t.Context(), []incidents.Settlement{{ID: effs[0].ID, Outcome: incidents.Retry, NotBefore: later, Error: "ratelimited", Uncertain: true}}); err != nil {
		t.Fatal(err)
	}
	keys, _, next := mustClaimEffects(t, s, now.Add(time.Second), 10)
	if len(keys) != 0 {
		t.Fatalf("claim before the retry is due = %v; a2 must wait behind a1", keys)
	}
	if !next.Equal(later.UTC().Truncate(time.Microsecond)) {
		t.Errorf("next = %v, want %v", next, later)
	}
	_, effs, _ = mustClaimEffects(t, s, later, 10)
	if len(effs) != 1 || effs[0].Key != "a1" || effs[0].Attempts != 2 || !effs[0].Uncertain || effs[0].LastError != "ratelimited" {
		t.Fatalf("claim when due = %+v, want a1, attempt 2, uncertain, last error kept", effs)
	}
}

func testEffectFailed(t *testing.T, open func() incidents.Store) {
	s := open()
	if err := s.AddEffects(t.Context(), []incidents.Effect{effect("a", "a1"), effect("a", "a2")}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	_, effs, _ := mustClaimEffects(t, s, now, 10)
	settle(t, s, effs[0], incidents.Failed)
	if b, err := s.Backlog(t.Context()); err != nil || b.Effects != 1 || b.Failed != 1 {
		t.Fatalf("Backlog = %+v, %v; want one pending and one failed", b, err)
	}
	keys, a2, _ := mustClaimEffects(t, s, now, 10)
	if fmt.Sprint(keys) != "[a2]" {
		t.Fatalf("claim after a1 failed = %v, want [a2]: a failed effect does not block its lane", keys)
	}
	settle(t, s, a2[0], incidents.Done)
	n, err := s.RetryFailed(t.Context(), "a", now)
	if err != nil || n != 1 {
		t.Fatalf("RetryFailed = %d, %v; want 1", n, err)
	}
	if b, err := s.Backlog(t.Context()); err != nil || b.Effects != 1 || b.Failed != 0 || b.Oldest.IsZero() {
		t.Fatalf("Backlog after repair = %+v, %v; want one pending effect", b, err)
	}
	if keys, _, _ := mustClaimEffects(t, s, now, 10); fmt.Sprint(keys) != "[a1]" {
		t.Fatalf("claim after repair = %v, want [a1]", keys)
	}
	recs, err := s.Effects(t.Context(), "a")
	if err != nil || len(recs) != 2 || recs[0].State != incidents.EffectPending || recs[1].State != incidents.EffectDone {
		t.Fatalf("Effects = %+v, %v", recs, err)
	}
}

func testEffectsAtomic(t *testing.T, open func() incidents.Store) {
	s := open()
	inc, _ := mustCreate(t, s, newIncident("atomic", base()), "")
	boom := errors.New("boom")
	_, err := s.Update(t.Context(), inc.ID, "", func(*incidents.Incident) (incidents.Change, error) {
		return incidents.Change{Effects: []incidents.Effect{{Key: "lost", Kind: incidents.EffectPost}}}, boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want the fn's error", err)
	}
	created, err := s.Create(t.Context(), newIncident("with effects", base()), incidents.Change{
		Effects: []incidents.Effect{{Key: "setup", Kind: incidents.EffectChannel}},
	}, "")
	if err != nil {
		t.Fatal(err)
	}
	_, effs, _ := mustClaimEffects(t, s, time.Now(), 10)
	if len(effs) != 1 || effs[0].Key != "setup" || effs[0].IncidentID != created.ID || effs[0].Lane != incidents.LaneOf(created.ID) {
		t.Fatalf("claimed %+v, want only the created incident's effect, in its lane", effs)
	}
	_, err = s.Update(t.Context(), created.ID, "", func(inc *incidents.Incident) (incidents.Change, error) {
		inc.ChannelID = "C0ATOMIC"
		return incidents.Change{Settle: []incidents.Settlement{{ID: effs[0].ID, Outcome: incidents.Done, Result: map[string]string{"channel_id": "C0ATOMIC"}}}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	recs, _ := s.Effects(t.Context(), incidents.LaneOf(created.ID))
	if len(recs) != 1 || recs[0].State != incidents.EffectDone || recs[0].Result["channel_id"] != "C0ATOMIC" {
		t.Fatalf("effect after the settling update = %+v", recs)
	}
}

func testDeadOwner(t *testing.T, open func() incidents.Store) {
	first := open()
	if err := first.AddEffects(t.Context(), []incidents.Effect{effect("a", "a1")}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if keys, _, _ := mustClaimEffects(t, first, now, 10); len(keys) != 1 {
		t.Fatalf("first claim = %v", keys)
	}
	first.Close() // the process holding a1 dies mid-attempt
	second := open()
	_, effs, _ := mustClaimEffects(t, second, now, 10)
	if len(effs) != 1 || effs[0].Key != "a1" || !effs[0].Uncertain || effs[0].Attempts != 2 {
		t.Fatalf("claim after the holder died = %+v; want a1, uncertain (it may have happened), attempt 2", effs)
	}
}

func testJobs(t *testing.T, open func() incidents.Store) {
	first := open()
	jobs := []incidents.Job{{Key: "env-1", Kind: "slash_commands", Payload: []byte(`{"text":"update \u0000 x"}`)}, {Key: "env-2", Kind: "interactive", Payload: []byte{0xff, 0xfe}}}
	added, err := first.AddJobs(t.Context(), jobs)
	if err != nil || fmt.Sprint(added) != "[true true]" {
		t.Fatalf("AddJobs = %v, %v", added, err)
	}
	added, err = first.AddJobs(t.Context(), jobs[:1])
	if err != nil || fmt.Sprint(added) != "[false]" {
		t.Fatalf("AddJobs of a redelivery = %v, %v; want [false]", added, err)
	}
	now := time.Now()
	if got, err := first.ClaimJobs(t.Context(), now, 10); err != nil || len(got) != 0 {
		t.Fatalf("ClaimJobs by the live holder = %v, %v; want none", got, err)
	}
	first.Close()
	second := open()
	got, err := second.ClaimJobs(t.Context(), now, 10)
	if err != nil || len(got) != 2 || string(got[0].Payload) != string(jobs[0].Payload) || string(got[1].Payload) != string(jobs[1].Payload) || got[0].Attempts != 2 {
		t.Fatalf("ClaimJobs after the holder died = %+v, %v", got, err)
	}
	if err := second.SettleJobs(t.Context(), []incidents.Settlement{
		{ID: got[0].ID, Outcome: incidents.Done}, {ID: got[1].ID, Outcome: incidents.Retry, NotBefore: now.Add(time.Minute)},
	}); err != nil {
		t.Fatal(err)
	}
	if again, _ := second.ClaimJobs(t.Context(), now.Add(time.Second), 10); len(again) != 0 {
		t.Fatalf("claim before the retry = %+v", again)
	}
	if again, _ := second.ClaimJobs(t.Context(), now.Add(time.Minute), 10); len(again) != 1 || again[0].Key != "env-2" {
		t.Fatalf("claim at the retry = %+v", again)
	}
}

func testPrune(t *testing.T, open func() incidents.Store) {
	s := open()
	if err := s.AddEffects(t.Context(), []incidents.Effect{effect("a", "a1"), effect("b", "b1")}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddEffects(t.Context(), []incidents.Effect{effect("c", "c1")}); err != nil {
		t.Fatal(err)
	}
	_, effs, _ := mustClaimEffects(t, s, time.Now(), 10)
	settle(t, s, effs[0], incidents.Done)
	settle(t, s, effs[2], incidents.Failed)
	n, err := s.Prune(t.Context(), time.Now().Add(time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("Prune = %d, %v; want the done one only", n, err)
	}
	if recs, _ := s.Effects(t.Context(), "b"); len(recs) != 1 {
		t.Fatalf("pending effect pruned: %+v", recs)
	}
	// What was not done stays until a repair does it.
	if recs, _ := s.Effects(t.Context(), "c"); len(recs) != 1 || recs[0].State != incidents.EffectFailed {
		t.Fatalf("failed effect pruned: %+v", recs)
	}
}

func testSettlePendingOnly(t *testing.T, open func() incidents.Store) {
	s := open()
	if err := s.AddEffects(t.Context(), []incidents.Effect{effect("a", "a1")}); err != nil {
		t.Fatal(err)
	}
	_, effs, _ := mustClaimEffects(t, s, time.Now(), 10)
	settle(t, s, effs[0], incidents.Done)
	settle(t, s, effs[0], incidents.Retry) // a late retry from an attempt taken over
	recs, _ := s.Effects(t.Context(), "a")
	if recs[0].State != incidents.EffectDone {
		t.Fatalf("a late retry undid a success: %+v", recs[0])
	}
	if err := s.SettleEffects(t.Context(), []incidents.Settlement{{ID: uuid.New(), Outcome: "maybe"}}); err == nil {
		t.Error("an unknown outcome was accepted")
	}
}

func testConcurrentClaims(t *testing.T, open func() incidents.Store) {
	a, b := open(), open()
	var effs []incidents.Effect
	for lane := range 20 {
		for i := range 5 {
			effs = append(effs, effect(fmt.Sprint("lane-", lane), fmt.Sprintf("lane-%d/%d", lane, i)))
		}
	}
	if err := a.AddEffects(t.Context(), effs); err != nil {
		t.Fatal(err)
	}
	var (
		mu   sync.Mutex
		seen = map[string]int{}
		last = map[string]int{} // lane → index of its last effect claimed
		wg   sync.WaitGroup
	)
	for _, s := range []incidents.Store{a, b, a, b} {
		wg.Go(func() {
			for {
				got, _, err := s.ClaimEffects(t.Context(), time.Now(), 3)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					mu.Lock()
					n := len(seen)
					mu.Unlock()
					if n == len(effs) {
						return
					}
					continue
				}
				for _, e := range got {
					var i int
					fmt.Sscanf(e.Key[len(e.Lane)+1:], "%d", &i)
					mu.Lock()
					seen[e.Key]++
					if prev, ok := last[e.Lane]; (ok && i != prev+1) || (!ok && i != 0) {
						t.Errorf("%s claimed out of its lane's order (after %d)", e.Key, prev)
					}
					last[e.Lane] = i
					mu.Unlock()
					settle(t, s, e, incidents.Done)
				}
			}
		})
	}
	wg.Wait()
	for k, n := range seen {
		if n != 1 {
			t.Errorf("%s claimed %d times", k, n)
		}
	}
	if len(seen) != len(effs) {
		t.Errorf("%d of %d effects claimed", len(seen), len(effs))
	}
}
