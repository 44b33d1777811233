package playbooks

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Problem is one thing wrong with a playbook file, with where it is.
type Problem struct {
	File string
	Line int // 1-based; 0 when unknown
	Msg  string
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
	}
	return fmt.Sprintf("%s: %s", p.File, p.Msg)
}

// Problems is every problem found; as an error it lists them one a line.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Err returns ps as an error, or nil when there are none.
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	return ps
}

// Limits that keep a playbook renderable as one Slack card.
const (
	maxTitle     = 75 // a select option's text
	maxChecks    = 15
	maxCheckText = 2000
	maxListItem  = 1000 // a symptom, cause or warning
)

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// Parse decodes and validates one playbook file, reporting every
// problem in one run, each with the file and line: first the file's
// shape (unknown or misspelt fields, values of the wrong kind; see
// schema.go), then, on whatever could be decoded, the rules the shape
// cannot express (validate.go). Only YAML that cannot be parsed at all
// is reported alone. The playbook is returned even when there are
// problems, so that Load can check IDs across files in the same run.
func Parse(file string, data []byte) (Playbook, Problems) {
	var pb Playbook
	root, ps := parseYAML(file, data)
	if ps != nil {
		return pb, ps
	}
	if root.Kind != yaml.MappingNode {
		return pb, Problems{{File: file, Line: root.Line, Msg: "a playbook file is a map of fields (id: …, title: …); found " + foundKind(root)}}
	}
	w := walker{file: file, reported: map[string]bool{}}
	w.record(root, playbookShape, nil, "")
	// The walk reported and emptied every value of the wrong kind, so
	// what decoding could still complain about has been said already.
	_ = root.Decode(&pb)
	pb.File = file
	pb.idLine = lineOf(root, p("id"))
	for i := range pb.Related {
		pb.relatedLines = append(pb.relatedLines, lineOf(root, p("related", i)))
	}
	v := validator{file: file, root: root, reported: w.reported, problems: w.problems}
	v.playbook(&pb)
	sort.SliceStable(v.problems, func(i, j int) bool { return v.problems[i].Line < v.problems[j].Line })
	return pb, v.problems
}

// parseYAML parses data into its one document's top node. A file that
// is not YAML, is empty or holds a second document gets its one problem.
func parseYAML(file string, data []byte) (*yaml.Node, Problems) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, Problems{{File: file, Line: 1, Msg: "the file is empty"}}
		}
		return nil, yamlProblems(file, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		line := extra.Line
		if len(extra.Content) > 0 {
			line = extra.Content[0].Line
		}
		if err != nil && line == 0 {
			return nil, yamlProblems(file, err)
		}
		return nil, Problems{{File: file, Line: line, Msg: "one playbook per file: found a second YAML document"}}
	}
	if len(doc.Content) == 0 || isNullNode(doc.Content[0]) {
		return nil, Problems{{File: file, Line: 1, Msg: "the file is empty"}}
	}
	return doc.Content[0], nil
}

// yamlLine finds "line N:" in the YAML library's messages.
var yamlLine = regexp.MustCompile(`line (\d+): (.*)`)

// yamlProblems turns a YAML syntax error into a problem with its line.
func yamlProblems(file string, err error) Problems {
	p := Problem{File: file, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	if sm := yamlLine.FindStringSubmatch(p.Msg); sm != nil {
		p.Line, _ = strconv.Atoi(sm[1])
		p.Msg = sm[2]
	}
	return Problems{p}
}
