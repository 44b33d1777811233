package playbooks

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const goodPlaybook = `id: disk-full
title: Disk full
owner: platform
reviewed: 2026-11-20
sources:
  - doc: notes.txt
    section: disks
match:
  terms: [disk, storage]
checks:
  - text: Check free space.
    action: rds.status
actions:
  - action: rds.status
    params: {database: main}
`

func TestParseGood(t *testing.T) {
	pb, ps := Parse("disk.yaml", []byte(goodPlaybook))
	if len(ps) > 0 {
		t.Fatalf("problems: %v", ps)
	}
	if pb.ID != "disk-full" || pb.ReviewDue().Format("2006-01-02") != "2027-05-20" || pb.Checks[0].Action != "rds.status" {
		t.Fatalf("parsed = %+v", pb)
	}
	if got := pb.ReviewBasis(); got != "6 months after the last review on 2026-11-20" {
		t.Fatalf("basis = %q", got)
	}
}

// Each bad file is rejected with the file, the line and a precise message.
func TestParseRejects(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       string // "line: message substring", one a line
	}{
		{"unknown field", strings.Replace(goodPlaybook, "owner: platform", "owner: platform\nseverity: high", 1),
			"4: unknown field \"severity\"; a playbook's fields are id, title, owner, reviewed, review_by"},
		{"typo in nested field", strings.Replace(goodPlaybook, "    section: disks", "    sectoin: disks", 1), "7: unknown field \"sectoin\" in sources; did you mean \"section\"?"},
		{"bad date", strings.Replace(goodPlaybook, "2026-11-20", "next year", 1), "4: reviewed \"next year\" is not a date"},
		{"bad date hides nothing", strings.Replace(strings.Replace(goodPlaybook, "2026-11-20", "soon", 1), "owner: platform", "owner: platform\nowners: [x]", 1),
			"4: unknown field \"owners\"; did you mean \"owner\"?\n5: reviewed \"soon\" is not a date"},
		{"missing title", strings.Replace(goodPlaybook, "title: Disk full\n", "", 1), "1: missing required field title"},
		{"missing owner", strings.Replace(goodPlaybook, "owner: platform\n", "", 1), "1: missing required field owner"},
		{"missing checks", strings.Split(goodPlaybook, "checks:")[0], "1: missing required field checks"},
		{"bad id", strings.Replace(goodPlaybook, "id: disk-full", "id: Disk Full", 1), "1: id \"Disk Full\" must be lowercase"},
		{"long title", strings.Replace(goodPlaybook, "title: Disk full", "title: "+strings.Repeat("x", 80), 1), "2: title is 80 characters"},
		{"unknown action", strings.Replace(goodPlaybook, "  - action: rds.status", "  - action: rds.explode", 1), "14: unknown action \"rds.explode\" (known: account.notice_contacts"},
		{"misspelt action", strings.Replace(goodPlaybook, "  - action: rds.status", "  - action: rds.statsu", 1), "14: unknown action \"rds.statsu\"; did you mean \"rds.status\"?"},
		{"misspelt check action", strings.Replace(goodPlaybook, "    action: rds.status\n", "    action: rds.stauts\n", 1), "12: unknown action \"rds.stauts\"; did you mean \"rds.status\"?"},
		{"misspelt param", strings.Replace(goodPlaybook, "{database: main}", "{databse: main}", 1),
			"15: action rds.status has no parameter \"databse\"; did you mean \"database\"?\n14: action rds.status needs parameter database"},
		{"check action not listed", strings.Replace(goodPlaybook, "    action: rds.status\n", "    action: rds.reboot\n", 1), "12: check 1 uses action \"rds.reboot\", which is not listed"},
		{"bad param type", strings.Replace(goodPlaybook, "{database: main}", "{database: 42}", 1), "15: parameter database of rds.status must be a non-empty string"},
		{"unknown param", strings.Replace(goodPlaybook, "{database: main}", "{database: main, force: true}", 1), "15: action rds.status has no parameter \"force\""},
		{"missing param", strings.Replace(goodPlaybook, "{database: main}", "{}", 1), "14: action rds.status needs parameter database"},
		{"wrong type for list", strings.Replace(goodPlaybook, "terms: [disk, storage]", "terms: disk", 1), "9: match.terms must be a list of texts; found a text"},
		{"wrong kind in a list", strings.Replace(goodPlaybook, "  - doc: notes.txt\n    section: disks", "  - notes.txt", 1), "6: each entry of sources must be {doc, section}; found a text"},
		{"wrong kind of label values", strings.Replace(goodPlaybook, "terms: [disk, storage]", "labels: {metric: 5}", 1), "9: match.labels.metric must be a list of values; found a number"},
		{"not true or false", strings.Replace(goodPlaybook, "terms: [disk, storage]", "terms: [disk]\n  fallback: sometimes", 1), "10: match.fallback must be true or false; found a text"},
		{"field written twice", strings.Replace(goodPlaybook, "owner: platform", "owner: platform\nowner: dba", 1), "4: owner is written twice (first on line 3)"},
		{"misspelt label key", strings.Replace(goodPlaybook, "terms: [disk, storage]", "labels: {alertnme: [DiskFull]}", 1),
			"9: match.labels: no alert source sets \"alertnme\"; did you mean \"alertname\" (set by Alertmanager)?"},
		{"file not a map", "- id: disk-full\n", "1: a playbook file is a map of fields (id: …, title: …); found a list"},
		{"no match rules", strings.Replace(goodPlaybook, "  terms: [disk, storage]\n", "", 1), "8: match needs at least one"},
		{"yaml syntax", goodPlaybook + "  bad: [\n", "13: did not find expected"},
		{"second document", goodPlaybook + "---\nid: other\n", "17: one playbook per file"},
		{"empty", "", "1: the file is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ps := Parse("team/disk.yaml", []byte(tt.yaml))
			if len(ps) == 0 {
				t.Fatalf("accepted")
			}
			all := ps.Error()
			for _, want := range strings.Split(tt.want, "\n") {
				if !strings.Contains("\n"+all, "\nteam/disk.yaml:"+want) {
					t.Errorf("problems:\n%s\nwant a line starting %q", all, "team/disk.yaml:"+want)
				}
			}
			if !strings.HasPrefix(all, "team/disk.yaml") {
				t.Fatalf("problem without file name: %s", all)
			}
		})
	}
}

func TestLoadDirOverridesAndDuplicates(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	override := strings.Replace(goodPlaybook, "id: disk-full", "id: redis-unreachable", 1)
	write("redis.yaml", override)
	write("disk.yaml", goodPlaybook)
	write("notes.txt", "not a playbook")
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	pb, _ := c.Get("redis-unreachable")
	if pb.Title != "Disk full" || len(c.Overrides) != 1 {
		t.Fatalf("override not applied: %+v %v", pb, c.Overrides)
	}
	if _, ok := c.Get("disk-full"); !ok {
		t.Fatal("team playbook missing")
	}

	write("disk2.yaml", goodPlaybook)
	_, err = Load(dir)
	if err == nil || !strings.Contains(err.Error(), "disk2.yaml:1: duplicate id \"disk-full\" (also in "+filepath.Join(dir, "disk.yaml")+":1)") {
		t.Fatalf("duplicate: %v", err)
	}
	os.Remove(filepath.Join(dir, "disk2.yaml"))
	write("rel.yaml", strings.Replace(goodPlaybook, "id: disk-full", "id: rel", 1)+"related: [no-such-playbook]\n")
	_, err = Load(dir)
	if err == nil || !strings.Contains(err.Error(), "rel.yaml:16: related playbook \"no-such-playbook\" does not exist") {
		t.Fatalf("related: %v", err)
	}
}
