package playbooks

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The schema walk checks a playbook file's shape — which fields exist
// where and what kind of value each takes — on the parsed YAML tree,
// before anything is decoded. Decoding alone stops at the first wrong
// type and says it in Go's terms ("cannot unmarshal !!str into
// []playbooks.Source"), hiding every later problem until that one is
// fixed. The walk instead reports each misspelt field and wrong kind in
// the author's terms, then empties the offending values so that the
// rest decodes and the validator checks it in the same run.

// valueKind is what sort of YAML value a field takes.
type valueKind int

const (
	kText   valueKind = iota // one value: YAML's 42 or true is also the text "42" or "true"
	kDate                    // one value; the validator checks it is YYYY-MM-DD
	kBool                    // true or false, nothing else
	kList                    // a sequence of elem
	kRecord                  // a map with the fixed fields
	kDict                    // a map with names the author chooses (labels, params), each an elem
	kAny                     // an action parameter: the action says what it must be
)

// schema is the expected form of a value: the file format, in one place.
type schema struct {
	kind   valueKind
	what   string        // what belongs here, in the author's words
	elem   *schema       // kList and kDict: each entry
	fields []schemaField // kRecord
}

type schemaField struct {
	name  string
	shape *schema
}

func recordOf(what string, fields ...schemaField) *schema {
	return &schema{kind: kRecord, what: what, fields: fields}
}

func listOf(what string, elem *schema) *schema { return &schema{kind: kList, what: what, elem: elem} }

func (s *schema) field(name string) (schemaField, bool) {
	for _, f := range s.fields {
		if f.name == name {
			return f, true
		}
	}
	return schemaField{}, false
}

func (s *schema) fieldNames() []string {
	names := make([]string, len(s.fields))
	for i, f := range s.fields {
		names[i] = f.name
	}
	return names
}

var (
	textShape  = &schema{kind: kText, what: "a text"}
	dateShape  = &schema{kind: kDate, what: "a date written YYYY-MM-DD"}
	boolShape  = &schema{kind: kBool, what: "true or false"}
	textsShape = listOf("a list of texts", textShape)
)

// playbookShape is the playbook file format; TestSchemaMatchesPlaybook
// keeps it in step with the Playbook type's YAML fields.
var playbookShape = recordOf("a playbook: a map of fields (id: …, title: …)",
	schemaField{"id", textShape},
	schemaField{"title", textShape},
	schemaField{"owner", textShape},
	schemaField{"reviewed", dateShape},
	schemaField{"review_by", dateShape},
	schemaField{"review_by_from", &schema{kind: kText, what: "a document's file name"}},
	schemaField{"sources", listOf("a list of {doc, section}",
		recordOf("{doc, section}", schemaField{"doc", textShape}, schemaField{"section", textShape}))},
	schemaField{"match", recordOf("a map of terms, strong, labels and fallback",
		schemaField{"terms", textsShape},
		schemaField{"strong", textsShape},
		schemaField{"labels", &schema{kind: kDict, what: "a map of label name → list of values",
			elem: listOf("a list of values", &schema{kind: kText, what: "a single value"})}},
		schemaField{"fallback", boolShape})},
	schemaField{"symptoms", recordOf("a map of user and internal", schemaField{"user", textsShape}, schemaField{"internal", textsShape})},
	schemaField{"likely_causes", textsShape},
	schemaField{"checks", listOf("a list of {text, action}",
		recordOf("{text, action}", schemaField{"text", textShape}, schemaField{"action", &schema{kind: kText, what: "an action id"}}))},
	schemaField{"actions", listOf("a list of {action, params}",
		recordOf("{action, params}",
			schemaField{"action", &schema{kind: kText, what: "an action id"}},
			schemaField{"params", &schema{kind: kDict, what: "a map of parameter name → value", elem: &schema{kind: kAny}}}))},
	schemaField{"related", listOf("a list of playbook ids", &schema{kind: kText, what: "a playbook id"})},
	schemaField{"warnings", textsShape},
)

// walker collects the shape problems of one file.
type walker struct {
	file     string
	problems Problems
	// reported holds the paths (see pathKey) of values reported and
	// emptied here, so the validator does not also call them missing.
	reported map[string]bool
}

func (w *walker) add(n *yaml.Node, format string, args ...any) {
	w.problems = append(w.problems, Problem{File: w.file, Line: n.Line, Msg: fmt.Sprintf(format, args...)})
}

// walk checks n against s and returns what to keep in n's place: n
// itself, or an empty value when n is the wrong kind. name is the
// dotted field name shown to the author; each says n is an entry of the
// list or map called name.
func (w *walker) walk(n *yaml.Node, s *schema, path []any, name string, each bool) *yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if isNullNode(n) {
		return n // an empty value is a missing one: the validator says whether that matters
	}
	if !fits(n, s) {
		subject := name
		if each {
			subject = "each entry of " + name
		}
		w.add(n, "%s must be %s; found %s", subject, s.what, foundKind(n))
		w.reported[pathKey(path)] = true
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: n.Line, Column: n.Column}
	}
	switch s.kind {
	case kList:
		for i, item := range n.Content {
			n.Content[i] = w.walk(item, s.elem, withStep(path, i), name, true)
		}
	case kRecord:
		w.record(n, s, path, name)
	case kDict:
		w.dict(n, s, path, name)
	}
	return n
}

// record checks a map with fixed fields: unknown (usually misspelt)
// fields, fields written twice, and each field's value.
func (w *walker) record(n *yaml.Node, s *schema, path []any, name string) {
	first := map[string]int{} // field → line it was first written on
	kept := n.Content[:0:0]
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			w.add(k, "a field name must be a single word; found %s", foundKind(k))
			continue
		}
		if k.ShortTag() == "!!merge" {
			kept = append(kept, k, val) // "<<: *defaults": YAML's own; decoding merges it
			continue
		}
		f, ok := s.field(k.Value)
		if !ok {
			if f, ok = w.unknown(n, k, s, name); !ok {
				continue
			}
		}
		if line, dup := first[f.name]; dup {
			// Dropped: decoding would otherwise let the second silently win.
			w.add(k, "%s is written twice (first on line %d)", fieldPath(name, f.name), line)
			continue
		}
		first[f.name] = k.Line
		val = w.walk(val, f.shape, withStep(path, f.name), fieldPath(name, f.name), false)
		kept = append(kept, k, val)
	}
	n.Content = kept
}

// unknown reports a field that does not belong in s, with the field the
// author probably meant. When that field is not also written, the key is
// renamed to it, so its value is checked as if spelt right instead of
// the field being reported missing as well.
func (w *walker) unknown(n, k *yaml.Node, s *schema, name string) (schemaField, bool) {
	where, list := "", "; a playbook's fields are "
	if name != "" {
		where, list = " in "+name, "; the fields there are "
	}
	valid := s.fieldNames()
	w.add(k, "unknown field %q%s%s", k.Value, where, didYouMean(k.Value, valid, list+strings.Join(valid, ", ")))
	meant, ok := closest(k.Value, valid)
	if !ok || hasField(n, meant) {
		return schemaField{}, false
	}
	k.Value = meant
	return s.field(meant)
}

// dict checks a map whose names the author chooses: only the values
// (names of labels and parameters are the validator's business).
func (w *walker) dict(n *yaml.Node, s *schema, path []any, name string) {
	first := map[string]int{}
	kept := n.Content[:0:0]
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if line, dup := first[k.Value]; dup {
			w.add(k, "%s is written twice (first on line %d)", fieldPath(name, k.Value), line)
			continue
		}
		first[k.Value] = k.Line
		val = w.walk(val, s.elem, withStep(path, k.Value), fieldPath(name, k.Value), false)
		kept = append(kept, k, val)
	}
	n.Content = kept
}

func fits(n *yaml.Node, s *schema) bool {
	switch s.kind {
	case kText, kDate:
		return n.Kind == yaml.ScalarNode
	case kBool:
		return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!bool"
	case kList:
		return n.Kind == yaml.SequenceNode
	case kRecord, kDict:
		return n.Kind == yaml.MappingNode
	}
	return true
}

// foundKind names the kind of value the author wrote.
func foundKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a map (name: value lines)"
	case yaml.AliasNode:
		return "an alias (*name)"
	}
	switch n.ShortTag() {
	case "!!int", "!!float":
		return "a number"
	case "!!bool":
		return n.Value
	case "!!null":
		return "nothing"
	case "!!timestamp":
		return "a date"
	}
	return "a text"
}

func isNullNode(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

func hasField(n *yaml.Node, key string) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return true
		}
	}
	return false
}

func fieldPath(name, field string) string {
	if name == "" {
		return field
	}
	return name + "." + field
}

// withStep returns path extended by step, never sharing path's array (the
// walk extends one path many ways).
func withStep(path []any, step any) []any {
	return append(append(make([]any, 0, len(path)+1), path...), step)
}

// pathKey is a path (mapping keys and sequence indexes) as a map key.
func pathKey(path []any) string {
	parts := make([]string, len(path))
	for i, step := range path {
		parts[i] = fmt.Sprint(step)
	}
	return strings.Join(parts, "\x1f")
}
