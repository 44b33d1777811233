package main

import (
	"testing"
	"time"

	"github.com/incident-bot/incident-bot/internal/testclock"
)

// The running bot on a clock the test drives: fifteen minutes without a
// status update bring one reminder, thirty one escalation — from serve's
// own timers, with no second scheduler and no waiting for real minutes.
func TestTimersOnTheBotsOwnClock(t *testing.T) {
	h := newHarness(t, "sqlite", map[string]string{"ESCALATION_USERGROUP": "S0ONCALL1"})
	h.stop()
	clock := testclock.New(time.Now().UTC())
	h.clock = clock
	h.start()
	inc, ch := h.declare(rita, "start sev2 Clockwork outage", "Clockwork outage")
	h.settled()
	if n := h.count(ch.ID, "no status update for"); n != 0 {
		t.Fatalf("%d reminders before any time passed", n)
	}
	clock.Advance(16 * time.Minute)
	h.eventually("the reminder", func() bool { return h.count(ch.ID, "no status update for 16m") == 1 })
	clock.Advance(15 * time.Minute)
	h.eventually("the escalation", func() bool { return h.count(h.announce, "*"+inc.Title+"* (SEV2) escalated to level 1") == 1 })
	h.settled()
	if n := h.count(ch.ID, "<!subteam^S0ONCALL1>"); n != 1 {
		t.Errorf("the on-call group was paged %d times, want once", n)
	}
	if n := h.count(h.announce, "escalated to level 1"); n != 1 {
		t.Errorf("escalated %d times, want once", n)
	}
}
