package actions

import "testing"

// The example targets file in deploy/ stays valid.
func TestExampleTargetsFile(t *testing.T) {
	tg, err := LoadTargets("../../deploy/targets.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := tg.Service("web"); s.Region != "eu-west-2" || s.Cluster != "prod" || len(s.EC2Instances) != 2 {
		t.Fatalf("web = %+v", s)
	}
	if tg.Guardrails.Timeout.Seconds() != 45 || tg.Limits().MaxScale != 15 {
		t.Fatalf("guardrails = %+v", tg.Guardrails)
	}
	if n := len(tg.ChangeServices()); n != len(defaultChangeServices) {
		t.Fatalf("changes.services = %d services, want the %d default ones", n, len(defaultChangeServices))
	}
}
