package incidents_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/postgres"
	"github.com/incident-bot/incident-bot/incidents/sqlite"
	"github.com/incident-bot/incident-bot/internal/testpg"
)

var t0 = time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC)

func policy() incidents.Policy {
	return incidents.Policy{
		Default: incidents.Rules{UpdateInterval: 15 * time.Minute, Escalation: []incidents.Level{
			{After: 30 * time.Minute, Group: "S0ONCALL1"}, {After: 60 * time.Minute, Group: "S0LEADS01"}}},
		BySeverity:          map[incidents.Severity]incidents.Rules{incidents.Sev4: {UpdateInterval: 15 * time.Minute}},
		RemindWhenMitigated: true,
	}
}

// timerWorld is a service and scheduler over one store, with a fake clock.
type timerWorld struct {
	st    incidents.Store
	svc   *incidents.Service
	sched *incidents.Scheduler
	clock *fakeClock
	rec   *recorder
}

func newTimerWorld(t *testing.T, st incidents.Store, p incidents.Policy) *timerWorld {
	t.Helper()
	w := &timerWorld{st: st, clock: &fakeClock{t: t0}, rec: &recorder{st: st}}
	var err error
	if w.svc, err = incidents.NewService(incidents.ServiceOptions{Store: st, Clock: w.clock, Policy: p}); err != nil {
		t.Fatal(err)
	}
	if w.sched, err = incidents.NewScheduler(w.svc, nil); err != nil {
		t.Fatal(err)
	}
	return w
}

func sqliteStore(t testing.TB, path string) incidents.Store {
	t.Helper()
	st, err := sqlite.New(context.Background(), sqlite.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// sweepAt moves the clock to t0+d and sweeps, returning how many fired.
func (w *timerWorld) sweepAt(t *testing.T, d time.Duration) int {
	t.Helper()
	w.clock.t = t0.Add(d)
	res, err := w.sched.Sweep(context.Background(), w.clock.t)
	if err != nil {
		t.Fatal(err)
	}
	return res.Fired
}

func (w *timerWorld) declare(t *testing.T, sev incidents.Severity) incidents.Incident {
	t.Helper()
	inc, _, err := w.svc.Declare(context.Background(), incidents.Declaration{Title: "API down", Severity: sev, Reporter: "U1"})
	if err != nil {
		t.Fatal(err)
	}
	return inc
}

func TestReminderRepeatsAndUpdateResetsIt(t *testing.T) {
	w := newTimerWorld(t, sqliteStore(t, filepath.Join(t.TempDir(), "t.db")), incidents.Policy{
		Default: incidents.Rules{UpdateInterval: 15 * time.Minute}, RemindWhenMitigated: true})
	inc := w.declare(t, incidents.Sev2)
	if n := w.sweepAt(t, 14*time.Minute); n != 0 {
		t.Fatalf("fired %d before the interval", n)
	}
	if n := w.sweepAt(t, 15*time.Minute); n != 1 {
		t.Fatalf("fired %d at 15m, want the reminder", n)
	}
	if n := w.sweepAt(t, 15*time.Minute+time.Second); n != 0 {
		t.Fatalf("the same reminder fired again")
	}
	if n := w.sweepAt(t, 30*time.Minute); n != 1 {
		t.Fatalf("no repeat at 30m")
	}
	// An update at 35m resets the clock: nothing at 45m, a reminder at 50m.
	w.clock.t = t0.Add(35 * time.Minute)
	if _, err := w.svc.PostUpdate(context.Background(), inc.ID, incidents.By{User: "U1"}, "rolling back"); err != nil {
		t.Fatal(err)
	}
	if n := w.sweepAt(t, 45*time.Minute); n != 0 {
		t.Fatalf("reminder fired although an update came 10m ago")
	}
	if n := w.sweepAt(t, 50*time.Minute); n != 1 {
		t.Fatalf("no reminder 15m after the update")
	}
	evs, _ := w.svc.Timeline(context.Background(), inc.ID)
	var kinds []incidents.EventKind
	for _, e := range evs {
		kinds = append(kinds, e.Kind)
	}
	want := []incidents.EventKind{incidents.EventDeclared, incidents.EventReminder, incidents.EventReminder, incidents.EventStatusUpdate, incidents.EventReminder}
	if len(kinds) != len(want) {
		t.Fatalf("timeline %v, want %v", kinds, want)
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("timeline %v, want %v", kinds, want)
		}
	}
	if r, _ := w.rec.counts(); r != 3 {
		t.Fatalf("notifier told of %d reminders, want 3", r)
	}
}

func TestEscalationLevelsAndSeverityOverride(t *testing.T) {
	w := newTimerWorld(t, sqliteStore(t, filepath.Join(t.TempDir(), "t.db")), policy())
	w.declare(t, incidents.Sev1)
	sev4 := w.declare(t, incidents.Sev4)
	w.sweepAt(t, 29*time.Minute)
	if _, e := w.rec.counts(); e != 0 {
		t.Fatalf("escalated before 30m")
	}
	w.sweepAt(t, 30*time.Minute)
	w.sweepAt(t, 45*time.Minute)
	if _, e := w.rec.counts(); e != 1 || w.rec.groups()[0] != "S0ONCALL1" {
		t.Fatalf("escalations after 45m: %+v", w.rec.groups())
	}
	w.sweepAt(t, 60*time.Minute)
	w.sweepAt(t, 3*time.Hour)
	if _, e := w.rec.counts(); e != 2 || w.rec.groups()[1] != "S0LEADS01" {
		t.Fatalf("escalations after 3h: %+v (the sev4 has none, the sev1 two levels)", w.rec.groups())
	}
	got, _ := w.svc.Get(context.Background(), sev4.ID)
	if !got.EscalateAt.IsZero() || got.EscalationLevel != 0 {
		t.Fatalf("sev4 escalation state = %v/%d", got.EscalateAt, got.EscalationLevel)
	}
}

// Resolving cancels every timer in the same transaction: nothing fires
// afterwards.
func TestResolveCancelsTimers(t *testing.T) {
	w := newTimerWorld(t, sqliteStore(t, filepath.Join(t.TempDir(), "t.db")), policy())
	inc := w.declare(t, incidents.Sev1)
	w.clock.t = t0.Add(10 * time.Minute)
	res, err := w.svc.SetStatus(context.Background(), inc.ID, incidents.By{User: "U1"}, incidents.StatusResolved, "fixed")
	if err != nil {
		t.Fatal(err)
	}
	if !res.RemindAt.IsZero() || !res.EscalateAt.IsZero() {
		t.Fatalf("resolved incident still has timers: %+v", res)
	}
	if n := w.sweepAt(t, 5*time.Hour); n != 0 {
		t.Fatalf("%d timers fired after resolution", n)
	}
	if ids, next, _ := w.st.Due(context.Background(), t0.Add(100*time.Hour), 10); len(ids) != 0 || !next.IsZero() {
		t.Fatalf("resolved incident still due: %v next %v", ids, next)
	}
}

// After a restart, a timer that fell due while the bot was down fires
// once, not once per missed interval; every overdue escalation level
// fires once.
func TestRestartWithOverdueTimersFiresOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	before := newTimerWorld(t, sqliteStore(t, path), policy())
	inc := before.declare(t, incidents.Sev1)

	after := newTimerWorld(t, sqliteStore(t, path), policy()) // the restarted bot
	if n := after.sweepAt(t, 2*time.Hour); n != 3 {
		t.Fatalf("fired %d after 2h down, want 1 reminder + 2 escalation levels", n)
	}
	if n := after.sweepAt(t, 2*time.Hour+time.Minute); n != 0 {
		t.Fatalf("fired %d more a minute later", n)
	}
	got, _ := after.svc.Get(context.Background(), inc.ID)
	if want := t0.Add(2*time.Hour + 15*time.Minute); !got.RemindAt.Equal(want) {
		t.Fatalf("next reminder %v, want %v (15m after the late one)", got.RemindAt, want)
	}
}

func TestMitigatedPausesRemindersOnlyIfConfigured(t *testing.T) {
	for _, keep := range []bool{true, false} {
		p := policy()
		p.RemindWhenMitigated = keep
		w := newTimerWorld(t, sqliteStore(t, filepath.Join(t.TempDir(), "t.db")), p)
		inc := w.declare(t, incidents.Sev2)
		w.clock.t = t0.Add(5 * time.Minute)
		if _, err := w.svc.SetStatus(context.Background(), inc.ID, incidents.By{User: "U1"}, incidents.StatusMitigated, ""); err != nil {
			t.Fatal(err)
		}
		w.sweepAt(t, 20*time.Minute)
		if r, _ := w.rec.counts(); (r == 1) != keep {
			t.Fatalf("RemindWhenMitigated=%v: %d reminders while mitigated", keep, r)
		}
		w.clock.t = t0.Add(21 * time.Minute)
		if _, err := w.svc.SetStatus(context.Background(), inc.ID, incidents.By{User: "U1"}, incidents.StatusInvestigating, "it is back"); err != nil {
			t.Fatal(err)
		}
		before, _ := w.rec.counts()
		w.sweepAt(t, 36*time.Minute)
		if r, _ := w.rec.counts(); r != before+1 {
			t.Fatalf("RemindWhenMitigated=%v: no reminder 15m after going back to investigating", keep)
		}
	}
}

func TestSnoozeOnce(t *testing.T) {
	w := newTimerWorld(t, sqliteStore(t, filepath.Join(t.TempDir(), "t.db")), incidents.Policy{Default: incidents.Rules{UpdateInterval: 15 * time.Minute}})
	inc := w.declare(t, incidents.Sev2)
	w.sweepAt(t, 15*time.Minute)
	w.clock.t = t0.Add(16 * time.Minute)
	if _, err := w.svc.Snooze(context.Background(), inc.ID, incidents.By{User: "U1"}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Snooze(context.Background(), inc.ID, incidents.By{User: "U1"}, time.Time{}); incidents.ErrorCode(err) != incidents.ECONFLICT {
		t.Fatalf("second snooze: %v", err)
	}
	// The reminder fired at 15m set the next for 30m; the snooze adds
	// another interval from that: 45m.
	if n := w.sweepAt(t, 44*time.Minute); n != 0 {
		t.Fatal("reminder fired during the snooze")
	}
	if n := w.sweepAt(t, 45*time.Minute); n != 1 {
		t.Fatal("no reminder when the snooze ended")
	}
	// A new reminder may be snoozed again.
	w.clock.t = t0.Add(46 * time.Minute)
	if _, err := w.svc.Snooze(context.Background(), inc.ID, incidents.By{User: "U1"}, time.Time{}); err != nil {
		t.Fatalf("snoozing the next reminder: %v", err)
	}
}

func TestSeverityChangeReschedules(t *testing.T) {
	w := newTimerWorld(t, sqliteStore(t, filepath.Join(t.TempDir(), "t.db")), policy())
	inc := w.declare(t, incidents.Sev4) // no escalation for sev4
	w.clock.t = t0.Add(40 * time.Minute)
	got, err := w.svc.SetSeverity(context.Background(), inc.ID, incidents.By{User: "U1"}, incidents.Sev1)
	if err != nil {
		t.Fatal(err)
	}
	if !got.EscalateAt.Equal(t0.Add(30 * time.Minute)) {
		t.Fatalf("escalation after upgrade due %v, want 30m after the declaration", got.EscalateAt)
	}
	w.sweepAt(t, 40*time.Minute)
	if _, e := w.rec.counts(); e != 1 || w.rec.groups()[0] != "S0ONCALL1" {
		t.Fatalf("escalations after the upgrade: %+v, want level 1 once", w.rec.groups())
	}
}

// Two schedulers (replicas) sweeping one PostgreSQL at the same moment:
// each reminder and escalation fires exactly once.
func TestTwoSchedulersFireOnce(t *testing.T) {
	stores := map[string]func() incidents.Store{}
	url := testpg.URL(t)
	stores["postgres"] = func() incidents.Store {
		st, err := postgres.New(context.Background(), postgres.Options{URL: url})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	path := filepath.Join(t.TempDir(), "t.db")
	stores["sqlite"] = func() incidents.Store { return sqliteStore(t, path) }
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			a, b := newTimerWorld(t, open(), policy()), newTimerWorld(t, open(), policy())
			for range 10 {
				a.declare(t, incidents.Sev1)
			}
			for _, d := range []time.Duration{15 * time.Minute, 30 * time.Minute, 60 * time.Minute} {
				a.clock.t, b.clock.t = t0.Add(d), t0.Add(d)
				var wg sync.WaitGroup
				for _, w := range []*timerWorld{a, b, a, b} {
					wg.Go(func() {
						if _, err := w.sched.Sweep(context.Background(), t0.Add(d)); err != nil {
							t.Error(err)
						}
					})
				}
				wg.Wait()
			}
			// Both replicas see one outbox: 10 incidents × reminders at
			// 15m, 30m, 60m; escalations at 30m and 60m.
			if r, e := a.rec.counts(); r != 30 || e != 20 {
				t.Fatalf("reminders %d (want 30), escalations %d (want 20)", r, e)
			}
		})
	}
}

// A timer left due by a policy change (reminders now paused while
// mitigated, a level removed) is cleared without firing, and the sweep
// ends instead of finding it due for ever.
func TestStaleTimersAreClearedNotFired(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	old := newTimerWorld(t, sqliteStore(t, path), policy())
	inc := old.declare(t, incidents.Sev1)
	old.clock.t = t0.Add(time.Minute)
	if _, err := old.svc.SetStatus(context.Background(), inc.ID, incidents.By{User: "U1"}, incidents.StatusMitigated, ""); err != nil {
		t.Fatal(err)
	}
	// Restart with reminders paused while mitigated and no escalation.
	p := incidents.Policy{Default: incidents.Rules{UpdateInterval: 15 * time.Minute}}
	now := newTimerWorld(t, sqliteStore(t, path), p)
	if n := now.sweepAt(t, 3*time.Hour); n != 0 {
		t.Fatalf("%d stale timers fired", n)
	}
	got, _ := now.svc.Get(context.Background(), inc.ID)
	if !got.RemindAt.IsZero() || !got.EscalateAt.IsZero() {
		t.Fatalf("stale timers left: remind %v escalate %v", got.RemindAt, got.EscalateAt)
	}
}

// The sweep reports the next timer, including the ones it just set.
func TestSweepReportsNextTimer(t *testing.T) {
	w := newTimerWorld(t, sqliteStore(t, filepath.Join(t.TempDir(), "t.db")), incidents.Policy{Default: incidents.Rules{UpdateInterval: 15 * time.Minute}})
	w.declare(t, incidents.Sev2)
	w.clock.t = t0.Add(15 * time.Minute)
	res, err := w.sched.Sweep(context.Background(), w.clock.t)
	if err != nil || res.Fired != 1 {
		t.Fatalf("sweep: %+v %v", res, err)
	}
	if want := t0.Add(30 * time.Minute); !res.Next.Equal(want) {
		t.Fatalf("next = %v, want %v", res.Next, want)
	}
}

// A Snooze from an older reminder, after an update began a new cycle, is
// refused instead of pushing the new cycle back.
func TestStaleSnoozeRefused(t *testing.T) {
	w := newTimerWorld(t, sqliteStore(t, filepath.Join(t.TempDir(), "t.db")), incidents.Policy{Default: incidents.Rules{UpdateInterval: 15 * time.Minute}})
	inc := w.declare(t, incidents.Sev2)
	w.sweepAt(t, 15*time.Minute)
	old, _ := w.svc.Get(context.Background(), inc.ID) // the reminder offered this cycle
	w.clock.t = t0.Add(20 * time.Minute)
	if _, err := w.svc.PostUpdate(context.Background(), inc.ID, incidents.By{User: "U1"}, "still digging"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Snooze(context.Background(), inc.ID, incidents.By{User: "U1"}, old.RemindAt); incidents.ErrorCode(err) != incidents.ECONFLICT {
		t.Fatalf("stale snooze: %v", err)
	}
}

// Going back to investigating resumes reminders from the last update; it
// does not start a fresh interval.
func TestReopeningKeepsTheReminderClock(t *testing.T) {
	p := policy()
	p.RemindWhenMitigated = false
	w := newTimerWorld(t, sqliteStore(t, filepath.Join(t.TempDir(), "t.db")), p)
	inc := w.declare(t, incidents.Sev2)
	w.clock.t = t0.Add(10 * time.Minute)
	w.svc.SetStatus(context.Background(), inc.ID, incidents.By{User: "U1"}, incidents.StatusMitigated, "")
	w.clock.t = t0.Add(14 * time.Minute)
	got, err := w.svc.SetStatus(context.Background(), inc.ID, incidents.By{User: "U1"}, incidents.StatusInvestigating, "")
	if err != nil {
		t.Fatal(err)
	}
	if want := t0.Add(15 * time.Minute); !got.RemindAt.Equal(want) {
		t.Fatalf("reminder due %v after reopening, want %v (15m after the last update)", got.RemindAt, want)
	}
}
