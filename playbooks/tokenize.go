package playbooks

import (
	"strings"
	"unicode"
)

// Tokenize lowercases text and splits it into normalised words: camelCase
// and snake_case alarm names are split ("HTTPCode_Target_5XX_Count" →
// http code target 5xx count), plurals and verb endings are stripped, and
// common spellings are unified ("certs" → certificate, "ssl" → tls).
// Playbook terms and incoming text go through the same function, so they
// meet in the middle.
func Tokenize(s string) []string {
	var out []string
	negate := false
	for _, w := range joinPhrases(splitWords(s)) {
		if negators[w] {
			negate = true
			continue
		}
		if stopwords[w] || noise[w] {
			continue
		}
		w = normalise(w)
		if w == "" || stopwords[w] || noise[w] || isSmallNumber(w) {
			continue
		}
		// "no deploy today" must not suggest a rollback: the word after a
		// negation becomes its own feature, which only a negated phrase
		// in a playbook ("website cannot be found") can match.
		if negate {
			w = "not_" + w
			negate = false
		}
		out = append(out, w)
	}
	return out
}

// negators turn the next meaningful word into a negated one.
var negators = map[string]bool{
	"no": true, "not": true, "never": true, "without": true, "cannot": true, "cant": true,
	"dont": true, "doesnt": true, "didnt": true, "isnt": true, "arent": true, "wasnt": true, "werent": true,
	"wont": true, "couldnt": true,
}

// splitWords breaks s at anything that is not a letter or digit and at
// camelCase boundaries ("CPUUtilization" → cpu utilization), keeping
// "5xx" and "401" whole and product names ("CloudFront") in one piece.
func splitWords(s string) []string {
	var words []string
	for _, raw := range strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\'' && r != '’'
	}) {
		if strings.ContainsAny(raw, "'’") { // "can't" → "cant"
			raw = strings.ReplaceAll(strings.ReplaceAll(raw, "'", ""), "’", "")
		}
		if raw == "" {
			continue
		}
		if lower := strings.ToLower(raw); wholeWords[lower] {
			words = append(words, lower)
			continue
		}
		words = append(words, splitCamel(raw)...)
	}
	return words
}

// wholeWords are written in camelCase but are names, not phrases.
var wholeWords = map[string]bool{
	"cloudfront": true, "elasticache": true, "cloudwatch": true, "cloudtrail": true, "guardduty": true,
	"dynamodb": true, "opensearch": true, "pagerduty": true, "github": true, "gitlab": true,
	"postgresql": true, "mysql": true, "nodejs": true, "javascript": true, "uptimerobot": true,
}

func splitCamel(raw string) []string {
	var words []string
	rs := []rune(raw)
	start := 0
	for i := 1; i < len(rs); i++ {
		r, prev := rs[i], rs[i-1]
		nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
		// "cpuUsage" splits before U; "HTTPCode" splits before C.
		if unicode.IsUpper(r) && (unicode.IsLower(prev) || (unicode.IsUpper(prev) && nextLower)) {
			words = append(words, strings.ToLower(string(rs[start:i])))
			start = i
		}
	}
	return append(words, strings.ToLower(string(rs[start:])))
}

// normalise stems a lowercase word and maps variants to one spelling.
func normalise(w string) string {
	if c, ok := canonical[w]; ok {
		return c
	}
	w = stem(w)
	if c, ok := canonical[w]; ok {
		return c
	}
	return w
}

// stem strips the English endings that matter for matching incident
// text; it is deliberately crude and applied to both sides.
func stem(w string) string {
	if n := len(w); n >= 2 && w[n-1] == 's' && isDigits(w[:n-1]) { // "500s" → "500"
		return w[:n-1]
	}
	if len(w) <= 3 || !isAlpha(w) {
		return w
	}
	switch {
	case strings.HasSuffix(w, "ies") && len(w) > 4:
		w = w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "sses"):
		w = w[:len(w)-2]
	case strings.HasSuffix(w, "ss"), strings.HasSuffix(w, "us"), strings.HasSuffix(w, "is"):
	case strings.HasSuffix(w, "s"):
		w = w[:len(w)-1]
	}
	switch {
	case strings.HasSuffix(w, "ing") && len(w) > 5:
		w = w[:len(w)-3]
	case strings.HasSuffix(w, "ed") && len(w) > 4:
		w = w[:len(w)-2]
	}
	return w
}

func isAlpha(w string) bool {
	for _, r := range w {
		if r < 'a' || r > 'z' {
			return false
		}
	}
	return true
}

// canonical unifies spellings after lowercasing (and again after stemming).
var canonical = map[string]string{
	"db": "database", "postgres": "postgresql", "pg": "postgresql", "psql": "postgresql",
	"cert": "certificate", "certs": "certificate", "certificat": "certificate", "ssl": "tls",
	"failur": "fail", "failure": "fail", "fails": "fail", "failing": "fail", "failed": "fail",
	"err": "error", "errors": "error", "erroring": "error",
	"timeout": "timeout", "timed": "timeout", "timing": "timeout",
	"oom": "oom", "oomkilled": "oom",
	"login": "login", "logon": "login", "signin": "login", "logging": "log",
	"perm": "permission", "perms": "permission", "permissions": "permission",
	"deploy": "deploy", "deployment": "deploy", "deploys": "deploy", "deployed": "deploy", "release": "deploy", "released": "deploy",
	"rollback": "rollback", "roll": "rollback", "revert": "rollback",
	"latency": "slow", "sluggish": "slow", "slowness": "slow", "slower": "slow",
	"unreachable": "unreachable", "unavailable": "unavailable",
	"images": "image", "img": "image", "pics": "picture",
	"utilisation": "utilization", "utilization": "utilization",
	"replicas": "replica", "nodes": "node", "tasks": "task", "containers": "container",
	"k8s": "kubernetes", "cf": "cloudfront", "cdn": "cdn", "elb": "alb", "lb": "alb", "loadbalancer": "alb",
	"5xx": "5xx", "4xx": "4xx",
	// Words whose "-ing" is not an ending.
	"nothing": "nothing", "something": "something", "anything": "anything", "everything": "everything",
	"morning": "morning", "evening": "evening", "string": "string", "warning": "warning", "ping": "ping",
}

// stopwords carry no signal for choosing a runbook, anywhere.
var stopwords = wordSet(`a an the and or of to in on for with is are was be been it its at by from as this
	that we our my i me you your they there all any some has have had but if so do does did can will just
	now again still very please than then when what why how who which over out up get got getting keep
	since after may might see seeing`)

// common words are dropped from the loose words of a playbook (title,
// symptoms, causes, steps), where "were", "already" or "before" would
// otherwise count as evidence; phrases keep them, so "made in the
// console" stays a phrase on both sides.
var common = wordSet(`were being these those us them their here also only even too more most much many few
	each every both either neither into onto about above below under between through during until off per
	via vs etc am he she him her his hers yet already same other another such own let lets im ive youre
	one two three four five six seven eight nine ten first second last next
	today yesterday tonight morning evening night hour hours minute minutes min mins day days week weeks time times
	like think know look looks looking seem seems say says said tell told go goes going went come came make made take took
	anyone someone everyone people guys team folks hi hey hello thanks thank ok okay yes yeah ah oh
	due around across against along among could would should shall while where before whom`)

// noise are the words senders and alert states put around every alert
// ("[FIRING:1]", "ALARM", "critical", "Monitor is DOWN", "AWS Health
// Event", "Threshold Crossed: 3 datapoints"): they say that something is
// alerting, never what, so they are evidence for no playbook. Both sides
// drop them, so a playbook cannot depend on them either.
var noise = wordSet(`firing fired resolved alarm alarms alert alerts alerting alertmanager critical severity sev
	monitor monitors monitoring uptime robot uptimerobot pingdom datadog grafana prometheus
	notification notifications notify notice threshold crossed datapoint datapoints evaluation triggered trigger
	state firing1`)

func wordSet(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// phrases joins multi-word spellings into one word before stopwords are
// dropped ("log in" would otherwise lose "in").
var phrases = []struct {
	words []string
	as    string
}{
	{[]string{"log", "in"}, "login"},
	{[]string{"logged", "in"}, "login"},
	{[]string{"sign", "in"}, "login"},
	{[]string{"signed", "in"}, "login"},
	{[]string{"logged", "out"}, "logout"},
	{[]string{"out", "of", "memory"}, "oom"},
	{[]string{"time", "out"}, "timeout"},
	{[]string{"timed", "out"}, "timeout"},
	{[]string{"roll", "back"}, "rollback"},
	{[]string{"rolled", "back"}, "rollback"},
	{[]string{"can", "t"}, "cant"},
	{[]string{"can", "not"}, "cannot"},
	// What wraps every AWS Health notice says nothing about its subject.
	{[]string{"aws", "health", "event"}, ""},
	{[]string{"aws", "health"}, ""},
	{[]string{"health", "event"}, ""},
}

// phraseStarts holds the first word of every entry of phrases, so most
// words skip the phrase loop.
var phraseStarts = func() map[string]bool {
	m := map[string]bool{}
	for _, ph := range phrases {
		m[ph.words[0]] = true
	}
	return m
}()

func joinPhrases(words []string) []string {
	out := words[:0:0]
	for i := 0; i < len(words); {
		matched := false
		for _, ph := range phrases {
			if !phraseStarts[words[i]] {
				break
			}
			n := len(ph.words)
			if i+n <= len(words) && equalWords(words[i:i+n], ph.words) {
				if ph.as != "" {
					out = append(out, ph.as)
				}
				i += n
				matched = true
				break
			}
		}
		if !matched {
			out = append(out, words[i])
			i++
		}
	}
	return out
}

func equalWords(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// isSmallNumber is a count or a percentage ("3 datapoints", "95%"): every
// alert has some, and none says which runbook fits. Status codes (502)
// and ports (6379) have three digits or more and stay.
func isSmallNumber(w string) bool { return len(w) <= 2 && isDigits(w) }

// identifiers finds the names written as one word in s —
// "CannotPullContainerError", "StatusCheckFailed_System",
// "AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED" — and returns each glued and
// normalised, so a playbook term written the same way (in any case)
// matches it whole, as well as word by word.
func identifiers(s string) []string {
	var out []string
	for _, raw := range strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_'
	}) {
		if id, ok := glued(raw); ok {
			out = append(out, id)
		}
	}
	return out
}

// glued is one identifier of several parts (camelCase or snake_case) as a
// single normalised word; false for anything else.
func glued(raw string) (string, bool) {
	if raw == "" || strings.IndexFunc(raw, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' }) >= 0 {
		return "", false
	}
	parts := 0
	for _, p := range strings.Split(raw, "_") {
		if p != "" {
			parts += len(splitCamel(p))
		}
	}
	if parts < 2 {
		return "", false
	}
	// Normalised like any word, so "readiops" written in a playbook and
	// ReadIOPS in an alarm meet.
	return normalise(strings.ToLower(strings.ReplaceAll(raw, "_", ""))), true
}

// noiseIn lists the words of s that are noise, for the playbook checker.
func noiseIn(s string) []string {
	var out []string
	for _, w := range splitWords(s) {
		if noise[w] {
			out = append(out, w)
		}
	}
	return out
}

// droppedWords says whether Tokenize drops some written word of s as a
// common word (not a negation or a spelling it joins), for the checker:
// "by hand" is only "hand" to the matcher.
func droppedWords(s string) bool {
	for _, w := range joinPhrases(splitWords(s)) {
		if stopwords[w] {
			return true
		}
	}
	return false
}
