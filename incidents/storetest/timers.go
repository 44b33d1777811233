package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/incident-bot/incident-bot/incidents"
)

// mustDue calls Due and fails t on an error.
func mustDue(t *testing.T, s incidents.Store, now time.Time, limit int) ([]uuid.UUID, time.Time) {
	t.Helper()
	ids, next, err := s.Due(t.Context(), now, limit)
	if err != nil {
		t.Fatalf("Due(%v, %d): %v", now, limit, err)
	}
	if !next.IsZero() && next.Location() != time.UTC {
		t.Errorf("Due(%v, %d): next is in %v, want UTC", now, limit, next.Location())
	}
	return ids, next
}

// checkDue fails t unless Due(now, limit) returns the incidents want, in
// that order, and the next timer wantNext (zero for none). names maps IDs
// to titles for the messages.
func checkDue(t *testing.T, s incidents.Store, names map[uuid.UUID]string, now time.Time, limit int,
	want []incidents.Incident, wantNext time.Time) {
	t.Helper()
	ids, next := mustDue(t, s, now, limit)
	wantIDs := make([]uuid.UUID, len(want))
	for i, inc := range want {
		wantIDs[i] = inc.ID
	}
	title := func(ids []uuid.UUID) string {
		s := make([]string, len(ids))
		for i, id := range ids {
			if s[i] = names[id]; s[i] == "" {
				s[i] = id.String()
			}
		}
		return fmt.Sprintf("%q", s)
	}
	if !slices.Equal(ids, wantIDs) {
		t.Errorf("Due(%v, %d) = %s, want %s", now, limit, title(ids), title(wantIDs))
	}
	if !next.Equal(us(wantNext)) || next.IsZero() != wantNext.IsZero() {
		t.Errorf("Due(%v, %d): next = %v, want %v", now, limit, next, us(wantNext))
	}
}

// setTimers is an Update fn that sets the incident's timers.
func setTimers(remind, escalate time.Time) func(*incidents.Incident) ([]incidents.Event, error) {
	return func(inc *incidents.Incident) ([]incidents.Event, error) {
		inc.RemindAt, inc.EscalateAt = remind, escalate
		return nil, nil
	}
}

func mustUpdate(t *testing.T, s incidents.Store, id uuid.UUID, fn func(*incidents.Incident) ([]incidents.Event, error)) incidents.Incident {
	t.Helper()
	inc, err := s.Update(t.Context(), id, "", eventsOnly(fn))
	if err != nil {
		t.Fatalf("Update(%s): %v", id, err)
	}
	return inc
}

// paged are pages as an incident remembers them, a webhook's secret URL
// included (only ever in the store).
var paged = []incidents.Paged{{Level: "ack", Target: incidents.PageTarget{Key: "pagerduty", Name: "PagerDuty", Spec: "pagerduty"}},
	{Level: "escalation-1", Target: incidents.PageTarget{Key: "webhook:0a1b2c", Name: "webhook hooks.example.com", Spec: "webhook:https://hooks.example.com/T0/\"q\""}}}

// checkUTC fails t unless the timers read back are in UTC.
func checkUTC(t *testing.T, what string, stored incidents.Incident) {
	t.Helper()
	for name, tm := range map[string]time.Time{"RemindAt": stored.RemindAt, "EscalateAt": stored.EscalateAt, "AckDueAt": stored.AckDueAt} {
		if !tm.IsZero() && tm.Location() != time.UTC {
			t.Errorf("%s: %s is in %v, want UTC", what, name, tm.Location())
		}
	}
}

func testTimersRoundTrip(t *testing.T, s incidents.Store) {
	pdt := time.FixedZone("PDT", -7*3600)
	want := newIncident("timers", base())
	want.ChannelID = "C0TIMERS"
	want.RemindAt = base().Add(30*time.Minute + 1234*time.Nanosecond)
	want.EscalateAt = time.Date(2025, 3, 14, 2, 0, 0, 999_999_999, pdt)
	want.EscalationLevel, want.ReminderSnoozed, want.AckDueAt = 2, true, base().Add(5*time.Minute+7*time.Nanosecond)
	got, _ := mustCreate(t, s, want, "")
	want.Number = got.Number

	check := func(what string) {
		t.Helper()
		stored := mustGet(t, s, want.ID)
		checkIncident(t, what+": Get", stored, want)
		checkUTC(t, what, stored)
		byChannel, err := s.ByChannel(t.Context(), want.ChannelID)
		if err != nil {
			t.Fatalf("%s: ByChannel: %v", what, err)
		}
		checkIncident(t, what+": ByChannel", byChannel, want)
		list := mustList(t, s, incidents.ListFilter{})
		if len(list) != 1 {
			t.Fatalf("%s: List has %d incidents, want 1", what, len(list))
		}
		checkIncident(t, what+": List", list[0], want)
	}
	checkIncident(t, "Create result", got, want)
	check("after Create")

	// Update changes each field; one timer goes back to zero.
	got = mustUpdate(t, s, want.ID, func(inc *incidents.Incident) ([]incidents.Event, error) {
		checkIncident(t, "fn's incident", *inc, want)
		inc.RemindAt, inc.EscalateAt, inc.EscalationLevel, inc.ReminderSnoozed = base().Add(time.Hour), time.Time{}, 3, false
		inc.AckDueAt, inc.AcknowledgedAt, inc.AcknowledgedBy = time.Time{}, base().Add(4*time.Minute), "PagerDuty: Rita"
		inc.Paged = paged
		return nil, nil
	})
	want.RemindAt, want.EscalateAt, want.EscalationLevel, want.ReminderSnoozed = base().Add(time.Hour), time.Time{}, 3, false
	want.AckDueAt, want.AcknowledgedAt, want.AcknowledgedBy = time.Time{}, base().Add(4*time.Minute), "PagerDuty: Rita"
	want.Paged = paged
	checkIncident(t, "Update result", got, want)
	check("after Update")

	// UpdateOnce clears everything: zero round-trips as zero.
	got, err := s.Update(t.Context(), want.ID, "clear-timers", eventsOnly(func(inc *incidents.Incident) ([]incidents.Event, error) {
		inc.RemindAt, inc.EscalateAt, inc.EscalationLevel, inc.ReminderSnoozed = time.Time{}, time.Time{}, 0, false
		return nil, nil
	}))

	if err != nil {
		t.Fatalf("UpdateOnce: %v", err)
	}
	want.RemindAt, want.EscalationLevel = time.Time{}, 0
	checkIncident(t, "UpdateOnce result", got, want)
	check("after UpdateOnce")
	if stored := mustGet(t, s, want.ID); !stored.RemindAt.IsZero() || !stored.EscalateAt.IsZero() {
		t.Errorf("cleared timers read back as %v, %v; want zero", stored.RemindAt, stored.EscalateAt)
	}
}

func testDueEmpty(t *testing.T, s incidents.Store) {
	checkDue(t, s, nil, base(), 10, nil, time.Time{})
	// Incidents without timers are never due.
	mustCreate(t, s, newIncident("no timers", base()), "")
	checkDue(t, s, nil, base().Add(24*time.Hour), 10, nil, time.Time{})
}

func testDueOrderAndNext(t *testing.T, s incidents.Store) {
	now := base().Add(time.Hour)
	names := map[uuid.UUID]string{}
	create := func(title string, status incidents.Status, remind, escalate time.Time) incidents.Incident {
		t.Helper()
		inc := newIncident(title, base())
		inc.Status, inc.RemindAt, inc.EscalateAt = status, remind, escalate
		if status == incidents.StatusResolved {
			inc.ResolvedAt = base()
		}
		inc, _ = mustCreate(t, s, inc, "")
		names[inc.ID] = title
		return inc
	}
	var zero time.Time
	// Created out of timer order, so that number order is not the answer.
	later := create("later", incidents.StatusInvestigating, now.Add(30*time.Minute), now.Add(10*time.Minute))
	remind := create("remind -1h", incidents.StatusInvestigating, now.Add(-time.Hour), zero)
	atNow := create("at now", incidents.StatusInvestigating, now, zero)
	create("no timers", incidents.StatusInvestigating, zero, zero)
	escalate := create("escalate -2h", incidents.StatusInvestigating, now.Add(time.Hour), now.Add(-2*time.Hour))
	muchLater := create("much later", incidents.StatusInvestigating, now.Add(2*time.Hour), zero)
	mitigated := create("mitigated -30m", incidents.StatusMitigated, zero, now.Add(-30*time.Minute))
	// Awaiting an acknowledgement is a timer too.
	unacked := newIncident("ack -90m", base())
	unacked.AckDueAt = now.Add(-90 * time.Minute)
	unacked, _ = mustCreate(t, s, unacked, "")
	names[unacked.ID] = "ack -90m"
	// Timer fields left set on a resolved incident: never due, never next.
	create("resolved", incidents.StatusResolved, now.Add(-3*time.Hour), now.Add(5*time.Minute))

	due := []incidents.Incident{escalate, unacked, remind, mitigated, atNow}
	checkDue(t, s, names, now, 10, due, now.Add(10*time.Minute))
	checkDue(t, s, names, now, len(due), due, now.Add(10*time.Minute))
	checkDue(t, s, names, now, 2, due[:2], now.Add(10*time.Minute))
	checkDue(t, s, names, now, 1, due[:1], now.Add(10*time.Minute))
	// A microsecond earlier, "at now" is not due yet but next.
	checkDue(t, s, names, now.Add(-time.Microsecond), 10, due[:len(due)-1], now)
	// Before every timer: nothing due, and the resolved incident's earlier
	// timer is not next.
	checkDue(t, s, names, now.Add(-3*time.Hour), 10, nil, now.Add(-2*time.Hour))
	// After every timer: all open incidents with one, nothing next.
	checkDue(t, s, names, now.Add(3*time.Hour), 10, append(due, later, muchLater), zero)
	// The time zone of now does not matter.
	checkDue(t, s, names, now.In(time.FixedZone("PDT", -7*3600)), 10, due, now.Add(10*time.Minute))
}

func testDueInvalidLimit(t *testing.T, s incidents.Store) {
	inc := newIncident("due", base())
	inc.RemindAt = base()
	mustCreate(t, s, inc, "")
	for _, limit := range []int{0, -1} {
		ids, next, err := s.Due(t.Context(), base().Add(time.Hour), limit)
		if incidents.ErrorCode(err) != incidents.EINVALID {
			t.Errorf("Due with limit %d = %v, %v, %v; want an %s error", limit, ids, next, err, incidents.EINVALID)
		}
	}
}

func testDueResolved(t *testing.T, s incidents.Store) {
	now := base().Add(time.Hour)
	inc := newIncident("resolving", base())
	inc.RemindAt, inc.EscalateAt = now.Add(-time.Minute), now.Add(time.Hour)
	want, _ := mustCreate(t, s, inc, "")
	names := map[uuid.UUID]string{want.ID: want.Title}
	// Only the IDs: whether the later timer of a due incident counts as
	// next is not part of the contract.
	if ids, _ := mustDue(t, s, now, 10); !slices.Equal(ids, []uuid.UUID{want.ID}) {
		t.Fatalf("Due before resolving = %v, want [%s]", ids, want.ID)
	}

	// Resolving without clearing the timers takes the incident off the
	// schedule, both due and next.
	got := mustUpdate(t, s, want.ID, func(inc *incidents.Incident) ([]incidents.Event, error) {
		inc.Status, inc.ResolvedAt, inc.UpdatedAt = incidents.StatusResolved, now, now
		return []incidents.Event{newEvent(*inc, now, incidents.EventResolved, "Resolved")}, nil
	})
	want.Status, want.ResolvedAt, want.UpdatedAt = incidents.StatusResolved, now, now
	checkIncident(t, "Update result", got, want)
	checkDue(t, s, names, now, 10, nil, time.Time{})
	checkDue(t, s, names, now.Add(24*time.Hour), 10, nil, time.Time{})
	// The timer fields themselves are kept as written.
	checkIncident(t, "Get of the resolved incident", mustGet(t, s, want.ID), want)

	// Any later write of a resolved incident keeps it off the schedule.
	mustUpdate(t, s, want.ID, setTimers(now.Add(-time.Hour), now.Add(-time.Hour)))
	checkDue(t, s, names, now, 10, nil, time.Time{})
}

func testDueFollowsUpdate(t *testing.T, s incidents.Store) {
	now := base().Add(time.Hour)
	inc := newIncident("moving", base())
	inc.RemindAt = now.Add(time.Hour)
	inc, _ = mustCreate(t, s, inc, "")
	other := newIncident("other", base())
	other.EscalateAt = now.Add(2 * time.Hour)
	other, _ = mustCreate(t, s, other, "")
	names := map[uuid.UUID]string{inc.ID: inc.Title, other.ID: other.Title}
	var zero time.Time

	checkDue(t, s, names, now, 10, nil, now.Add(time.Hour))
	mustUpdate(t, s, inc.ID, setTimers(now.Add(-time.Minute), zero))
	checkDue(t, s, names, now, 10, []incidents.Incident{inc}, now.Add(2*time.Hour))
	mustUpdate(t, s, inc.ID, setTimers(zero, zero))
	checkDue(t, s, names, now, 10, nil, now.Add(2*time.Hour))
	mustUpdate(t, s, inc.ID, setTimers(zero, now.Add(5*time.Minute)))
	checkDue(t, s, names, now, 10, nil, now.Add(5*time.Minute))

	// A refused Update moves nothing.
	refused := errors.New("refused")
	if _, err := s.Update(t.Context(), inc.ID, "", eventsOnly(func(i *incidents.Incident) ([]incidents.Event, error) {
		i.EscalateAt = now.Add(-time.Hour)
		return nil, refused
	})); !errors.Is(err, refused) {
		t.Fatalf("refused Update: err = %v, want fn's error", err)
	}
	checkDue(t, s, names, now, 10, nil, now.Add(5*time.Minute))

	// UpdateOnce moves timers like Update; a duplicate moves nothing.
	if _, err := s.Update(t.Context(), other.ID, "fire-1", eventsOnly(setTimers(zero, now.Add(-time.Second)))); err != nil {
		t.Fatalf("UpdateOnce: %v", err)
	}
	checkDue(t, s, names, now, 10, []incidents.Incident{other}, now.Add(5*time.Minute))
	if _, err := s.Update(t.Context(), other.ID, "fire-1", eventsOnly(setTimers(zero, zero))); !errors.Is(err, incidents.ErrDuplicate) {
		t.Fatalf("UpdateOnce with a used key: err = %v, want ErrDuplicate", err)
	}
	checkDue(t, s, names, now, 10, []incidents.Incident{other}, now.Add(5*time.Minute))
}

// testDueConcurrentWithUpdates runs sweeps while updates move timers: Due
// reads without locks and must neither fail nor block on them.
func testDueConcurrentWithUpdates(t *testing.T, s incidents.Store) {
	now := base().Add(time.Hour)
	inc := newIncident("busy", base())
	inc.RemindAt = now.Add(-time.Minute)
	inc, _ = mustCreate(t, s, inc, "")
	done := make(chan error, 1)
	go func() {
		var err error
		for i := range 20 {
			remind := now.Add(time.Duration(i%2*2-1) * time.Minute) // alternately due and not
			if _, err = s.Update(t.Context(), inc.ID, "", eventsOnly(setTimers(remind, time.Time{}))); err != nil {
				break
			}
		}
		done <- err
	}()
	for range 20 {
		ids, next, err := s.Due(t.Context(), now, 10)
		if err != nil {
			t.Fatalf("Due during updates: %v", err)
		}
		// Exactly one of the two states, never both or neither.
		if (len(ids) == 1) == !next.IsZero() || len(ids) > 1 {
			t.Errorf("Due during updates = %v, next %v; want the incident either due or next", ids, next)
		}
	}
	if err := <-done; err != nil {
		t.Fatalf("Update: %v", err)
	}
}
