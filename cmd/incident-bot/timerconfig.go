package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/paging"
)

// Timer defaults, from the team's runbook: update every 15 minutes,
// escalate when not resolved in 30 minutes.
const (
	defaultUpdateInterval = 15 * time.Minute
	defaultEscalateAfter  = 30 * time.Minute
	defaultEscalateAfter2 = 60 * time.Minute
	// defaultAckTimeout: an incident an alert opened pages the on-call
	// when nobody has taken command 5 minutes later.
	defaultAckTimeout = 5 * time.Minute
)

var usergroupID = regexp.MustCompile(`^S[A-Z0-9]{2,}$`)

// loadPolicy reads the reminder and escalation settings:
//
//	INCIDENT_UPDATE_INTERVAL (15m), INCIDENT_ESCALATE_AFTER (30m),
//	ESCALATION_USERGROUP; a second level with ESCALATION_USERGROUP_2 and
//	INCIDENT_ESCALATE_AFTER_2 (60m); per-severity overrides
//	INCIDENT_UPDATE_INTERVAL_SEV1…4, INCIDENT_ESCALATE_AFTER_SEV1…4,
//	INCIDENT_ESCALATE_AFTER_2_SEV1…4; INCIDENT_REMIND_WHEN_MITIGATED (true);
//	paging: INCIDENT_ACK_TIMEOUT (5m) and ACK_PAGE, ESCALATION_PAGE,
//	ESCALATION_PAGE_2, each also per severity (…_SEV1…4).
//
// Any duration may be "off".
func loadPolicy(getenv func(string) string) (incidents.Policy, error) {
	r := &policyEnv{getenv: getenv}
	r.g1, r.g2 = r.group("ESCALATION_USERGROUP"), r.group("ESCALATION_USERGROUP_2")
	r.second = r.g2 != "" || strings.TrimSpace(getenv("INCIDENT_ESCALATE_AFTER_2")) != "" || strings.TrimSpace(getenv("ESCALATION_PAGE_2")) != ""
	base := incidents.Rules{UpdateInterval: defaultUpdateInterval, AckTimeout: defaultAckTimeout,
		Escalation: []incidents.Level{{After: defaultEscalateAfter}, {After: defaultEscalateAfter2}}}
	p := incidents.Policy{Default: r.rules("", base), BySeverity: map[incidents.Severity]incidents.Rules{}}
	for sev := incidents.Sev1; sev <= incidents.Sev4; sev++ {
		suffix := "_" + strings.ToUpper(sev.String())
		if !r.second && strings.TrimSpace(getenv("INCIDENT_ESCALATE_AFTER_2"+suffix)) != "" {
			r.errs = append(r.errs, fmt.Errorf("INCIDENT_ESCALATE_AFTER_2%s needs a second level: set ESCALATION_USERGROUP_2 (or INCIDENT_ESCALATE_AFTER_2)", suffix))
		}
		if rules := r.rules(suffix, p.Default); !sameRules(rules, p.Default) {
			p.BySeverity[sev] = rules
		}
	}
	p.RemindWhenMitigated = r.remindWhenMitigated()
	if err := p.Validate(); err != nil {
		r.errs = append(r.errs, fmt.Errorf("escalation settings: %w (INCIDENT_ESCALATE_AFTER_2 must be later than INCIDENT_ESCALATE_AFTER)", err))
	}
	return p, errors.Join(r.errs...)
}

// policyEnv reads timer settings from the environment, collecting every
// problem in the order found.
type policyEnv struct {
	getenv func(string) string
	errs   []error
	g1, g2 string // escalation user groups, first and second level
	second bool   // a second escalation level is configured
}

// dur reads a duration variable: def when unset, 0 when off.
func (r *policyEnv) dur(name string, def time.Duration) time.Duration {
	v := strings.TrimSpace(r.getenv(name))
	switch strings.ToLower(v) {
	case "":
		return def
	case "off", "0", "none":
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < time.Minute {
		r.errs = append(r.errs, fmt.Errorf("%s must be a duration of at least 1m (such as 15m) or off, got %q", name, v))
		return def
	}
	return d
}

// group reads a Slack user group ID variable.
func (r *policyEnv) group(name string) string {
	v := strings.TrimSpace(r.getenv(name))
	if v != "" && !usergroupID.MatchString(v) {
		r.errs = append(r.errs, fmt.Errorf("%s must be a Slack user group ID such as S0123ABCD (not a @handle), got %q", name, v))
	}
	return v
}

// rules reads the rules for the variables ending in suffix, defaulting to base.
//
// A severity whose INCIDENT_ESCALATE_AFTER is off never escalates,
// whatever the second level says.
func (r *policyEnv) rules(suffix string, base incidents.Rules) incidents.Rules {
	rules := incidents.Rules{UpdateInterval: r.dur("INCIDENT_UPDATE_INTERVAL"+suffix, base.UpdateInterval),
		AckTimeout: r.dur("INCIDENT_ACK_TIMEOUT"+suffix, base.AckTimeout), AckPages: r.pages("ACK_PAGE", suffix, base.AckPages)}
	var lv1, lv2 incidents.Level
	if len(base.Escalation) > 0 {
		lv1 = base.Escalation[0]
	}
	if len(base.Escalation) > 1 {
		lv2 = base.Escalation[1]
	}
	a1 := r.dur("INCIDENT_ESCALATE_AFTER"+suffix, lv1.After)
	if a1 <= 0 {
		return rules
	}
	rules.Escalation = append(rules.Escalation, incidents.Level{After: a1, Group: r.g1, Pages: r.pages("ESCALATION_PAGE", suffix, lv1.Pages)})
	if a := r.dur("INCIDENT_ESCALATE_AFTER_2"+suffix, lv2.After); a > 0 && (r.second || r.getenv("ESCALATION_PAGE_2") != "") {
		rules.Escalation = append(rules.Escalation, incidents.Level{After: a, Group: r.g2, Pages: r.pages("ESCALATION_PAGE_2", suffix, lv2.Pages)})
	}
	return rules
}

// pages reads the paging targets of name+suffix ("pagerduty, sns:arn:…"),
// defaulting to base; "off" pages nobody at that severity.
func (r *policyEnv) pages(name, suffix string, base []incidents.PageTarget) []incidents.PageTarget {
	v := strings.TrimSpace(r.getenv(name + suffix))
	switch strings.ToLower(v) {
	case "":
		return base
	case "off", "none":
		return nil
	}
	ts, err := paging.ParseTargets(name+suffix, v, r.getenv)
	if err != nil {
		r.errs = append(r.errs, err)
		return base
	}
	out := make([]incidents.PageTarget, 0, len(ts))
	for _, t := range ts {
		out = append(out, pageTarget(t))
	}
	return out
}

// pageTarget is t as the domain keeps it: a webhook's URL (its path is
// often its secret) only in Spec, which the pager reads.
func pageTarget(t paging.Target) incidents.PageTarget {
	spec := t.Kind
	if t.Addr != "" {
		spec += ":" + t.Addr
	}
	key := spec
	if t.Kind == paging.KindWebhook {
		sum := sha256.Sum256([]byte(t.Addr))
		key = t.Kind + ":" + hex.EncodeToString(sum[:6])
	}
	return incidents.PageTarget{Key: key, Name: t.String(), Spec: spec}
}

// remindWhenMitigated reads INCIDENT_REMIND_WHEN_MITIGATED (true when unset).
func (r *policyEnv) remindWhenMitigated() bool {
	remind := strings.TrimSpace(r.getenv("INCIDENT_REMIND_WHEN_MITIGATED"))
	if remind == "" {
		return true
	}
	b, err := strconv.ParseBool(remind)
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("INCIDENT_REMIND_WHEN_MITIGATED must be true or false, got %q", remind))
		return false
	}
	return b
}

func sameRules(a, b incidents.Rules) bool {
	if a.UpdateInterval != b.UpdateInterval || a.AckTimeout != b.AckTimeout || !slices.Equal(a.AckPages, b.AckPages) {
		return false
	}
	return slices.EqualFunc(a.Escalation, b.Escalation, func(x, y incidents.Level) bool {
		return x.After == y.After && x.Group == y.Group && slices.Equal(x.Pages, y.Pages)
	})
}
