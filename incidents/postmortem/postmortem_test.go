package postmortem

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/incident-bot/incident-bot/incidents"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var t0 = time.Date(2026, 11, 20, 22, 50, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

// realistic is an incident that ran past midnight: declared, updated,
// reminded, escalated, an action run, mitigated and resolved, with a
// channel of threads, an edit, a join, the bot's own messages, a pinned
// message, a key-emoji reaction, a file and two action items.
func realistic() (incidents.Incident, []incidents.Event, *Channel) {
	id := uuid.MustParse("11111111-1111-1111-1111-111111111111")
	inc := incidents.Incident{ID: id, Number: 12, Title: "Users see 502 errors", Description: "Checkout and login return 502 for most users.",
		Severity: 1, Status: incidents.StatusResolved, Commander: "U0BOB", Reporter: "U0RITA",
		DeclaredAt: at(0), MitigatedAt: at(70 * time.Minute), ResolvedAt: at(95 * time.Minute), Summary: "Rolled back web to v41."}
	ev := func(d time.Duration, actor string, kind incidents.EventKind, text string, data map[string]string) incidents.Event {
		return incidents.Event{ID: uuid.New(), IncidentID: id, At: at(d), Actor: actor, Kind: kind, Text: text, Data: data}
	}
	events := []incidents.Event{
		ev(0, "U0RITA", incidents.EventDeclared, "Declared SEV1: Users see 502 errors", nil),
		ev(0, "bot", incidents.EventChannelCreated, "Channel #inc created", nil),
		ev(time.Minute, "bot", incidents.EventRunbookPosted, "Runbook posted: Service outage", nil),
		ev(5*time.Minute, "U0RITA", incidents.EventCommanderChanged, "Commander changed", map[string]string{"from": "U0RITA", "to": "U0BOB"}),
		ev(8*time.Minute, "U0BOB", incidents.EventStatusUpdate, "Looking at ECS: tasks crash-looping since the 22:40 deploy", nil),
		ev(23*time.Minute, "bot", incidents.EventReminder, "Reminder: no status update for 15m", nil),
		ev(30*time.Minute, "bot", incidents.EventEscalated, "Escalated (level 1): not resolved 30m after it was declared", nil),
		ev(61*time.Minute, "U0BOB", "action_previewed", "asked", map[string]string{"run_id": "r1"}),
		ev(62*time.Minute, "U0BOB", "action_started", "confirmed", map[string]string{"run_id": "r1", "requested_by": "U0BOB", "confirmed_by": "U0CAROL"}),
		ev(63*time.Minute, "U0BOB", "action_finished", "Roll back", map[string]string{"run_id": "r1", "target": "Roll back task definition on web", "outcome": "ok", "summary": "web rolled back to rev 41", "request_id": "req-123", "duration": "2.1s"}),
		ev(70*time.Minute, "U0BOB", incidents.EventMitigated, "Mitigated: error rate back to normal", nil),
		ev(95*time.Minute, "U0BOB", incidents.EventResolved, "Resolved: Rolled back web to v41.", nil),
	}
	msg := func(d time.Duration, user, text string) Message {
		ts := at(d)
		return Message{TS: tsOf(ts), At: ts, User: user, Text: text}
	}
	parent := msg(9*time.Minute, "U0CAROL", "was there a deploy tonight?")
	reply := msg(10*time.Minute, "U0BOB", "yes, web v42 at 22:40")
	reply.ThreadTS = parent.TS
	parent.ThreadTS = parent.TS
	edited := msg(12*time.Minute, "U0CAROL", "v42 changed the DB pool size &amp; the health check path")
	edited.Edited = true
	pinned := msg(58*time.Minute, "U0BOB", "Decision: roll back to v41 <@U0CAROL> please confirm")
	pinned.Pinned = true
	keyed := msg(72*time.Minute, "U0CAROL", "Errors gone on the dashboard")
	keyed.Reactions = []Reaction{{Name: "key", Users: []string{"U0BOB"}}}
	file := msg(74*time.Minute, "U0BOB", "graph attached")
	file.Files = []File{{Name: "errors.png", URL: "https://acme.slack.com/files/U0BOB/F1/errors.png"}}
	join := msg(2*time.Minute, "U0DAVE", "<@U0DAVE> has joined the channel")
	join.Subtype = "channel_join"
	botMsg := msg(23*time.Minute, "U0INCBOT", ":alarm_clock: <@U0BOB> no status update for 15m")
	botMsg.BotID = "B0INCBOT"
	ch := &Channel{ID: "C1", Name: "inc-20261120-users-see-502-errors",
		Messages: []Message{join, parent, reply, edited, botMsg, pinned, keyed, file,
			msg(80*time.Minute, "U0BOB", "action: add a canary stage before prod deploys <@U0CAROL>"),
			msg(81*time.Minute, "U0CAROL", "TODO: alert on crash-looping tasks")},
		Users:      map[string]string{"U0RITA": "Rita", "U0BOB": "Bob", "U0CAROL": "Carol", "U0DAVE": "Dave", "U0INCBOT": "incident-bot"},
		BotUserIDs: []string{"U0INCBOT"},
	}
	return inc, events, ch
}

// tsOf writes a time as a Slack ts (seconds.microseconds).
func tsOf(t time.Time) string { return fmt.Sprintf("%d.%06d", t.Unix(), t.Nanosecond()/1000) }

func TestDraftGolden(t *testing.T) {
	inc, events, ch := realistic()
	london, _ := time.LoadLocation("Europe/London")
	d := Assemble(inc, events, ch, Options{Location: london, LikelyCauses: []string{"Crash loops due to bad deployment or config"}, Runbook: "Service outage"})
	got := d.Markdown()
	golden := "testdata/draft.golden.md"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Fatalf("draft differs from %s (run with -update after checking):\n%s", golden, got)
	}
}

// The parts of the draft people rely on, asserted directly as well, so a
// careless -update cannot bless a broken draft.
func TestDraftContent(t *testing.T) {
	inc, events, ch := realistic()
	d := Assemble(inc, events, ch, Options{})
	md := d.Markdown()
	for _, want := range []string{
		"**Status:** Draft", "**Authors:** Bob, Carol, Rita", // Dave only joined; the bot is not an author
		"## Non-technical Description", "## Trigger", "## Detection", "## Resolution\n\nRolled back web to v41.",
		"| Time to mitigate | 1h10m after the declaration |", "| Time to resolve | 1h35m after the declaration |", "| Status updates | 1 |", "| Escalations | 1 |",
		"2026-11-20 22:50 - **Declared SEV1: Users see 502 errors (Rita)**", // multi-day: dates shown
		"  - 2026-11-20 23:00 - Bob: yes, web v42 at 22:40",                 // a reply, indented
		"v42 changed the DB pool size & the health check path _(edited)_",
		"- 2026-11-20 22:59 - Carol: was there a deploy tonight?\n  - 2026-11-20 23:00 - Bob: yes, web v42 at 22:40\n",
		"**Bob: Decision: roll back to v41 @Carol please confirm**", // pinned
		"**Carol: Errors gone on the dashboard**",                   // key emoji
		"[file: errors.png](https://acme.slack.com/files/U0BOB/F1/errors.png)",
		"| 23:52 | Bob (confirmed by Carol) | Roll back task definition on web | ok | web rolled back to rev 41 · req-123 · 2.1s |",
		"- Why did Users see 502 errors happen?", "| add a canary stage before prod deploys @Carol | Carol |", "| alert on crash-looping tasks | Carol |",
		"_Left out of the timeline: 1 joins and leaves, 1 the incident bot's own messages, 1 update reminders and snoozes._",
		// The bot's escalation at 23:20 is not activity: the silence runs 23:02 → 23:48.
		"??:?? - 46m with nothing recorded from people: what happened?",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("draft lacks %q", want)
		}
	}
	if strings.Contains(md, "alarm_clock") || strings.Contains(md, "Reminder:") || strings.Contains(md, "has joined the channel") {
		t.Error("bot reminder or join narrated")
	}
}

// A late reply goes under its own parent, not under whatever came before
// it in time; Slack links become Markdown; raw HTML stays escaped.
func TestThreadsLinksAndEscaping(t *testing.T) {
	inc, events, ch := realistic()
	late := Message{TS: tsOf(at(85 * time.Minute)), At: at(85 * time.Minute), User: "U0BOB", ThreadTS: ch.Messages[1].TS,
		Text: "late answer, see <https://grafana.example/d/1|the dashboard> and <#C9|ops> &lt;script&gt;"}
	ch.Messages = append(ch.Messages, late)
	md := Assemble(inc, events, ch, Options{}).Markdown()
	want := "  - 2026-11-20 23:00 - Bob: yes, web v42 at 22:40\n  - 2026-11-21 00:15 - Bob: late answer, see [the dashboard](https://grafana.example/d/1) and #ops &lt;script&gt;\n"
	if !strings.Contains(md, want) {
		t.Fatalf("late reply not under its parent, or links/escaping wrong:\n%s", md)
	}
}

func TestPeopleListsEveryoneNamed(t *testing.T) {
	inc, events, ch := realistic()
	got := strings.Join(People(inc, events, ch.Messages), ",")
	for _, id := range []string{"U0RITA", "U0BOB", "U0CAROL", "U0DAVE"} {
		if !strings.Contains(got, id) {
			t.Errorf("People lacks %s: %s", id, got)
		}
	}
}

// An incident opened from an alert says when monitoring knew.
func TestDetectionFromAlerts(t *testing.T) {
	inc, evs, ch := realistic()
	alertAt := inc.DeclaredAt.Add(-6 * time.Minute)
	evs = append(evs, incidents.Event{ID: uuid.New(), IncidentID: inc.ID, At: inc.DeclaredAt.Add(time.Minute), Actor: incidents.ActorBot,
		Kind: incidents.EventAlert, Text: "Opened from alert: web 5xx above 5% (cloudwatch)",
		Data: map[string]string{"source": "cloudwatch", "status": "firing", "at": alertAt.Format(time.RFC3339)}})
	d := Assemble(inc, evs, ch, Options{Location: time.UTC})
	if !strings.Contains(d.Detection, alertAt.Format("15:04")+" UTC (cloudwatch: web 5xx above 5%);") {
		t.Errorf("Detection = %q", d.Detection)
	}
	if got := d.Figures[0][1]; !strings.HasPrefix(got, "??? (the start of impact is not recorded") {
		t.Errorf("Time to detect = %q", got)
	}
	if got := figure(d, "Time to declare"); got != "6m (from the first alert at 22:44 to the declaration at 22:50)" {
		t.Errorf("Time to declare = %q", got)
	}
	d = Assemble(inc, evs[:len(evs)-1], ch, Options{Location: time.UTC})
	if !strings.HasPrefix(d.Figures[0][1], "???") || !strings.HasPrefix(d.Detection, "Declared by") {
		t.Errorf("without alerts: %q / %q", d.Detection, d.Figures[0][1])
	}
}

// figure is the value of the draft's figure called label, "" when absent.
func figure(d Draft, label string) string {
	for _, f := range d.Figures {
		if f[0] == label {
			return f[1]
		}
	}
	return ""
}

// Changes CloudTrail recorded go in the timeline, fill the silence they
// explain, become the trigger when they came first, and start the whys.
func TestChangesInTheDraft(t *testing.T) {
	inc, evs, ch := realistic()
	at := inc.DeclaredAt.Add(35 * time.Minute) // inside the 46m silence (23:02–23:48)
	before := inc.DeclaredAt.Add(-10 * time.Minute)
	d := Assemble(inc, evs, ch, Options{Location: time.UTC, Changes: []Change{
		{At: before, Who: "terraform-ci", Agent: "Terraform 1.9.8", What: "UpdateService on web"},
		{At: at, Who: "rita", Console: true, What: "PutBucketPolicy on media"},
	}})
	md := d.Markdown()
	for _, want := range []string{
		"AWS change in the console: PutBucketPolicy on media by rita",
		"the first change recorded before it began: AWS change from Terraform 1.9.8: UpdateService on web by terraform-ci",
		"changes recorded in the window, a place to start: PutBucketPolicy on media by rita (console); UpdateService on web by terraform-ci",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("draft lacks %q", want)
		}
	}
	if strings.Contains(md, "46m with nothing recorded") {
		t.Error("the silence the change explains is still a gap")
	}
}

// Time to acknowledge is the recorded acknowledgement and who made it;
// incidents from before it was recorded fall back to the first update.
func TestTimeToAcknowledge(t *testing.T) {
	inc, events, ch := realistic()
	for _, c := range []struct {
		at   time.Duration
		by   string
		want string
	}{
		{12 * time.Minute, "PagerDuty: Rita Oncall", "| Time to acknowledge | 12m after the declaration (PagerDuty: Rita Oncall) |"},
		{7 * time.Minute, "U0CAROL", "| Time to acknowledge | 7m after the declaration (Carol) |"},
		{0, "U0RITA", "| Time to acknowledge | at the declaration (declared by a person) |"},
	} {
		inc.AcknowledgedAt, inc.AcknowledgedBy = inc.DeclaredAt.Add(c.at), c.by
		if md := Assemble(inc, events, ch, Options{}).Markdown(); !strings.Contains(md, c.want) {
			t.Errorf("draft lacks %q", c.want)
		}
	}
	inc.AcknowledgedAt = time.Time{}
	if md := Assemble(inc, events, ch, Options{}).Markdown(); !strings.Contains(md, "| Time to acknowledge (first status update) |") {
		t.Error("an incident without a recorded acknowledgement does not fall back to the first update")
	}
}
