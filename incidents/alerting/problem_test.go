package alerting

import "testing"

func TestProblemKeys(t *testing.T) {
	for _, tc := range []struct {
		p                    problem
		card, group, svc, fp string
	}{
		{problem{fp: "f", group: "g", service: "service=api", runbook: "rb"}, "group:g", "group:g", "svc:service=api|rb:rb", "fp:f"},
		{problem{fp: "f", service: "service=api"}, "svc:service=api", "", "svc:service=api|rb:-", "fp:f"},
		{problem{fp: "f", runbook: "rb"}, "fp:f", "", "svc:-|rb:rb", "fp:f"},
		{problem{fp: "f"}, "fp:f", "", "", "fp:f"},
	} {
		g, s, f := tc.p.keys()
		if c := tc.p.card(); c != tc.card || g != tc.group || s != tc.svc || f != tc.fp {
			t.Errorf("%+v: card %q, keys %q %q %q; want %q, %q %q %q", tc.p, c, g, s, f, tc.card, tc.group, tc.svc, tc.fp)
		}
	}
}
