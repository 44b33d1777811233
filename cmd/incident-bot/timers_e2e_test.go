package main

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/incident-bot/incident-bot/incidents"
)

// The reminder mentions the commander with Post update / Snooze buttons;
// snoozing is recorded; escalation pages the user group in the channel and
// is announced in INCIDENTS_CHANNEL. A replica's scheduler sweeps at chosen
// future times, so nothing waits for a real timer.
func TestReminderSnoozeAndEscalationInSlack(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		h := newHarness(t, kind, map[string]string{"ESCALATION_USERGROUP": "S0ONCALL1", "ESCALATION_USERGROUP_2": "S0LEADS01"})
		inc, ch := h.declare(rita, "start sev1 Checkout is failing", "Checkout is failing")
		replica := newReplica(t, h)
		sweep := func(d time.Duration) int {
			res, err := replica.sched.Sweep(context.Background(), inc.DeclaredAt.Add(d))
			if err != nil {
				t.Fatal(err)
			}
			return res.Fired
		}
		if n := sweep(14 * time.Minute); n != 0 {
			t.Fatalf("%d timers fired before 15m", n)
		}
		if n := sweep(15 * time.Minute); n != 1 {
			t.Fatalf("%d timers fired at 15m, want the reminder", n)
		}
		reminder := h.messageContaining(ch.ID, "no status update for 15m")
		for _, want := range []string{"<@" + rita + ">", "incident_update", "incident_snooze"} {
			if !strings.Contains(string(reminder.Blocks), want) {
				t.Errorf("reminder lacks %q: %s", want, reminder.Blocks)
			}
		}

		cur, _ := h.openStore(t).Get(context.Background(), inc.ID)
		h.send("interactive", h.slack.BlockAction(rita, ch.ID, reminder.TS, "incident_snooze", inc.ID.String()+"|"+cur.RemindAt.Format(time.RFC3339Nano)))
		h.messageContaining(ch.ID, "snoozed the update reminder")
		// (The live bot snoozes on the real clock while this replica sweeps
		// at simulated times, so when the snoozed reminder falls due is
		// checked with a fake clock in the incidents package instead.)
		sweep(30 * time.Minute)
		h.messageContaining(ch.ID, "<!subteam^S0ONCALL1>")
		h.messageContaining(h.announce, "escalated to level 1")
		sweep(61 * time.Minute)
		if m := h.messageContaining(ch.ID, "<!subteam^S0LEADS01>"); !strings.Contains(m.Text, "escalating (level 2)") {
			t.Errorf("second level message: %q", m.Text)
		}
		h.messageContaining(h.announce, "escalated to level 2")

		evs, err := h.openStore(t).Timeline(context.Background(), inc.ID)
		if err != nil {
			t.Fatal(err)
		}
		count := map[incidents.EventKind]int{}
		for _, e := range evs {
			count[e.Kind]++
			if e.Kind == incidents.EventSnoozed && e.Actor != rita {
				t.Errorf("snooze recorded for %s, want %s", e.Actor, rita)
			}
		}
		if count[incidents.EventReminder] < 1 || count[incidents.EventSnoozed] != 1 || count[incidents.EventEscalated] != 2 {
			t.Fatalf("timeline counts: %v", count)
		}
	})
}

func TestTimerSettings(t *testing.T) {
	env := map[string]string{
		"INCIDENT_UPDATE_INTERVAL": "10m", "ESCALATION_USERGROUP": "S0ONCALL1", "INCIDENT_ESCALATE_AFTER": "20m",
		"ESCALATION_USERGROUP_2": "S0LEADS01", "INCIDENT_ESCALATE_AFTER_SEV4": "off", "INCIDENT_UPDATE_INTERVAL_SEV1": "5m",
		"INCIDENT_REMIND_WHEN_MITIGATED": "false",
	}
	p, err := loadPolicy(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	d := p.For(incidents.Sev2)
	if d.UpdateInterval != 10*time.Minute || len(d.Escalation) != 2 || !reflect.DeepEqual(d.Escalation[0], incidents.Level{After: 20 * time.Minute, Group: "S0ONCALL1"}) ||
		!reflect.DeepEqual(d.Escalation[1], incidents.Level{After: time.Hour, Group: "S0LEADS01"}) || p.RemindWhenMitigated {
		t.Fatalf("default rules = %+v, policy %+v", d, p)
	}
	if s1 := p.For(incidents.Sev1); s1.UpdateInterval != 5*time.Minute || len(s1.Escalation) != 2 {
		t.Fatalf("sev1 = %+v", s1)
	}
	if s4 := p.For(incidents.Sev4); len(s4.Escalation) != 0 {
		t.Fatalf("sev4 escalates although INCIDENT_ESCALATE_AFTER_SEV4=off: %+v", s4)
	}
	for name, bad := range map[string]map[string]string{
		"handle not ID":    {"ESCALATION_USERGROUP": "@oncall"},
		"bad duration":     {"INCIDENT_UPDATE_INTERVAL": "soon"},
		"too short":        {"INCIDENT_UPDATE_INTERVAL": "10s"},
		"levels reversed":  {"INCIDENT_ESCALATE_AFTER": "90m", "ESCALATION_USERGROUP_2": "S0LEADS01"},
		"_2 without level": {"INCIDENT_ESCALATE_AFTER_2_SEV1": "45m"},
	} {
		if _, err := loadPolicy(func(k string) string { return bad[k] }); err == nil {
			t.Errorf("%s: accepted %v", name, bad)
		}
	}
}
