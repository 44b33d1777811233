package playbooks

import (
	"fmt"
	"sort"
)

// Query is what a playbook is matched against: free text (an incident
// title and description, an alert's title and text) and alert labels
// (alarm name, metric, namespace, Alertmanager labels).
type Query struct {
	Text   string
	Labels map[string]string
	// Critical marks a firing critical alert: when no playbook fits it
	// confidently, the catalog's fallback (match.fallback) is offered,
	// because the team's procedure for critical alerts applies to all.
	Critical bool
}

// Result is one ranked playbook with why it was chosen.
type Result struct {
	Playbook *Playbook
	Score    float64
	Reasons  []string // e.g. `strong phrase "redis down"`, `label namespace=AWS/ElastiCache`
}

// Ranking is the outcome of a match, best first. Confident is false when
// even the best playbook matched too little to be suggested: better no
// card than a wrong one.
type Ranking struct {
	Results   []Result
	Confident bool
	// Recovery is set when the text announces that something recovered
	// ("Monitor is UP", "ALARM -> OK") or is a report ("monthly uptime
	// report"); such a ranking is never confident.
	Recovery bool
	// Doubt says why the ranking is not confident ("" when it is).
	Doubt string
}

// Suggestions are what to offer a person to choose from when the ranking
// is not confident: up to three playbooks that scored at least MinScore.
// A recovery or a report gets none.
func (r Ranking) Suggestions() []Result {
	if r.Confident || r.Recovery {
		return nil
	}
	var out []Result
	for _, res := range r.Results {
		if res.Score >= MinScore && len(out) < 3 {
			out = append(out, res)
		}
	}
	return out
}

// Best returns the top result when the ranking is confident.
func (r Ranking) Best() (Result, bool) {
	if !r.Confident || len(r.Results) == 0 {
		return Result{}, false
	}
	return r.Results[0], true
}

// Feature weights, before IDF: a label is as specific as it gets; a
// strong phrase nearly decides; a term or title word suggests; the
// seed's own symptom and cause wording adds a little evidence.
const (
	weightLabel = 4.0
	// weightContext is for labels that say where an alert came from
	// rather than what it is about (namespace=AWS/ECS holds CPU and
	// memory alike): a hint worth a term.
	weightContext = 1.0
	weightStrong  = 3.0
	weightTerm    = 1.0
	weightTitle   = 0.6
	weightSymptom = 0.3
	weightCheck   = 0.2

	// MinScore is the least score the best playbook needs to be offered;
	// tuned on the evaluation set (testdata/eval.yaml).
	MinScore = 2.2
	// soloScore is what a playbook matched by a single term (and its
	// symptom or step words) needs to be offered.
	soloScore = 4.5

	// tieMargin: a best score less than 5% above the runner-up's is a
	// tie, and a tie is not a confident choice. Chosen on the evaluation
	// sets (README, "Runbook matching"): from 1% to 5% costs 2 right
	// cards in 377 and saves 3 wrong ones; beyond 8% each wrong card
	// saved costs more than one right one.
	tieMargin = 0.05

	// MaxPhraseWords is the longest phrase, in words after dropping
	// common words, that can match; the loader rejects longer ones.
	MaxPhraseWords = 6
)

// Len is the number of playbooks indexed.
func (ix *Index) Len() int { return len(ix.pbs) }

// Match ranks the playbooks for q and returns at most k results (those
// that matched anything at all), best first.
func (ix *Index) Match(q Query, k int) Ranking {
	if k <= 0 {
		return Ranking{Doubt: "no results asked for"}
	}
	ev := ix.evidence(ix.queryKeys(q))
	scores := make([]float64, len(ix.pbs))
	ev.each(func(_ string, po posting) { scores[po.pb] += po.weight })
	top := topK(scores, max(k, 2)) // the runner-up decides ties
	hits, weak, sure := ix.explain(top, ev)
	r := Ranking{Results: make([]Result, 0, len(top))}
	for j, i := range top {
		r.Results = append(r.Results, Result{Playbook: ix.pbs[i], Score: round2(scores[i]), Reasons: hits[j].reasons()})
	}
	r.Recovery = isRecovery(q) || isReport(q)
	r.Doubt = ix.doubt(r, scores, top, weak, sure)
	r.Confident = r.Doubt == ""
	// A tie between two playbooks that both fit is left to a person; the
	// fallback is for a critical alert that nothing fits.
	tie := len(top) > 1 && scores[top[1]]*(1+tieMargin) > scores[top[0]] && scores[top[1]] >= MinScore &&
		top[0] != ix.fallback && top[1] != ix.fallback
	if !r.Confident && q.Critical && !r.Recovery && !tie && ix.fallback >= 0 {
		r = ix.withFallback(r)
	}
	if len(r.Results) > k {
		r.Results = r.Results[:k]
	}
	return r
}

// doubt says why the best result is not good enough to offer, or "".
func (ix *Index) doubt(r Ranking, scores []float64, top []int, weak int, sure bool) string {
	switch {
	case len(top) == 0:
		return "nothing matched"
	case r.Recovery:
		return "this reads as a recovery notice or a report, not a problem"
	case scores[top[0]] < MinScore:
		return fmt.Sprintf("the best score %.2f is under %.1f", scores[top[0]], MinScore)
	case !sure && weak < 2 && !(weak == 1 && scores[top[0]] >= soloScore):
		return "only one word matched, and nothing backs it up"
	case len(top) > 1 && scores[top[1]]*(1+tieMargin) > scores[top[0]]:
		return fmt.Sprintf("%s and %s match equally well", ix.pbs[top[0]].ID, ix.pbs[top[1]].ID)
	}
	return ""
}

// hit is one matched feature of a candidate, for its reasons.
type hit struct {
	w    float64
	kind string
	text string
}

type hits []hit

// reasons lists the strongest five matched features.
func (hs hits) reasons() []string {
	sort.SliceStable(hs, func(a, b int) bool { return hs[a].w > hs[b].w })
	out := make([]string, 0, min(len(hs), 5))
	for _, h := range hs[:min(len(hs), 5)] {
		out = append(out, fmt.Sprintf("%s %q (+%.1f)", h.kind, h.text, h.w))
	}
	return out
}

// explain collects, in one pass over the query's features, what each
// candidate matched, and the evidence behind the best one: whether a label
// or strong phrase matched (sure) and how many terms or title words did
// (weak). Evidence keeps one stray word from producing a card ("what time
// is lunch" shares "time" with "response time"; a PR "bumping django"
// shares "django" with database permissions): the best playbook needs a
// label, a strong phrase, two different terms or title words, or one term
// corroborated by the playbook's own symptom or step wording (a total of
// soloScore; a lone word scores at most ln(1+N) ≈ 3.5 on its own).
func (ix *Index) explain(top []int, ev evidence) (perCandidate []hits, weak int, sure bool) {
	perCandidate = make([]hits, len(top))
	slot := func(pb int) int {
		for j, i := range top {
			if i == pb {
				return j
			}
		}
		return -1
	}
	ev.each(func(key string, po posting) {
		j := slot(po.pb)
		if j < 0 {
			return
		}
		perCandidate[j] = append(perCandidate[j], hit{po.weight, po.kind, po.shown})
		if j == 0 {
			switch {
			case po.kind == "strong phrase", po.kind == "label" && len(ix.features[key]) == 1:
				sure = true // a label several playbooks share (a namespace) is only a hint
			case po.kind == "label", po.kind == "term", po.kind == "title word":
				weak++
			}
		}
	})
	return perCandidate, weak, sure
}
