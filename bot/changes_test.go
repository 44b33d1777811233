package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/incident-bot/incident-bot/incidents/postmortem"
)

func TestParseChangesWindow(t *testing.T) {
	for _, tc := range []struct {
		in    string
		want  time.Duration
		reply string
	}{
		{"changes", 2 * time.Hour, ""},
		{"changes 30m", 30 * time.Minute, ""},
		{"changes 6H", 6 * time.Hour, ""},
		{"changes 1h30m", 90 * time.Minute, ""},
		{"changes 3d", 72 * time.Hour, ""},
		{"cloudtrail 72h", 72 * time.Hour, ""},
		{"changes 73h", 0, "at most `72h`"},
		{"changes 4d", 0, "at most `72h`"},
		{"changes 99999999999999999999d", 0, "is not a time span"},
		{"changes 6", 0, "`6` is not a time span: write it like `30m`"},
		{"changes yesterday", 0, "is not a time span"},
		{"changes 30s", 0, "at least `1m`"},
		{"changes -2h", 0, "at least `1m`"},
	} {
		p := Parse(tc.in)
		switch {
		case tc.reply != "" && (!strings.Contains(p.Reply, tc.reply) || !strings.Contains(p.Reply, "Usage: `/incident changes")):
			t.Errorf("Parse(%q) reply %q, want one containing %q and the usage", tc.in, p.Reply, tc.reply)
		case tc.reply == "" && (p.Reply != "" || p.Command.Verb != VerbChanges || p.Command.Window != tc.want):
			t.Errorf("Parse(%q) = %+v, want changes over %v", tc.in, p, tc.want)
		}
	}
	ack, work := slashAck(slack.SlashCommand{Text: "changes 90m"})
	if a, ok := ack.(ephemeralAck); !ok || !work || !strings.Contains(a.Text, "Reading CloudTrail for the changes of the last 1h30m") {
		t.Errorf("ack %+v, work %v", ack, work)
	}
	if !strings.Contains(HelpText(), "/incident changes [2h]") {
		t.Error("help does not list /incident changes")
	}
}

// The list in the channel: newest first, each row what, who, how and a
// link to the event; names escaped; the rest counted; what could not be
// read said.
func TestRenderChanges(t *testing.T) {
	loc, _ := time.LoadLocation("Europe/London")
	r := Renderer{Location: loc}
	to := time.Date(2026, 7, 6, 11, 0, 0, 0, time.UTC)
	from := to.Add(-2 * time.Hour)
	cs := []postmortem.Change{
		{At: to.Add(-90 * time.Minute), Who: "GitHubActions (role terraform-ci)", Agent: "Terraform 1.9.8", What: "UpdateDistribution on E2FAKEDIST0001"},
		{At: to.Add(-40 * time.Minute), Who: "rita (role OpsAdmin)", Console: true, What: "PutBucketPolicy on <site> & co", Failed: "AccessDenied: no",
			Link: "https://eu-west-2.console.aws.amazon.com/cloudtrailv2/home?region=eu-west-2#/events/abc-1"},
		{At: to.Add(-10 * time.Minute), Who: "sam", What: "UpdateService on web"},
	}
	got := r.Changes(cs, from, to, "U0RITA0001", "")
	want := ":mag: *AWS changes in the last 2h* (10:00–12:00, newest first), asked by <@U0RITA0001>: 3, 1 in the console.\n" +
		"• `11:50` UpdateService on web — sam, by an API call\n" +
		"• `11:20` PutBucketPolicy on &lt;site&gt; &amp; co — rita (role OpsAdmin), *in the console* — _failed: AccessDenied: no_ — <https://eu-west-2.console.aws.amazon.com/cloudtrailv2/home?region=eu-west-2#/events/abc-1|event>\n" +
		"• `10:30` UpdateDistribution on E2FAKEDIST0001 — GitHubActions (role terraform-ci), from Terraform 1.9.8"
	if got != want {
		t.Errorf("rendered:\n%s\nwant:\n%s", got, want)
	}

	none := r.Changes(nil, from, to, "U0RITA0001", "AccessDenied in account 210987654321")
	if !strings.HasPrefix(none, ":mag: No AWS changes in the last 2h (10:00–12:00)") || !strings.Contains(none, ":warning: Not everything could be read: AccessDenied") {
		t.Errorf("no changes: %s", none)
	}

	// Across midnight the day is shown; past the row limit the rest are counted.
	many := make([]postmortem.Change, maxChangeRows+5)
	for i := range many {
		many[i] = postmortem.Change{At: to.Add(-time.Duration(len(many)-i) * time.Minute), Who: "bot", What: "PutObjectAcl"}
	}
	long := r.Changes(many, to.Add(-72*time.Hour), to, "U0RITA0001", "")
	if !strings.Contains(long, "(Fri 12:00–Mon 12:00, newest first)") || !strings.Contains(long, "• `Mon 11:59` PutObjectAcl") ||
		!strings.HasSuffix(long, "…and 5 older ones not shown (CloudTrail's event history has them all).") {
		t.Errorf("a long list:\n%s", long)
	}
}
