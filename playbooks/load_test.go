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
review_by: 2027-01-31
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
	if pb.ID != "disk-full" || pb.ReviewBy.Format("2006-01-02") != "2027-01-31" || pb.Checks[0].Action != "rds.status" {
		t.Fatalf("parsed = %+v", pb)
	}
}

// Each bad file is rejected with the file, the line and a precise message.
func TestParseRejects(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       string // "line: message substring"
	}{
		{"unknown field", strings.Replace(goodPlaybook, "owner: platform", "owner: platform\nseverity: high", 1), "4: field severity not found"},
		{"typo in nested field", strings.Replace(goodPlaybook, "    section: disks", "    sectoin: disks", 1), "7: field sectoin not found"},
		{"bad date", strings.Replace(goodPlaybook, "2027-01-31", "next year", 1), "4: review_by \"next year\" is not a date"},
		{"bad date hides nothing", strings.Replace(strings.Replace(goodPlaybook, "2027-01-31", "soon", 1), "owner: platform", "owner: platform\nowners: [x]", 1), "4: field owners not found"},
		{"missing title", strings.Replace(goodPlaybook, "title: Disk full\n", "", 1), "1: missing required field title"},
		{"missing owner", strings.Replace(goodPlaybook, "owner: platform\n", "", 1), "1: missing required field owner"},
		{"missing checks", strings.Split(goodPlaybook, "checks:")[0], "1: missing required field checks"},
		{"bad id", strings.Replace(goodPlaybook, "id: disk-full", "id: Disk Full", 1), "1: id \"Disk Full\" must be lowercase"},
		{"long title", strings.Replace(goodPlaybook, "title: Disk full", "title: "+strings.Repeat("x", 80), 1), "2: title is 80 characters"},
		{"unknown action", strings.Replace(goodPlaybook, "  - action: rds.status", "  - action: rds.explode", 1), "14: unknown action \"rds.explode\" (known: acm.listener_certs"},
		{"check action not listed", strings.Replace(goodPlaybook, "    action: rds.status\n", "    action: rds.reboot\n", 1), "12: check 1 uses action \"rds.reboot\", which is not listed"},
		{"bad param type", strings.Replace(goodPlaybook, "{database: main}", "{database: 42}", 1), "15: parameter database of rds.status must be a non-empty string"},
		{"unknown param", strings.Replace(goodPlaybook, "{database: main}", "{database: main, force: true}", 1), "15: action rds.status has no parameter \"force\""},
		{"missing param", strings.Replace(goodPlaybook, "{database: main}", "{}", 1), "14: action rds.status needs parameter database"},
		{"wrong type for list", strings.Replace(goodPlaybook, "terms: [disk, storage]", "terms: disk", 1), "9: cannot unmarshal"},
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
			if !strings.Contains("\n"+all, "\nteam/disk.yaml:"+tt.want) {
				t.Fatalf("problems:\n%s\nwant a line starting %q", all, "team/disk.yaml:"+tt.want)
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
