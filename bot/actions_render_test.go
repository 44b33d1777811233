package bot

import (
	"strings"
	"testing"

	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// An action's findings are plain text; drawn for Slack they are escaped
// once, rows as bullets, indented rows under them, code in a block that
// a long result cannot leave open.
func TestFindingsForSlack(t *testing.T) {
	ss := []actions.Section{{Title: "Web ACL `edge` <prod>", Rows: []string{"rule `rate-limit`: 12 blocked", "    e.g. GET /login?a=1&b=<x>"},
		Code: []string{"SELECT 1 WHERE a < b", "```"}}}
	got := findings(ss, 2500)
	want := "Web ACL `edge` &lt;prod&gt;\n• rule `rate-limit`: 12 blocked\n    e.g. GET /login?a=1&amp;b=&lt;x&gt;\n```\nSELECT 1 WHERE a &lt; b\n'''\n```"
	if got != want {
		t.Errorf("findings =\n%s\nwant\n%s", got, want)
	}
	long := []actions.Section{{Code: []string{strings.Repeat("x", 3000)}}}
	if got := findings(long, 100); strings.Count(got, "```")%2 != 0 || len([]rune(got)) > 104 {
		t.Errorf("a cut result = %q: code block left open or too long", got)
	}
}
