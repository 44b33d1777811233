package playbooks

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// validator checks a decoded playbook against the rules its shape
// cannot express, finding each problem's line in the parsed node tree.
type validator struct {
	file     string
	root     *yaml.Node
	problems Problems
	// reported are the paths the schema walk found the wrong kind and
	// emptied: saying they are also missing or empty would be noise.
	reported map[string]bool
}

// at reports a problem at the node reached by path (mapping keys and
// sequence indexes); when the path stops early (a missing field), at the
// deepest node that exists. Nothing is said about a value the schema
// walk has already reported, nor about anything inside one.
func (v *validator) at(path []any, format string, args ...any) {
	for i := 1; i <= len(path); i++ {
		if v.reported[pathKey(path[:i])] {
			return
		}
	}
	v.problems = append(v.problems, Problem{File: v.file, Line: lineOf(v.root, path), Msg: fmt.Sprintf(format, args...)})
}

func lineOf(root *yaml.Node, path []any) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, step := range path {
		var next *yaml.Node
		switch s := step.(type) {
		case string:
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == s {
						line = n.Content[i].Line
						next = n.Content[i+1]
						break
					}
				}
			}
		case int:
			if n.Kind == yaml.SequenceNode && s < len(n.Content) {
				next = n.Content[s]
				line = next.Line
			}
		}
		if next == nil {
			return line
		}
		n = next
	}
	return line
}

func p(path ...any) []any { return path }

// nodeAt returns the value at path, or nil when there is none.
func nodeAt(root *yaml.Node, path []any) *yaml.Node {
	n := root
	for _, step := range path {
		name, ok := step.(string)
		if n == nil || n.Kind != yaml.MappingNode || !ok {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == name {
				next = n.Content[i+1]
			}
		}
		n = next
	}
	return n
}

// quotedKey reports whether key is written in quotes in mapping m.
func quotedKey(m *yaml.Node, key string) bool {
	for i := 0; m != nil && i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; k.Value == key {
			return k.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0
		}
	}
	return false
}

// playbook checks a whole playbook, reporting problems in the order of
// its fields.
func (v *validator) playbook(pb *Playbook) {
	v.header(pb)
	v.review(pb)
	v.sources(pb.Sources)
	v.match(pb.Match)
	v.checks(pb)
	v.actionList(pb.Actions)
	v.texts(pb)
	for i, r := range pb.Related {
		if r == pb.ID {
			v.at(p("related", i), "a playbook cannot be related to itself")
		}
	}
}

// header checks id, title and owner.
func (v *validator) header(pb *Playbook) {
	switch {
	case pb.ID == "":
		v.at(p("id"), "missing required field id")
	case !idPattern.MatchString(pb.ID):
		v.at(p("id"), "id %q must be lowercase letters, digits and hyphens", pb.ID)
	}
	switch n := utf8.RuneCountInString(pb.Title); {
	case pb.Title == "":
		v.at(p("title"), "missing required field title")
	case n > maxTitle:
		v.at(p("title"), "title is %d characters; at most %d fit on a card", n, maxTitle)
	}
	if strings.TrimSpace(pb.Owner) == "" {
		v.at(p("owner"), "missing required field owner (who keeps this playbook current)")
	}
}

// sources checks that there is at least one source and that each names a doc.
func (v *validator) sources(sources []Source) {
	if len(sources) == 0 {
		v.at(p("sources"), "missing required field sources (which document and section this came from)")
	}
	for i, s := range sources {
		if strings.TrimSpace(s.Doc) == "" {
			v.at(p("sources", i), "source %d has no doc", i+1)
		}
	}
}

// checks checks the checks' count and texts, and that each action a check
// uses exists and is listed under actions.
func (v *validator) checks(pb *Playbook) {
	if len(pb.Checks) == 0 {
		v.at(p("checks"), "missing required field checks (at least one)")
	}
	if len(pb.Checks) > maxChecks {
		v.at(p("checks", maxChecks), "%d checks; at most %d fit on a card", len(pb.Checks), maxChecks)
	}
	for i, c := range pb.Checks {
		v.text(p("checks", i, "text"), c.Text, maxCheckText, fmt.Sprintf("check %d", i+1))
		if c.Action == "" {
			continue
		}
		if _, ok := actions.Lookup(c.Action); !ok {
			v.at(p("checks", i, "action"), "unknown action %q%s", c.Action, didYouMean(c.Action, actions.IDs(), ""))
		} else if _, ok := pb.ActionFor(c.Action); !ok {
			v.at(p("checks", i, "action"), "check %d uses action %q, which is not listed under actions (with its parameters)", i+1, c.Action)
		}
	}
}

// actionList checks each entry under actions, and that none is listed twice.
func (v *validator) actionList(list []Action) {
	seen := map[string]bool{}
	for i, a := range list {
		if seen[a.Action] {
			v.at(p("actions", i, "action"), "action %q is listed twice", a.Action)
		}
		seen[a.Action] = true
		v.action(i, a)
	}
}

// texts checks the free-text lists: likely_causes, warnings and symptoms.
func (v *validator) texts(pb *Playbook) {
	for _, list := range []struct {
		key   string
		items []string
	}{{"likely_causes", pb.Causes}, {"warnings", pb.Warnings}} {
		for i, s := range list.items {
			v.text(p(list.key, i), s, maxListItem, list.key)
		}
	}
	for i, s := range pb.Symptoms.User {
		v.text(p("symptoms", "user", i), s, maxListItem, "symptom")
	}
	for i, s := range pb.Symptoms.Internal {
		v.text(p("symptoms", "internal", i), s, maxListItem, "symptom")
	}
}

func (v *validator) text(path []any, s string, limit int, what string) {
	switch n := utf8.RuneCountInString(s); {
	case strings.TrimSpace(s) == "":
		v.at(path, "%s is empty", what)
	case n > limit:
		v.at(path, "%s is %d characters; the limit is %d", what, n, limit)
	}
}

func (v *validator) match(m Match) {
	// A rule written in the wrong shape is reported already; calling the
	// match empty as well would send the author looking for a second fault.
	shapeWrong := v.reported[pathKey(p("match", "terms"))] || v.reported[pathKey(p("match", "strong"))] || v.reported[pathKey(p("match", "labels"))]
	if len(m.Terms) == 0 && len(m.Strong) == 0 && len(m.Labels) == 0 && !shapeWrong {
		v.at(p("match"), "match needs at least one of terms, strong or labels, or the playbook can never be suggested")
	}
	for _, key := range []string{"terms", "strong"} {
		list := m.Terms
		if key == "strong" {
			list = m.Strong
		}
		for i, t := range list {
			switch n := len(Tokenize(t)); {
			case n == 0:
				v.at(p("match", key, i), "%q has no words that can match (only punctuation or common words)", t)
			case key == "strong" && n == 1 && droppedWords(t):
				v.at(p("match", key, i), "%q counts only as %q (common words are dropped), and one word that strong matches far too much; add a word that says what it is about",
					t, Tokenize(t)[0])
			case len(noiseIn(t)) > 0:
				v.at(p("match", key, i), "%q contains %s, which every alert says and which never counts; write the phrase without it",
					t, strings.Join(noiseIn(t), ", "))
			case n > MaxPhraseWords:
				v.at(p("match", key, i), "%q has %d words that count; at most %d can match as a phrase", t, n, MaxPhraseWords)
			}
		}
	}
	labels := nodeAt(v.root, p("match", "labels"))
	for _, k := range slices.Sorted(maps.Keys(m.Labels)) {
		if msg := labelKeyProblem(k, quotedKey(labels, k)); msg != "" {
			v.at(p("match", "labels", k), "%s", msg)
		} else if len(m.Labels[k]) == 0 {
			v.at(p("match", "labels", k), "match.labels.%s needs at least one value", k)
		}
	}
}

// action checks an action entry against the registry: known ID, known
// parameters of the right types, required parameters present.
func (v *validator) action(i int, a Action) {
	spec, ok := actions.Lookup(a.Action)
	if !ok {
		v.at(p("actions", i, "action"), "unknown action %q%s", a.Action,
			didYouMean(a.Action, actions.IDs(), " (known: "+strings.Join(actions.IDs(), ", ")+")"))
		return
	}
	for name, val := range a.Params {
		param, ok := spec.Param(name)
		if !ok {
			names := make([]string, len(spec.Params))
			for j, sp := range spec.Params {
				names[j] = sp.Name
			}
			v.at(p("actions", i, "params", name), "action %s has no parameter %q%s", a.Action, name,
				didYouMean(name, names, " (it takes "+strings.Join(names, ", ")+")"))
			continue
		}
		if !typeOK(param.Type, val) {
			v.at(p("actions", i, "params", name), "parameter %s of %s must be %s, got %v", name, a.Action, describe(param.Type), val)
		}
	}
	for _, param := range spec.Params {
		if _, ok := a.Params[param.Name]; param.Required && !ok {
			v.at(p("actions", i), "action %s needs parameter %s (%s)", a.Action, param.Name, param.Help)
		}
	}
}

func typeOK(t actions.ParamType, val any) bool {
	switch t {
	case actions.String:
		s, ok := val.(string)
		return ok && s != ""
	case actions.Int:
		_, ok := val.(int)
		return ok
	case actions.Bool:
		_, ok := val.(bool)
		return ok
	case actions.Strings:
		list, ok := val.([]any)
		if !ok {
			return false
		}
		for _, item := range list {
			if _, ok := item.(string); !ok {
				return false
			}
		}
		return true
	}
	return false
}

func describe(t actions.ParamType) string {
	switch t {
	case actions.Int:
		return "a whole number"
	case actions.Bool:
		return "true or false"
	case actions.Strings:
		return "a list of strings"
	}
	return "a non-empty string"
}
