package actions

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/incident-bot/incident-bot/internal/txt"
)

// Request is one invocation of an action: its parameters (checked
// against the Spec) and the resources they name, resolved from the
// targets file.
type Request struct {
	Params   map[string]any
	Service  *Service  // set when the action takes "service"
	Database *Database // set when the action takes "database"
	Limits   Limits
	// Confirmed is the preview a person confirmed, passed to Run so it can
	// check that what it is about to change is still what was shown (the
	// blocking query's PID still belongs to the same backend and query).
	Confirmed *Preview
}

// String returns a parameter as a string ("" when absent).
func (r Request) String(name string) string {
	s, _ := r.Params[name].(string)
	return s
}

// Int returns an int parameter, or def when absent.
func (r Request) Int(name string, def int) int {
	if v, ok := r.Params[name].(int); ok {
		return v
	}
	return def
}

// Strings returns a list-of-strings parameter, or def when absent.
func (r Request) Strings(name string, def []string) []string {
	list, ok := r.Params[name].([]any)
	if !ok {
		return def
	}
	out := make([]string, 0, len(list))
	for _, v := range list {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// Preview says, before a mutating action runs, what it will touch and
// what will change, from the current state.
type Preview struct {
	Resource string // what the action changes, for the one-at-a-time lock: "ecs:prod/web"
	Current  string // the state now, e.g. "desired 4, running 4"
	Change   string // what will change, e.g. "desired 4 → 15"
	// Undo is how to reverse the change, when there is a way, e.g.
	// "scale back to 4". Shown with the result.
	Undo string
	// Data carries what Run must re-check or reuse (a PID and its backend
	// start, the previous desired count). Strings only: it is recorded.
	Data map[string]string
}

// Result is what an action found or did, as plain text in parts: the
// bot draws it for Slack, the postmortem as Markdown. Nothing in it is
// escaped for any target.
type Result struct {
	Summary   string    // one line for the timeline and the thread
	Sections  []Section // the findings (may be long; renderers clip)
	RequestID string    // AWS request ID, or the SQL outcome
	Changed   bool      // something was changed
	// Metrics are the time series the action read, for the bot to draw
	// next to its numbers. Describing them costs the action nothing: the
	// drawing is done later, elsewhere, and may fail on its own.
	Metrics []Metric
}

// Metric is a CloudWatch metric an action read (or one that shows the
// same thing), described as the action queried it so its graph matches
// its numbers.
type Metric struct {
	Label      string      // what it is, for people: "CPU of main-db"
	Region     string      // where it lives: us-east-1 for CloudFront
	Role       string      // the role the action read it with ("" for the bot's own)
	Namespace  string      // AWS/RDS
	Metric     string      // CPUUtilization
	Dimensions [][2]string // name, value; as queried
	Stat       string      // Average, Sum, Minimum, p99…
	Period     int         // seconds
	Unit       string      // a hint for the reader ("Percent", "Bytes"); optional
}

// Section is one part of the findings: a heading, one row per finding
// (a row may mark a name as `code`; a row starting with spaces belongs to
// the one above), and lines shown as they are (SQL, a task's output).
type Section struct {
	Title string   `json:"title,omitempty"`
	Rows  []string `json:"rows,omitempty"`
	Code  []string `json:"code,omitempty"`
}

// Text is the findings as plain lines: a title, then its rows, then its
// code, section after section.
func (r Result) Text() string {
	var lines []string
	for _, s := range r.Sections {
		if s.Title != "" {
			lines = append(lines, s.Title)
		}
		lines = append(lines, s.Rows...)
		lines = append(lines, s.Code...)
	}
	return strings.Join(lines, "\n")
}

// Runner implements an action. Read-only actions do their work in Run and
// may return a zero Preview. Mutating actions must Preview without
// changing anything; Run is only called after an authorised person has
// confirmed that preview.
type Runner interface {
	Preview(ctx context.Context, req Request) (Preview, error)
	Run(ctx context.Context, req Request) (Result, error)
}

// Error is an action failure with the provider's code ("ThrottlingException",
// the Postgres SQLSTATE), shown to people as it is.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Registry maps action IDs to their runners.
type Registry struct {
	runners map[string]Runner
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{runners: map[string]Runner{}} }

// Register adds the runner for id, which must be a known Spec.
func (r *Registry) Register(id string, run Runner) error {
	if _, ok := Lookup(id); !ok {
		return fmt.Errorf("actions: no spec for %q", id)
	}
	if _, dup := r.runners[id]; dup {
		return fmt.Errorf("actions: %q registered twice", id)
	}
	r.runners[id] = run
	return nil
}

// Runner returns the runner for id.
func (r *Registry) Runner(id string) (Runner, bool) {
	run, ok := r.runners[id]
	return run, ok
}

// IDs lists the registered action IDs, sorted.
func (r *Registry) IDs() []string {
	ids := make([]string, 0, len(r.runners))
	for id := range r.runners {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// maxRecordedRows bounds the findings kept in the timeline: the rows past
// it are counted in a last row.
const maxRecordedRows = 60

// EncodeSections keeps findings in an event's data (bounded).
func EncodeSections(ss []Section) string {
	left := maxRecordedRows
	out := make([]Section, 0, len(ss))
	for _, s := range ss {
		if left <= 0 {
			break
		}
		s.Rows = slices.Clone(s.Rows)
		if len(s.Rows)+len(s.Code) > left {
			cut := min(len(s.Rows), left)
			if more := len(s.Rows) - cut; more > 0 {
				s.Rows = append(s.Rows[:cut], fmt.Sprintf("…and %d more", more))
			}
			s.Code = s.Code[:min(len(s.Code), max(left-cut, 0))]
		}
		left -= len(s.Rows) + len(s.Code)
		for i := range s.Rows {
			s.Rows[i] = txt.Clip(s.Rows[i], 500)
		}
		out = append(out, s)
	}
	raw, _ := json.Marshal(out) // strings only: cannot fail
	return string(raw)
}

// DecodeSections reads findings EncodeSections kept; bad data reads as none.
func DecodeSections(raw string) []Section {
	var ss []Section
	_ = json.Unmarshal([]byte(raw), &ss)
	return ss
}
