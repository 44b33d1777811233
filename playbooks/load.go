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

// Parse decodes and validates one playbook file. Unknown fields, wrong
// types, missing required fields, unknown actions and bad parameters are
// all reported with the file and line.
func Parse(file string, data []byte) (Playbook, Problems) {
	var pb Playbook
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&pb); err != nil {
		if errors.Is(err, io.EOF) {
			return pb, Problems{{File: file, Line: 1, Msg: "the file is empty"}}
		}
		return pb, yamlProblems(file, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		line := extra.Line
		if len(extra.Content) > 0 {
			line = extra.Content[0].Line
		}
		if err != nil && line == 0 {
			return pb, yamlProblems(file, err)
		}
		return pb, Problems{{File: file, Line: line, Msg: "one playbook per file: found a second YAML document"}}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return pb, yamlProblems(file, err)
	}
	pb.File = file
	pb.idLine, pb.relatedLine = lineOf(&root, p("id")), lineOf(&root, p("related"))
	v := validator{file: file, root: &root}
	v.playbook(&pb)
	sort.SliceStable(v.problems, func(i, j int) bool { return v.problems[i].Line < v.problems[j].Line })
	return pb, v.problems
}

// yamlLine finds "line N:" in the YAML library's messages.
var yamlLine = regexp.MustCompile(`line (\d+): (.*)`)

// yamlProblems turns the YAML library's errors (one per field for type
// and unknown-field errors) into problems with lines.
func yamlProblems(file string, err error) Problems {
	var msgs []string
	if te, ok := errors.AsType[*yaml.TypeError](err); ok {
		msgs = te.Errors
	} else {
		msgs = []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	var ps Problems
	for _, m := range msgs {
		p := Problem{File: file, Msg: m}
		if sm := yamlLine.FindStringSubmatch(m); sm != nil {
			p.Line, _ = strconv.Atoi(sm[1])
			p.Msg = sm[2]
		}
		p.Msg = strings.Replace(p.Msg, " in type playbooks.", " in ", 1)
		ps = append(ps, p)
	}
	return ps
}
