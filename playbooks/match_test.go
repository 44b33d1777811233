package playbooks

import (
	"testing"
)

func mustCatalog(t *testing.T) *Catalog {
	t.Helper()
	c, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Recovery notices, in each monitoring tool's words, never bring a card,
// even when they name a failure mode.
func TestRecoveryNoticesAreNotIncidents(t *testing.T) {
	c := mustCatalog(t)
	for _, q := range []Query{
		{Text: "[RESOLVED] RedisDown redis instance is down"},
		{Text: "Monitor is UP: API health ( https://api.example.org ) - redis down earlier"},
		{Text: "OK: \"rds-cpu-high\" in US East. State changed ALARM -> OK"},
		{Text: "RedisDown redis unreachable", Labels: map[string]string{"status": "resolved"}},
		{Text: "API health down", Labels: map[string]string{"alert_type": "Up"}},
	} {
		if r := c.Match(q, 3); r.Confident || !r.Recovery {
			t.Errorf("%q: confident=%v recovery=%v", q.Text, r.Confident, r.Recovery)
		}
	}
	if r := c.Match(Query{Text: "redis is down, nhs login slow"}, 3); !r.Confident {
		t.Errorf("a real redis problem is not confident: %s", r.Doubt)
	}
}

// Label order must not matter, and a phrase never forms across labels.
func TestMatchIsDeterministicAcrossLabels(t *testing.T) {
	c := mustCatalog(t)
	q := Query{Text: "cache errors", Labels: map[string]string{"alertname": "Redis", "job": "down", "instance": "cache-1", "severity": "critical"}}
	first := c.Match(q, 3)
	for range 200 {
		r := c.Match(q, 3)
		if r.Confident != first.Confident || len(r.Results) != len(first.Results) || (len(r.Results) > 0 && r.Results[0].Score != first.Results[0].Score) {
			t.Fatalf("results differ between runs: %+v vs %+v", r, first)
		}
	}
}

// A label many playbooks share is a hint, not proof; ties are not confident.
func TestSharedLabelAndTiesAreNotConfident(t *testing.T) {
	c := mustCatalog(t)
	r := c.Match(Query{Text: "weekly report", Labels: map[string]string{"namespace": "AWS/RDS"}}, 3)
	if r.Confident {
		t.Fatalf("a shared namespace label alone gave a card: %+v", r.Results[0])
	}
	if r.Doubt == "" {
		t.Fatal("no reason given for the doubt")
	}
}

func TestMatchZeroOrNegativeK(t *testing.T) {
	c := mustCatalog(t)
	for _, k := range []int{0, -3} {
		if r := c.Match(Query{Text: "redis down"}, k); len(r.Results) != 0 || r.Confident {
			t.Fatalf("k=%d: %+v", k, r)
		}
	}
}

// A name written as one identifier in a playbook matches the same name
// alone in an alert (the black-box run found CannotPullContainerError
// brought no card).
func TestIdentifiersMatchWhole(t *testing.T) {
	c, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	for text, want := range map[string]string{
		"CannotPullContainerError":    "missing-container-image",
		"ResourceInitializationError": "secrets-access-denied",
		"StatusCheckFailed_System":    "ec2-instance-retirement",
	} {
		best, ok := c.Match(Query{Text: text}, 3).Best()
		if !ok || best.Playbook.ID != want {
			t.Errorf("%s: %v %v, want %s", text, best.Playbook, ok, want)
		}
	}
}
