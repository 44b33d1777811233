package incidents

import (
	"fmt"
	"maps"
	"slices"
	"time"
)

// Level is one step of escalation: who is paged, and how long after the
// declaration an unresolved incident reaches it.
type Level struct {
	After time.Duration
	Group string // Slack user group ID (S…); empty pages nobody but is still announced
	// Pages are where the level is paged outside Slack.
	Pages []PageTarget
}

// PageTarget is one place pages go: PagerDuty, an SNS topic, a webhook.
type PageTarget struct {
	Key  string `json:"key"`  // its identity in effect keys and lanes (and logs): no secret
	Name string `json:"name"` // for people: "PagerDuty", "SNS topic oncall (eu-west-2)"
	Spec string `json:"spec"` // what the pager reads ("pagerduty", "webhook:https://…"): may hold a secret URL
}

// Rules are the timer rules for one severity. The team's runbook ("Handling
// critical alerts"): update the team every 15 minutes; escalate if there
// is no resolution in 30 minutes.
type Rules struct {
	UpdateInterval time.Duration // 0: no update reminders
	Escalation     []Level       // ascending After; empty: no escalation
	// AckTimeout is how long an incident an alert opened may wait for
	// someone to take command before AckPages are paged (the first level:
	// whoever is on call). 0, or no AckPages: nothing is awaited.
	AckTimeout time.Duration
	AckPages   []PageTarget
}

// Policy is the timer rules for every severity.
type Policy struct {
	Default    Rules
	BySeverity map[Severity]Rules // overrides Default for that severity
	// RemindWhenMitigated keeps update reminders going while an incident
	// is mitigated; when false, mitigating stops them (escalation, which is
	// about resolution, goes on).
	RemindWhenMitigated bool
}

// For returns the rules for sev.
func (p Policy) For(sev Severity) Rules {
	if r, ok := p.BySeverity[sev]; ok {
		return r
	}
	return p.Default
}

// Validate checks that escalation levels come in ascending order.
func (p Policy) Validate() error {
	check := func(name string, r Rules) error {
		if r.UpdateInterval < 0 || r.AckTimeout < 0 {
			return fmt.Errorf("%s: the update interval and the acknowledgement timeout must not be negative", name)
		}
		for i, l := range r.Escalation {
			if l.After <= 0 {
				return fmt.Errorf("%s: escalation level %d needs a positive delay", name, i+1)
			}
			if i > 0 && l.After <= r.Escalation[i-1].After {
				return fmt.Errorf("%s: escalation level %d (%s) must come after level %d (%s)", name, i+1, l.After, i, r.Escalation[i-1].After)
			}
		}
		return nil
	}
	if err := check("default", p.Default); err != nil {
		return err
	}
	// In severity order, so the same settings always name the same one.
	for _, sev := range slices.Sorted(maps.Keys(p.BySeverity)) {
		if err := check(sev.String(), p.BySeverity[sev]); err != nil {
			return err
		}
	}
	return nil
}

// remindingPaused reports whether reminders stop in the incident's
// current state.
func (p Policy) remindingPaused(inc *Incident) bool {
	return !inc.Status.Open() || (inc.Status == StatusMitigated && !p.RemindWhenMitigated)
}

// scheduleReminder sets the next reminder to interval after from, or
// clears it when the rules or the state say no reminders.
func (p Policy) scheduleReminder(inc *Incident, from time.Time) {
	iv := p.For(inc.Severity).UpdateInterval
	if iv <= 0 || p.remindingPaused(inc) {
		inc.RemindAt = time.Time{}
		return
	}
	inc.RemindAt = from.Add(iv)
}

// scheduleEscalation sets EscalateAt to the next level not yet fired,
// counted from the declaration, or clears it.
func (p Policy) scheduleEscalation(inc *Incident) {
	levels := p.For(inc.Severity).Escalation
	if !inc.Status.Open() || inc.EscalationLevel >= len(levels) {
		inc.EscalateAt = time.Time{}
		return
	}
	inc.EscalateAt = inc.DeclaredAt.Add(levels[inc.EscalationLevel].After)
}

// changeSeverity moves the timers to the new severity's rules: the
// current reminder cycle keeps its start but takes the new interval (never
// earlier than now, so no reminder fires twice for one cycle), and the
// next escalation level is counted from the declaration (one already due
// under the new rules fires at the next sweep).
func (p Policy) changeSeverity(inc *Incident, old Severity, now time.Time) {
	oldIv := p.For(old).UpdateInterval
	start := inc.LastStatusUpdateAt
	if !inc.RemindAt.IsZero() && oldIv > 0 {
		start = inc.RemindAt.Add(-oldIv)
	}
	p.scheduleReminder(inc, start)
	if !inc.RemindAt.IsZero() && inc.RemindAt.Before(now) {
		inc.RemindAt = now
	}
	p.scheduleEscalation(inc)
	p.scheduleAck(inc)
}

// scheduleAck sets when an unacknowledged incident pages its first level,
// or clears it: acknowledged, paged already, resolved, or nothing to page.
func (p Policy) scheduleAck(inc *Incident) {
	r := p.For(inc.Severity)
	if !inc.Status.Open() || !inc.AcknowledgedAt.IsZero() || inc.OnCallPaged() || r.AckTimeout <= 0 || len(r.AckPages) == 0 {
		inc.AckDueAt = time.Time{}
		return
	}
	inc.AckDueAt = inc.DeclaredAt.Add(r.AckTimeout)
}
