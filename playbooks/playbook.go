// Package playbooks is the team's runbooks as code: one YAML file per
// failure mode, a built-in catalog derived from the team's documents,
// strict loading with precise errors, and matching of incident titles and
// alerts to playbooks with the reasons for each match.
package playbooks

import (
	"time"

	"go.yaml.in/yaml/v3"
)

// Playbook is one failure mode and what to do about it. The YAML field
// names are the file format (see README, "Playbooks").
type Playbook struct {
	ID    string `yaml:"id"`    // [a-z0-9-], unique
	Title string `yaml:"title"` // at most 75 characters (it is a select option)
	Owner string `yaml:"owner"` // team or person who keeps it current
	// Reviewed is when the team last checked the playbook against how
	// things work (required).
	Reviewed Date `yaml:"reviewed"`
	// ReviewBy is the review date a source document sets, named by
	// ReviewByFrom; files without one leave both out, and Parse then sets
	// ReviewBy to the derived due date, so readers of the field see when
	// the review is due either way. ReviewDue and ReviewBasis say which.
	ReviewBy     Date     `yaml:"review_by"`
	ReviewByFrom string   `yaml:"review_by_from"`
	Sources      []Source `yaml:"sources"` // where it came from
	Match        Match    `yaml:"match"`
	Symptoms     Symptoms `yaml:"symptoms"`
	Causes       []string `yaml:"likely_causes"`
	Checks       []Check  `yaml:"checks"` // in order
	Actions      []Action `yaml:"actions"`
	Related      []string `yaml:"related"` // IDs of other playbooks
	Warnings     []string `yaml:"warnings"`

	// File is where the playbook was loaded from ("builtin/dns.yaml" or a
	// path under PLAYBOOKS_DIR); not part of the YAML.
	File string `yaml:"-"`
	// idLine and relatedLines locate id: and each related ID, for
	// problems found only once every file is loaded (duplicate IDs,
	// unknown related IDs).
	idLine       int
	relatedLines []int
}

// Source cites the document (and section) a playbook was written from.
type Source struct {
	Doc     string `yaml:"doc"`
	Section string `yaml:"section"`
}

// Match is what makes a playbook fit an incident or alert.
type Match struct {
	// Terms are words or phrases that suggest this playbook.
	Terms []string `yaml:"terms"`
	// Strong are words or phrases that almost always mean this playbook
	// (worth three terms).
	Strong []string `yaml:"strong"`
	// Labels match alert labels exactly (case-insensitive): for example
	// metric: [CPUUtilization], namespace: [AWS/ECS], alertname: [RedisDown].
	Labels map[string][]string `yaml:"labels"`
	// Fallback offers this playbook for a firing critical alert that no
	// playbook fits (at most one playbook may set it).
	Fallback bool `yaml:"fallback"`
}

// Symptoms are what users see and what the team sees.
type Symptoms struct {
	User     []string `yaml:"user"`
	Internal []string `yaml:"internal"`
}

// Check is one step of the checklist, optionally backed by an action.
type Check struct {
	Text   string `yaml:"text"`
	Action string `yaml:"action"` // an action ID; its parameters come from Actions
}

// Action is a remediation or diagnostic action offered on the card.
type Action struct {
	Action string         `yaml:"action"` // ID in the actions registry
	Params map[string]any `yaml:"params"`
}

// Date is a calendar day, written YYYY-MM-DD.
type Date struct {
	time.Time
	bad string // what was written, when it was not a date
}

// UnmarshalYAML parses YYYY-MM-DD. A bad value does not stop decoding
// (which would hide the file's other problems); the validator reports it.
// (A list or map never gets here: the schema walk reports and empties it.)
func (d *Date) UnmarshalYAML(n *yaml.Node) error {
	t, err := time.Parse(time.DateOnly, n.Value)
	if err != nil || n.Kind != yaml.ScalarNode {
		d.bad = n.Value
		if d.bad == "" {
			d.bad = "(not a single value)"
		}
		return nil
	}
	d.Time = t
	return nil
}

// MarshalText prints YYYY-MM-DD.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.Format(time.DateOnly)), nil }

// ActionFor returns the action entry a check or button refers to.
func (p Playbook) ActionFor(id string) (Action, bool) {
	for _, a := range p.Actions {
		if a.Action == id {
			return a, true
		}
	}
	return Action{}, false
}
