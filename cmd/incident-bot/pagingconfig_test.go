package main

import (
	"strings"
	"testing"
	"time"

	"github.com/incident-bot/incident-bot/incidents"
)

// Paging settings: targets per level and severity, each problem named by
// its variable, a webhook's URL kept out of what is shown and keyed.
func TestPagingSettings(t *testing.T) {
	env := map[string]string{
		"ACK_PAGE": "pagerduty", "PAGERDUTY_ROUTING_KEY": onCallKey, "ACK_PAGE_SEV4": "off", "INCIDENT_ACK_TIMEOUT_SEV1": "2m",
		"ESCALATION_PAGE":   "webhook:https://hooks.example.com/T0SECRETPATH, sns:arn:aws:sns:eu-west-2:123456789012:leads",
		"ESCALATION_PAGE_2": "pagerduty:LEADS_KEY", "LEADS_KEY": leadsKey,
	}
	p, err := loadPolicy(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	sev1, sev2, sev4 := p.For(incidents.Sev1), p.For(incidents.Sev2), p.For(incidents.Sev4)
	if sev1.AckTimeout != 2*time.Minute || sev2.AckTimeout != 5*time.Minute || len(sev2.AckPages) != 1 || len(sev4.AckPages) != 0 {
		t.Fatalf("ack: sev1 %v, sev2 %v %v, sev4 %v", sev1.AckTimeout, sev2.AckTimeout, sev2.AckPages, sev4.AckPages)
	}
	if len(sev2.Escalation) != 2 || len(sev2.Escalation[0].Pages) != 2 || sev2.Escalation[1].Pages[0].Spec != "pagerduty:LEADS_KEY" {
		t.Fatalf("escalation pages: %+v", sev2.Escalation)
	}
	hook := sev2.Escalation[0].Pages[0]
	if strings.Contains(hook.Key+hook.Name, "T0SECRETPATH") || !strings.Contains(hook.Spec, "T0SECRETPATH") || !strings.Contains(hook.Name, "hooks.example.com") {
		t.Errorf("webhook target %+v: its path belongs in Spec only", hook)
	}
	for _, c := range []struct{ k, v, want string }{
		{"ACK_PAGE", "pagerdty", "ACK_PAGE"},
		{"ACK_PAGE_SEV1", "pagerduty:NOPE_KEY", "NOPE_KEY"},
		{"ESCALATION_PAGE", "sns:arn:aws:sns:eu-west-2:leads", "ESCALATION_PAGE"},
		{"INCIDENT_ACK_TIMEOUT", "soon", "INCIDENT_ACK_TIMEOUT"},
	} {
		bad := map[string]string{c.k: c.v, "PAGERDUTY_ROUTING_KEY": onCallKey}
		if _, err := loadPolicy(func(k string) string { return bad[k] }); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s=%s: %v, want an error naming %s", c.k, c.v, err, c.want)
		}
	}
}
