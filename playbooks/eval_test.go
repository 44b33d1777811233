package playbooks

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/incident-bot/incident-bot/incidents/alerts"
	"github.com/incident-bot/incident-bot/internal/txt"
)

// evalCase is one labelled example and the playbook a responder would
// want, or "none" when no runbook fits. A text case is what a person
// types (Text, with Labels for the older alert-shaped cases); a payload
// case is a raw body of its Source, read by the production parser.
type evalCase struct {
	Source  string            `yaml:"source"` // "" or text, else see alerts.Sources
	Payload string            `yaml:"payload"`
	Text    string            `yaml:"text"`
	Labels  map[string]string `yaml:"labels"`
	Expect  string            `yaml:"expect"`
}

func (ec evalCase) source() string {
	if ec.Source == "" {
		return "text"
	}
	return ec.Source
}

func (ec evalCase) String() string {
	if ec.Payload != "" {
		return ec.Source + " " + txt.Clip(strings.Join(strings.Fields(ec.Payload), " "), 100)
	}
	return fmt.Sprintf("%q", ec.Text)
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

// evalFiles are the labelled sets, written under different rules (see
// README): eval.yaml was written without seeing the playbooks, whose words
// were then tuned on it; holdout.yaml came later and tuned only general
// rules; fresh.yaml was measured once untouched and prompted three content
// fixes; blind.yaml (payloads of every source) was written without seeing
// the playbooks and measured before anything changed.
var evalFiles = []string{"testdata/eval.yaml", "testdata/holdout.yaml", "testdata/fresh.yaml", "testdata/blind.yaml"}

// TestMatchQuality measures matching on every labelled case, per file and
// per source, the way production matches: a payload goes through its
// source's parser first. A hit needs a confident ranking: an unconfident
// one posts no card, which is right only for "none" cases.
func TestMatchQuality(t *testing.T) {
	c, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	var total quality
	bySource := map[string]*quality{}
	for _, file := range evalFiles {
		var q quality
		for _, ec := range loadEval(t, file) {
			o := score(t, c, ec)
			q.count(o)
			if bySource[ec.source()] == nil {
				bySource[ec.source()] = &quality{}
			}
			bySource[ec.source()].count(o)
		}
		t.Logf("%s: %s", file, q)
		total.add(q)
	}
	for _, src := range slices.Sorted(maps.Keys(bySource)) {
		t.Logf("source %s: %s", src, *bySource[src])
	}
	t.Logf("all: %s", total)
	if total.cases < 80 {
		t.Fatalf("only %d evaluation cases; the bar is 80", total.cases)
	}
	if p1, p3 := total.pct(); p1 < 90 || p3 < 98 {
		t.Errorf("match quality below the bar: top-1 %.1f%% (need 90), top-3 %.1f%% (need 98)", p1, p3)
	}
}

type quality struct{ cases, top1, top3, wrong int }

// outcome is how one case fared: right first, right within three, or a
// confident card that is wrong (for a "none" case, any card).
type outcome struct{ top1, top3, wrong bool }

func (q *quality) count(o outcome) {
	q.cases++
	q.top1 += b2i(o.top1)
	q.top3 += b2i(o.top3)
	q.wrong += b2i(o.wrong)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (q *quality) add(o quality) {
	q.cases += o.cases
	q.top1 += o.top1
	q.top3 += o.top3
	q.wrong += o.wrong
}

func (q quality) pct() (float64, float64) {
	return 100 * float64(q.top1) / float64(q.cases), 100 * float64(q.top3) / float64(q.cases)
}

func (q quality) String() string {
	p1, p3 := q.pct()
	return fmt.Sprintf("%d cases, top-1 %.1f%%, top-3 %.1f%%, confident wrong %d (%.1f%%)",
		q.cases, p1, p3, q.wrong, 100*float64(q.wrong)/float64(q.cases))
}

// evalNow is the parsers' clock; no case depends on it.
var evalNow = time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)

// rank matches a case as production would: text as typed, a payload
// through its parser, the first firing alert's text and labels. A payload
// with nothing firing (a recovery) never opens anything: no ranking.
func rank(t *testing.T, c *Catalog, ec evalCase) (Ranking, bool) {
	if ec.Payload == "" {
		return c.Match(Query{Text: ec.Text, Labels: ec.Labels}, 3), true
	}
	als, err := alerts.ParseSource(ec.Source, []byte(ec.Payload), evalNow)
	if err != nil {
		t.Errorf("%s: the %s parser refuses it: %v", ec, ec.Source, err)
		return Ranking{}, false
	}
	for _, al := range als {
		if al.Status == alerts.Firing {
			return c.Match(Query{Text: al.MatchText(), Labels: al.Labels}, 3), true
		}
	}
	return Ranking{}, false
}

func score(t *testing.T, c *Catalog, ec evalCase) outcome {
	if ec.Expect != "none" {
		if _, ok := c.Get(ec.Expect); !ok {
			t.Errorf("%s expects unknown playbook %q", ec, ec.Expect)
		}
	}
	r, firing := rank(t, c, ec)
	pos := -1
	for i, res := range r.Results {
		if res.Playbook.ID == ec.Expect {
			pos = i
		}
	}
	var o outcome
	switch {
	case ec.Expect == "none":
		o.top1, o.top3, o.wrong = !r.Confident, !r.Confident, r.Confident
	case r.Confident && pos == 0:
		o.top1, o.top3 = true, true
	case r.Confident:
		o.top3, o.wrong = pos > 0, true
	}
	switch {
	case o.top1:
	case !firing && ec.Payload != "":
		t.Logf("miss (nothing firing): %s, want %s", ec, ec.Expect)
	case o.top3:
		t.Logf("top-3 only: %s → %s, want %s", ec, describeRanking(r), ec.Expect)
	default:
		t.Logf("miss: %s → %s, want %s", ec, describeRanking(r), ec.Expect)
	}
	return o
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
