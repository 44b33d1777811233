package postmortem

import (
	"strings"
	"testing"
	"time"

	"github.com/incident-bot/incident-bot/incidents"
)

// What an action reported reaches the draft as Markdown: a list, indented
// rows nested, code in a block — no Slack markup to undo.
func TestActionFindingsInMarkdown(t *testing.T) {
	at := time.Date(2026, 11, 20, 22, 55, 0, 0, time.UTC)
	inc := incidents.Incident{Number: 1, Title: "502s", DeclaredAt: at.Add(-time.Minute)}
	evs := []incidents.Event{
		{At: at, Actor: "U0BOB", Kind: incidents.EventActionStarted, Data: map[string]string{"run_id": "r1", "requested_by": "U0BOB"}},
		{At: at.Add(time.Second), Actor: "U0BOB", Kind: incidents.EventActionFinished, Data: map[string]string{"run_id": "r1", "target": "rds.status on main",
			"outcome": "ok", "summary": "available", "sections": `[{"title":"Instance ` + "`prod-db`" + ` <db>","rows":["CPU 93%","  since 22:40"],"code":["SELECT 1 WHERE a < b"]}]`}},
	}
	md := Assemble(inc, evs, nil, Options{}).Markdown()
	for _, want := range []string{"#### 22:55 rds.status on main", "Instance `prod-db` <db>", "- CPU 93%\n  - since 22:40", "```\nSELECT 1 WHERE a < b\n```"} {
		if !strings.Contains(md, want) {
			t.Errorf("draft lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "&lt;") {
		t.Errorf("Slack escaping in the Markdown:\n%s", md)
	}
}
