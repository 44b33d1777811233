package main

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/incident-bot/incident-bot/incidents"
)

// Timer defaults, from the team's runbook: update every 15 minutes,
// escalate when not resolved in 30 minutes.
const (
	defaultUpdateInterval = 15 * time.Minute
	defaultEscalateAfter  = 30 * time.Minute
	defaultEscalateAfter2 = 60 * time.Minute
)

var usergroupID = regexp.MustCompile(`^S[A-Z0-9]{2,}$`)

// loadPolicy reads the reminder and escalation settings:
//
//	INCIDENT_UPDATE_INTERVAL (15m), INCIDENT_ESCALATE_AFTER (30m),
//	ESCALATION_USERGROUP; a second level with ESCALATION_USERGROUP_2 and
//	INCIDENT_ESCALATE_AFTER_2 (60m); per-severity overrides
//	INCIDENT_UPDATE_INTERVAL_SEV1…4, INCIDENT_ESCALATE_AFTER_SEV1…4,
//	INCIDENT_ESCALATE_AFTER_2_SEV1…4; INCIDENT_REMIND_WHEN_MITIGATED (true).
//
// Any duration may be "off".
func loadPolicy(getenv func(string) string) (incidents.Policy, error) {
	var errs []error
	dur := func(name string, def time.Duration) time.Duration {
		v := strings.TrimSpace(getenv(name))
		switch strings.ToLower(v) {
		case "":
			return def
		case "off", "0", "none":
			return 0
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Minute {
			errs = append(errs, fmt.Errorf("%s must be a duration of at least 1m (such as 15m) or off, got %q", name, v))
			return def
		}
		return d
	}
	group := func(name string) string {
		v := strings.TrimSpace(getenv(name))
		if v != "" && !usergroupID.MatchString(v) {
			errs = append(errs, fmt.Errorf("%s must be a Slack user group ID such as S0123ABCD (not a @handle), got %q", name, v))
		}
		return v
	}
	g1, g2 := group("ESCALATION_USERGROUP"), group("ESCALATION_USERGROUP_2")
	second := g2 != "" || strings.TrimSpace(getenv("INCIDENT_ESCALATE_AFTER_2")) != ""
	// A severity whose INCIDENT_ESCALATE_AFTER is off never escalates,
	// whatever the second level says.
	rules := func(suffix string, base incidents.Rules) incidents.Rules {
		r := incidents.Rules{UpdateInterval: dur("INCIDENT_UPDATE_INTERVAL"+suffix, base.UpdateInterval)}
		var after1, after2 time.Duration
		if len(base.Escalation) > 0 {
			after1 = base.Escalation[0].After
		}
		if len(base.Escalation) > 1 {
			after2 = base.Escalation[1].After
		}
		a1 := dur("INCIDENT_ESCALATE_AFTER"+suffix, after1)
		if a1 <= 0 {
			return r
		}
		r.Escalation = append(r.Escalation, incidents.Level{After: a1, Group: g1})
		if a := dur("INCIDENT_ESCALATE_AFTER_2"+suffix, after2); a > 0 && second {
			r.Escalation = append(r.Escalation, incidents.Level{After: a, Group: g2})
		}
		return r
	}
	base := incidents.Rules{UpdateInterval: defaultUpdateInterval,
		Escalation: []incidents.Level{{After: defaultEscalateAfter}, {After: defaultEscalateAfter2}}}
	p := incidents.Policy{Default: rules("", base), BySeverity: map[incidents.Severity]incidents.Rules{}}
	for sev := incidents.Sev1; sev <= incidents.Sev4; sev++ {
		suffix := "_" + strings.ToUpper(sev.String())
		if !second && strings.TrimSpace(getenv("INCIDENT_ESCALATE_AFTER_2"+suffix)) != "" {
			errs = append(errs, fmt.Errorf("INCIDENT_ESCALATE_AFTER_2%s needs a second level: set ESCALATION_USERGROUP_2 (or INCIDENT_ESCALATE_AFTER_2)", suffix))
		}
		if r := rules(suffix, p.Default); !sameRules(r, p.Default) {
			p.BySeverity[sev] = r
		}
	}
	remind := strings.TrimSpace(getenv("INCIDENT_REMIND_WHEN_MITIGATED"))
	if remind == "" {
		p.RemindWhenMitigated = true
	} else if b, err := strconv.ParseBool(remind); err != nil {
		errs = append(errs, fmt.Errorf("INCIDENT_REMIND_WHEN_MITIGATED must be true or false, got %q", remind))
	} else {
		p.RemindWhenMitigated = b
	}
	if err := p.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("escalation settings: %w (INCIDENT_ESCALATE_AFTER_2 must be later than INCIDENT_ESCALATE_AFTER)", err))
	}
	return p, errors.Join(errs...)
}

func sameRules(a, b incidents.Rules) bool {
	if a.UpdateInterval != b.UpdateInterval || len(a.Escalation) != len(b.Escalation) {
		return false
	}
	for i := range a.Escalation {
		if a.Escalation[i] != b.Escalation[i] {
			return false
		}
	}
	return true
}
