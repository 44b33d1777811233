package playbooks

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// evalCase is one labelled example: text (and labels) and the playbook a
// responder would want, or "none" when no runbook fits.
type evalCase struct {
	Text   string            `yaml:"text"`
	Labels map[string]string `yaml:"labels"`
	Expect string            `yaml:"expect"`
}

func loadEval(t testing.TB, file string) []evalCase {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases []evalCase `yaml:"cases"`
	}
	if err := yaml.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	return f.Cases
}

// TestMatchQuality measures matching on the labelled sets and fails below
// top-1 90% / top-3 98% on either. eval.yaml was written from the seeds
// without seeing the playbooks, but the playbooks' words were then tuned
// against it; holdout.yaml was written later without seeing either, and
// is the honest measure. A hit needs a confident ranking: an unconfident
// one posts no card, which is right only for "none" cases.
func TestMatchQuality(t *testing.T) {
	c, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	all := 0
	for _, file := range []string{"testdata/eval.yaml", "testdata/holdout.yaml"} {
		cases := loadEval(t, file)
		all += len(cases)
		t.Run(file, func(t *testing.T) { matchQuality(t, c, cases) })
	}
	if all < 80 {
		t.Fatalf("only %d evaluation cases; the bar is 80", all)
	}
}

func matchQuality(t *testing.T, c *Catalog, cases []evalCase) {
	var top1, top3 int
	for _, ec := range cases {
		if ec.Expect != "none" {
			if _, ok := c.Get(ec.Expect); !ok {
				t.Fatalf("case %q expects unknown playbook %q", ec.Text, ec.Expect)
			}
		}
		r := c.Match(Query{Text: ec.Text, Labels: ec.Labels}, 3)
		rank := -1
		for i, res := range r.Results {
			if res.Playbook.ID == ec.Expect {
				rank = i
			}
		}
		switch {
		case ec.Expect == "none" && !r.Confident:
			top1++
			top3++
		case ec.Expect != "none" && r.Confident && rank == 0:
			top1++
			top3++
		case ec.Expect != "none" && r.Confident && rank > 0:
			top3++
			t.Logf("top-3 only: %q → %s, want %s", ec.Text, describeRanking(r), ec.Expect)
		default:
			t.Logf("miss: %q → %s, want %s", ec.Text, describeRanking(r), ec.Expect)
		}
	}
	n := float64(len(cases))
	p1, p3 := 100*float64(top1)/n, 100*float64(top3)/n
	t.Logf("%d cases: top-1 %.1f%%, top-3 %.1f%%", len(cases), p1, p3)
	if p1 < 90 || p3 < 98 {
		t.Errorf("match quality below the bar: top-1 %.1f%% (need 90), top-3 %.1f%% (need 98)", p1, p3)
	}
}

func describeRanking(r Ranking) string {
	if len(r.Results) == 0 {
		return "nothing"
	}
	var parts []string
	for _, res := range r.Results {
		parts = append(parts, fmt.Sprintf("%s(%.1f)", res.Playbook.ID, res.Score))
	}
	s := strings.Join(parts, ", ")
	if !r.Confident {
		s = "not confident: " + s
	}
	return s
}
