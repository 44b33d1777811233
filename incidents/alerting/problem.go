package alerting

import (
	"github.com/incident-bot/incident-bot/incidents/alerts"
)

// problem is what an alert is about, beyond its own condition: the
// sender's group, the service and the runbook. Alerts of one problem
// share one incident, or one triage card.
type problem struct {
	fp      string
	group   string // Alertmanager's groupKey
	service string // see alerts.Alert.Service
	runbook string // the playbook matched, "" when none
}

func (r *Router) problemOf(al alerts.Alert) problem {
	p := problem{fp: al.Fingerprint, group: al.Group, service: al.Service(r.opts.ServiceLabels)}
	if r.opts.Match != nil {
		p.runbook, _ = r.opts.Match.Runbook(al)
	}
	return p
}

// card is the key of the problem's triage card: its group, else its
// service, else the condition alone.
func (p problem) card() string {
	switch {
	case p.group != "":
		return "group:" + p.group
	case p.service != "":
		return "svc:" + p.service
	}
	return "fp:" + p.fp
}

// keys are the problems an incident opened by this alert stands for, in
// the order they are looked up: the group (while its incident is open),
// the service and runbook (within the merge window), the condition. The
// first is the incident's declaration key, so every replica that sees
// the alert names the same incident.
func (p problem) keys() (group, service, fp string) {
	if p.group != "" {
		group = "group:" + p.group
	}
	rb := p.runbook
	if rb == "" {
		rb = "-"
	}
	switch {
	case p.service != "":
		service = "svc:" + p.service + "|rb:" + rb
	case p.runbook != "":
		// No service: alerts of one runbook and no service join, as
		// before services were known.
		service = "svc:-|rb:" + rb
	}
	return group, service, "fp:" + p.fp
}
