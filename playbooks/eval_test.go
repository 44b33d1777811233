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

// TestMatchQuality measures matching on every labelled case and fails
// below top-1 90% / top-3 98% overall; each file's figures are reported
// too, because they were written under different rules (see README):
// eval.yaml was written without seeing the playbooks, whose words were
// then tuned on it; holdout.yaml came later and tuned only general rules;
// fresh.yaml was written last, measured once untouched (90.0% / 95.7%),
// and then prompted three content fixes. A hit needs a confident ranking:
// an unconfident one posts no card, which is right only for "none" cases.
func TestMatchQuality(t *testing.T) {
	c, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	var total quality
	for _, file := range []string{"testdata/eval.yaml", "testdata/holdout.yaml", "testdata/fresh.yaml"} {
		q := measure(t, c, loadEval(t, file))
		t.Logf("%s: %s", file, q)
		total.add(q)
	}
	t.Logf("all: %s", total)
	if total.cases < 80 {
		t.Fatalf("only %d evaluation cases; the bar is 80", total.cases)
	}
	if p1, p3 := total.pct(); p1 < 90 || p3 < 98 {
		t.Errorf("match quality below the bar: top-1 %.1f%% (need 90), top-3 %.1f%% (need 98)", p1, p3)
	}
}

type quality struct{ cases, top1, top3 int }

func (q *quality) add(o quality) { q.cases += o.cases; q.top1 += o.top1; q.top3 += o.top3 }

func (q quality) pct() (float64, float64) {
	return 100 * float64(q.top1) / float64(q.cases), 100 * float64(q.top3) / float64(q.cases)
}

func (q quality) String() string {
	p1, p3 := q.pct()
	return fmt.Sprintf("%d cases, top-1 %.1f%%, top-3 %.1f%%", q.cases, p1, p3)
}

func measure(t *testing.T, c *Catalog, cases []evalCase) quality {
	q := quality{cases: len(cases)}
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
		case ec.Expect == "none" && !r.Confident, ec.Expect != "none" && r.Confident && rank == 0:
			q.top1++
			q.top3++
		case ec.Expect != "none" && r.Confident && rank > 0:
			q.top3++
			t.Logf("top-3 only: %q → %s, want %s", ec.Text, describeRanking(r), ec.Expect)
		default:
			t.Logf("miss: %q → %s, want %s", ec.Text, describeRanking(r), ec.Expect)
		}
	}
	return q
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
