package playbooks

import (
	"math"
	"slices"
	"sort"
	"strings"
)

// posting says that a feature (a word, phrase or label) appears in a
// playbook, with its weight already multiplied by the feature's IDF.
type posting struct {
	pb     int
	weight float64
	kind   string // "label", "strong phrase", "term", "title word", "symptom word"
	shown  string // the phrase as written in the playbook
}

// Index answers matches over a set of playbooks. It is immutable after
// NewIndex and safe for concurrent use.
type Index struct {
	pbs      []*Playbook
	features map[string][]posting // n-gram of normalised words, or "label:key=value"
	// prefixes holds every proper prefix of a multi-word phrase, so a
	// query only grows an n-gram while some phrase could still match.
	prefixes map[string]bool
	fallback int // the playbook offered for critical alerts nothing fits; -1 if none
}

// NewIndex builds the index. Features that appear in many playbooks
// count for less (inverse document frequency), so "database" does not
// outweigh "nxdomain".
func NewIndex(pbs []*Playbook) *Index {
	ix := &Index{pbs: pbs, features: map[string][]posting{}, prefixes: map[string]bool{}, fallback: -1}
	for i, pb := range pbs {
		if pb.Match.Fallback && ix.fallback < 0 {
			ix.fallback = i
		}
		b := entry{ix: ix, pb: i, own: map[string]posting{}}
		b.playbook(pb)
		for key, po := range b.own {
			ix.features[key] = append(ix.features[key], po)
		}
	}
	n := float64(len(pbs))
	for key, list := range ix.features {
		idf := math.Log(1 + n/float64(len(list)))
		for j := range list {
			list[j].weight *= idf
		}
		ix.features[key] = list
	}
	return ix
}

// entry collects one playbook's features, keeping the strongest
// occurrence of each.
type entry struct {
	ix  *Index
	pb  int
	own map[string]posting
}

func (b *entry) playbook(pb *Playbook) {
	for _, s := range pb.Match.Strong {
		b.phrase(s, weightStrong, "strong phrase")
	}
	for _, s := range pb.Match.Terms {
		b.phrase(s, weightTerm, "term")
	}
	b.words(pb.Title, weightTitle, "title word")
	for _, s := range slices.Concat(pb.Symptoms.User, pb.Symptoms.Internal, pb.Causes) {
		b.words(s, weightSymptom, "symptom word")
	}
	// People describe what they are doing, too: "force reboot the db,
	// restart all tasks" is the worst-case checklist in their words.
	for _, c := range pb.Checks {
		b.words(c.Text, weightCheck, "step word")
	}
	for k, vals := range pb.Match.Labels {
		w, kind := weightLabel, "label"
		if contextLabels[strings.ToLower(k)] {
			w, kind = weightContext, "context label"
		}
		for _, v := range vals {
			b.add(labelKey(k, v), w, kind, k+"="+v)
		}
	}
}

func (b *entry) add(key string, w float64, kind, shown string) {
	if key == "" {
		return
	}
	if old, ok := b.own[key]; !ok || old.weight < w {
		b.own[key] = posting{pb: b.pb, weight: w, kind: kind, shown: shown}
	}
}

// phrase indexes a term or strong phrase as one feature.
func (b *entry) phrase(s string, w float64, kind string) {
	if id, ok := glued(s); ok { // "CannotPullContainerError" meets the same name in an alert
		b.add(id, w, kind, s)
	}
	toks := Tokenize(s)
	if len(toks) > 0 && len(toks) <= MaxPhraseWords {
		b.add(strings.Join(toks, " "), w, kind, s)
		for n := 1; n < len(toks); n++ {
			b.ix.prefixes[strings.Join(toks[:n], " ")] = true
		}
	}
}

// words indexes loose text word by word, without common words and bare
// numbers (HTTP status codes stay).
func (b *entry) words(s string, w float64, kind string) {
	for _, t := range Tokenize(s) {
		if !common[t] && !(isDigits(t) && !isStatusCode(t)) {
			b.add(t, w, kind, t)
		}
	}
}

func labelKey(k, v string) string {
	return "label:" + strings.ToLower(strings.TrimSpace(k)) + "=" + strings.ToLower(strings.TrimSpace(v))
}

// evidence is what a query's features match, each word counted once per
// playbook: when "traffic spike" matched as a phrase, the terms "traffic"
// and "spike" of the same playbook add nothing more, so a playbook is not
// rewarded for listing a phrase and its words.
type evidence struct {
	ix      *Index
	keys    []string
	covered map[cover]bool // nil when no phrase matched
}

type cover struct {
	pb   int
	word string
}

func (ix *Index) evidence(keys []string) evidence {
	ev := evidence{ix: ix, keys: keys}
	for _, key := range keys {
		if strings.IndexByte(key, ' ') < 0 {
			continue
		}
		for _, po := range ix.features[key] {
			if ev.covered == nil {
				ev.covered = map[cover]bool{}
			}
			for _, w := range strings.Fields(key) {
				ev.covered[cover{po.pb, w}] = true
			}
		}
	}
	return ev
}

// each calls fn for every posting that counts.
func (ev evidence) each(fn func(key string, po posting)) {
	for _, key := range ev.keys {
		for _, po := range ev.ix.features[key] {
			if ev.covered != nil && ev.covered[cover{po.pb, key}] {
				continue
			}
			fn(key, po)
		}
	}
}

// queryKeys lists the distinct features of a query: its words, the
// longer word sequences that are (or begin) a playbook phrase, HTTP
// status classes ("502" also counts as "5xx"), and each label as
// key=value.
func (ix *Index) queryKeys(q Query) []string {
	// The text and each label value are separate streams: a phrase or a
	// negation never spans two of them, and label order (a map) cannot
	// change the result.
	names := make([]string, 0, len(q.Labels))
	for k := range q.Labels {
		names = append(names, k)
	}
	sort.Strings(names)
	streams := make([][]string, 0, len(names)+1)
	streams = append(streams, Tokenize(q.Text))
	for _, k := range names {
		if v := q.Labels[k]; !isLocator(v) {
			streams = append(streams, Tokenize(v))
		}
	}
	seen := make(map[string]struct{}, 64)
	keys := make([]string, 0, 64)
	addKey := func(k string) {
		if _, ok := seen[k]; !ok {
			seen[k] = struct{}{}
			keys = append(keys, k)
		}
	}
	var b strings.Builder
	for _, toks := range streams {
		for i := range toks {
			b.Reset()
			b.WriteString(toks[i])
			addKey(toks[i])
			for n := 2; n <= MaxPhraseWords && i+n <= len(toks); n++ {
				if !ix.prefixes[b.String()] {
					break
				}
				b.WriteByte(' ')
				b.WriteString(toks[i+n-1])
				addKey(b.String())
			}
			if t := toks[i]; isStatusCode(t) {
				addKey(string(t[0]) + "xx")
			}
		}
	}
	for _, id := range identifiers(q.Text) {
		addKey(id)
	}
	for _, k := range names {
		for _, id := range identifiers(q.Labels[k]) {
			addKey(id)
		}
		addKey(labelKey(k, q.Labels[k]))
	}
	return keys
}

// contextLabels name the sender's context (the CloudWatch namespace, the
// EventBridge source and detail type, the AWS Health service and
// category), as opposed to the alert's own subject.
var contextLabels = map[string]bool{"namespace": true, "source": true, "detail_type": true, "aws_service": true, "category": true, "alert_type": true}

// isStatusCode is an HTTP error status: 4xx or 5xx.
func isStatusCode(t string) bool { return len(t) == 3 && (t[0] == '4' || t[0] == '5') && isDigits(t) }

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// topK returns the indexes of the k highest positive scores, best first;
// ties keep catalog order so results are stable.
func topK(scores []float64, k int) []int {
	idx := make([]int, 0, k+1)
	for i, s := range scores {
		if s <= 0 {
			continue
		}
		pos := sort.Search(len(idx), func(j int) bool { return scores[idx[j]] < s })
		if pos >= k {
			continue
		}
		idx = slices.Insert(idx, pos, i)
		if len(idx) > k {
			idx = idx[:k]
		}
	}
	return idx
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }
