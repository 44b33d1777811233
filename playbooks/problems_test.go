package playbooks

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/incident-bot/incident-bot/incidents/alerts"
)

// One run reports problems that used to take four: a misspelt field and
// a wrong kind (shape), a bad review date (validator), an unknown related
// ID (catalog), each with its line, alongside another file's problem.
func TestLoadReportsEveryProblemInOneRun(t *testing.T) {
	dir := t.TempDir()
	bad := `id: disk-full
title: Disk full
owner: platform
reviewed: 2026-02-30
sources: notes.txt
match:
  terms: [disk]
checks:
  - txet: Check free space.
actions:
  - action: rds.status
    params: {database: main}
related: [redis-unreachble]
`
	other := strings.Replace(goodPlaybook, "id: disk-full", "id: other", 1)
	other = strings.Replace(other, "owner: platform", "owner: platform\nsevirity: high", 1)
	for name, body := range map[string]string{"disk.yaml": bad, "other.yaml": other} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, err := Load(dir)
	if err == nil {
		t.Fatal("accepted")
	}
	disk, otherFile := filepath.Join(dir, "disk.yaml"), filepath.Join(dir, "other.yaml")
	want := []string{
		disk + `:4: reviewed "2026-02-30" is not a date written YYYY-MM-DD`,
		disk + `:5: sources must be a list of {doc, section}; found a text`,
		disk + `:9: unknown field "txet" in checks; did you mean "text"?`,
		disk + `:13: related playbook "redis-unreachble" does not exist; did you mean "redis-unreachable"?`,
		otherFile + `:4: unknown field "sevirity"; a playbook's fields are id, title`,
	}
	got := err.Error()
	for _, w := range want {
		if !strings.Contains("\n"+got, "\n"+w) {
			t.Errorf("missing %q in:\n%s", w, got)
		}
	}
	// The misspelt "txet" was read as text, so the check is not also
	// reported empty; the wrongly shaped sources are not also missing.
	for _, noise := range []string{"check 1 is empty", "missing required field sources", "cannot unmarshal"} {
		if strings.Contains(got, noise) {
			t.Errorf("noise %q in:\n%s", noise, got)
		}
	}
	if n := strings.Count(got, "\n") + 1; n != len(want) {
		t.Errorf("%d problems, want %d:\n%s", n, len(want), got)
	}
}

func TestDuplicateIDReportedWithOtherProblems(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.yaml", goodPlaybook)
	write("b.yaml", strings.Replace(goodPlaybook, "title: Disk full", "titel: Disk full", 1))
	_, err := Load(dir)
	got := ""
	if err != nil {
		got = err.Error()
	}
	for _, w := range []string{
		filepath.Join(dir, "b.yaml") + `:1: duplicate id "disk-full"`,
		filepath.Join(dir, "b.yaml") + `:2: unknown field "titel"; did you mean "title"?`,
	} {
		if !strings.Contains(got, w) {
			t.Errorf("missing %q in:\n%s", w, got)
		}
	}
}

// Label keys: any name an alert source could send passes; a well-known
// key misspelt, or written the way the payload (not the label) says it,
// is refused with the key that was meant.
func TestLabelKeys(t *testing.T) {
	for _, ok := range []string{"alertname", "Alertname", "metric", "namespace", "DBInstanceIdentifier", "instance-id",
		"InstanceId", "detail_type", "MyCustomDimension", "team_service", "pod", "team", "code", "stage", "le", "url"} {
		if msg := labelKeyProblem(ok, false); msg != "" {
			t.Errorf("%s refused: %s", ok, msg)
		}
	}
	for key, meant := range map[string]string{
		"alertnme": "alertname", "namepsace": "namespace", "metrics": "metric", "alarm_name": "alarm", "AlarmName": "alarm",
		"metric_name": "metric", "alarm name": "alarm", "app.kubernetes.io/name": "app_kubernetes_io_name",
		"detail-type": "detail_type", "DBInstanceIdentifer": "DBInstanceIdentifier",
	} {
		msg := labelKeyProblem(key, false)
		if !strings.Contains(msg, "did you mean \""+meant+"\"") {
			t.Errorf("%q: %q, want a suggestion of %q", key, msg, meant)
		}
	}
	if msg := labelKeyProblem("AWS/RDS", false); !strings.Contains(msg, "no spaces or slashes") || strings.Contains(msg, "did you mean") {
		t.Errorf("AWS/RDS: %q", msg)
	}
	// Quotes keep a team's own label that merely looks like a slip, but
	// cannot make a name with a space one a sender could use.
	if msg := labelKeyProblem("resource", true); msg != "" {
		t.Errorf("quoted resource refused: %s", msg)
	}
	if msg := labelKeyProblem("alarm name", true); msg == "" {
		t.Error("quoted \"alarm name\" accepted")
	}
}

// Every label key the alert parsers really produce, for every payload
// in the matching sets, is accepted: the label check never refuses what
// an alert can carry.
func TestLabelKeysFromRealPayloads(t *testing.T) {
	// Webhook labels are the sender's choice; this one looks like a slip
	// for AWS Health's "resources", so a playbook must quote it.
	ownLabel := map[string]bool{"resource": true}
	files, _ := filepath.Glob("testdata/*.yaml")
	seen := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var set struct {
			Cases []struct{ Source, Payload string }
		}
		if err := yaml.Unmarshal(raw, &set); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, c := range set.Cases {
			if c.Payload == "" {
				continue
			}
			as, _ := alerts.ParseSource(c.Source, []byte(c.Payload), time.Now())
			for _, a := range as {
				for k := range a.Labels {
					seen++
					if msg := labelKeyProblem(k, false); msg != "" && !ownLabel[k] {
						t.Errorf("%s (%s): %s", f, c.Source, msg)
					}
				}
			}
		}
	}
	if seen < 100 {
		t.Fatalf("only %d labels seen: are the payload sets still there?", seen)
	}
}

// The README's table of label keys lists every well-known key, so
// authors read the list the checker uses.
func TestReadmeListsLabelKeys(t *testing.T) {
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	for _, g := range wellKnownLabels {
		for _, k := range g.Keys {
			if !strings.Contains(readme, "`"+k+"`") {
				t.Errorf("README does not list label key %s (%s)", k, g.Who)
			}
		}
	}
}

func TestReviewRules(t *testing.T) {
	withReview := func(lines string) string {
		return strings.Replace(goodPlaybook, "reviewed: 2026-11-20\n", lines, 1)
	}
	tests := []struct {
		name, yaml, due, basis, problem string
	}{
		{"six months after the review", withReview("reviewed: 2026-11-20\n"), "2027-05-20", "6 months after the last review on 2026-11-20", ""},
		{"a source document's date", withReview("reviewed: 2026-11-20\nreview_by: 2026-07-16\nreview_by_from: notes.txt\n"),
			"2026-07-16", "set by notes.txt", ""},
		{"review_by with no origin", withReview("reviewed: 2026-11-20\nreview_by: 2027-01-31\n"), "", "",
			"5: review_by needs review_by_from, the source document that sets this date"},
		{"origin with no date", withReview("reviewed: 2026-11-20\nreview_by_from: notes.txt\n"), "", "",
			"5: review_by_from needs review_by"},
		{"origin not a source", withReview("reviewed: 2026-11-20\nreview_by: 2026-07-16\nreview_by_from: note.txt\n"), "", "",
			"6: review_by_from \"note.txt\" is not one of the documents under sources; did you mean \"notes.txt\"?"},
		{"no review", withReview(""), "", "", "1: missing required field reviewed"},
		{"bad review_by", withReview("reviewed: 2026-11-20\nreview_by: 16 July 2026\nreview_by_from: notes.txt\n"), "", "",
			"5: review_by \"16 July 2026\" is not a date written YYYY-MM-DD"},
		{"review_by a list", withReview("reviewed: 2026-11-20\nreview_by: [2026-07-16]\nreview_by_from: notes.txt\n"), "", "",
			"5: review_by must be a date written YYYY-MM-DD; found a list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pb, ps := Parse("disk.yaml", []byte(tt.yaml))
			if tt.problem != "" {
				if !strings.Contains("\n"+ps.Error(), "\ndisk.yaml:"+tt.problem) {
					t.Fatalf("problems:\n%v\nwant %q", ps, tt.problem)
				}
				return
			}
			if len(ps) > 0 {
				t.Fatal(ps)
			}
			if got := pb.ReviewDue().Format(time.DateOnly); got != tt.due || pb.ReviewBasis() != tt.basis {
				t.Fatalf("due %s (%s), want %s (%s)", got, pb.ReviewBasis(), tt.due, tt.basis)
			}
			// Code that reads the field directly sees the due date too.
			if got := pb.ReviewDue().Format(time.DateOnly); got != tt.due {
				t.Fatalf("ReviewDue = %s, want %s", got, tt.due)
			}
			due, _ := time.Parse(time.DateOnly, tt.due)
			if pb.Overdue(due) || !pb.Overdue(due.AddDate(0, 0, 1)) {
				t.Fatal("overdue on the wrong day")
			}
		})
	}
}

// Every built-in review date says where it comes from: the one document
// that sets one, or the last review.
func TestBuiltinReviewDates(t *testing.T) {
	c, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	overdue := c.Overdue(time.Date(2027, 12, 1, 0, 0, 0, 0, time.UTC))
	if len(overdue) != len(c.List()) || overdue[0].ReviewDue().After(overdue[len(overdue)-1].ReviewDue()) {
		t.Fatalf("Overdue is not every playbook, oldest first")
	}
	for _, pb := range c.List() {
		fromRunbook := false
		for _, s := range pb.Sources {
			fromRunbook = fromRunbook || s.Doc == "troubleshooting-runbook.txt"
		}
		basis := pb.ReviewBasis()
		switch {
		case fromRunbook && (basis != "set by troubleshooting-runbook.txt" || pb.ReviewDue().Format(time.DateOnly) != "2026-07-16"):
			t.Errorf("%s: due %s, %s; the troubleshooting runbook says 2026-07-16", pb.ID, pb.ReviewDue().Format(time.DateOnly), basis)
		case !fromRunbook && !strings.HasPrefix(basis, "6 months after the last review on "):
			t.Errorf("%s: %s", pb.ID, basis)
		}
	}
}

// The schema the walk checks and the Playbook type that is decoded
// describe the same fields.
func TestSchemaMatchesPlaybook(t *testing.T) {
	var check func(where string, s *schema, typ reflect.Type)
	check = func(where string, s *schema, typ reflect.Type) {
		switch {
		case typ == reflect.TypeFor[Date]():
			if s.kind != kDate {
				t.Errorf("%s: Date, schema kind %d", where, s.kind)
			}
		case typ.Kind() == reflect.Struct:
			var names []string
			for f := range typ.Fields() {
				tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
				if tag == "" || tag == "-" {
					continue
				}
				names = append(names, tag)
				sf, ok := s.field(tag)
				if !ok {
					t.Errorf("%s: field %s is not in the schema", where, tag)
					continue
				}
				check(fieldPath(where, tag), sf.shape, f.Type)
			}
			if !reflect.DeepEqual(names, s.fieldNames()) {
				t.Errorf("%s: type has %v, schema %v", where, names, s.fieldNames())
			}
		case typ.Kind() == reflect.Slice:
			if s.kind != kList {
				t.Errorf("%s: a slice, schema kind %d", where, s.kind)
			} else {
				check(where, s.elem, typ.Elem())
			}
		case typ.Kind() == reflect.Map:
			if s.kind != kDict {
				t.Errorf("%s: a map, schema kind %d", where, s.kind)
			} else {
				check(where, s.elem, typ.Elem())
			}
		default:
			want := map[reflect.Kind]valueKind{reflect.String: kText, reflect.Bool: kBool, reflect.Interface: kAny}[typ.Kind()]
			if s.kind != want {
				t.Errorf("%s: %s, schema kind %d", where, typ, s.kind)
			}
		}
	}
	check("", playbookShape, reflect.TypeFor[Playbook]())
}

func TestDidYouMean(t *testing.T) {
	valid := []string{"database", "service", "count"}
	for written, want := range map[string]string{
		"databse": `; did you mean "database"?`, "Service": `; did you mean "service"?`,
		"x": " (valid)", "forcefully": " (valid)",
	} {
		if got := didYouMean(written, valid, " (valid)"); got != want {
			t.Errorf("%s: %q, want %q", written, got, want)
		}
	}
}
