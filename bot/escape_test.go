package bot

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/slack-go/slack"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/alerting"
	"github.com/incident-bot/incident-bot/incidents/alerts"
	"github.com/incident-bot/incident-bot/incidents/postmortem"
)

// hostile is outside text that would ping, link or disguise a link if a
// renderer passed it through as Slack markup.
var hostile = []string{
	"<!channel> db down", "<!here|here>", "<!everyone>", "<!subteam^S0EVIL0001|@oncall>",
	"<@U0EVIL0001> look", "<@W0EVIL0001|boss>", "<#C0EVIL0001|general>",
	"<https://evil.example|click me>", "https://evil.example/|click me", "<mailto:x@evil.example|mail>",
	"a & b <c> &lt;d&gt;", "*bold* _it_ `code` ~strike~",
}

// rendered is what a message shows: its text and its blocks as Slack
// gets them.
func rendered(t *testing.T, text string, blocks []slack.Block) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(blocks); err != nil {
		t.Fatal(err)
	}
	return text + "\n" + buf.String()
}

// checkInert fails when any control sequence of the hostile text
// survived into out.
func checkInert(t *testing.T, where, out string) {
	t.Helper()
	// A link to the alert's own URL is fine (it shows the URL); a link
	// whose text is something else is a disguise.
	for _, bad := range []string{"<!channel", "<!here", "<!everyone", "<!subteam^S0EVIL", "<@U0EVIL", "<@W0EVIL", "<#C0EVIL", "<https://evil.example|", "<mailto:", "|click me>", "<c>"} {
		if strings.Contains(out, bad) {
			t.Errorf("%s renders outside text as markup (%q):\n%s", where, bad, out)
		}
	}
}

// Every renderer of the Slack side, fed the hostile strings wherever
// outside (or typed) text goes.
func TestNoRendererTurnsOutsideTextIntoMarkup(t *testing.T) {
	a := &performer{core: &core{render: Renderer{Location: time.UTC}}, announce: "C0ANNOUNCE1", botUser: "U0BOT00001"}
	for _, h := range hostile {
		inc := incidents.Incident{ID: uuid.New(), Number: 7, Title: h, Description: h, Summary: h, Severity: 2,
			Status: incidents.StatusResolved, Commander: "U0RITA0001", Reporter: "U0RITA0001", ChannelID: "C0INC00001",
			DeclaredAt: time.Now(), ResolvedAt: time.Now()}
		check := func(where, text string, blocks []slack.Block) { checkInert(t, where+" "+h, rendered(t, text, blocks)) }
		check("topic", a.render.Topic(inc), nil)
		text, blocks := a.render.Header(inc)
		check("header", text, blocks)
		check("announcement", a.render.Announcement(inc), nil)
		check("resolved announcement", a.render.ResolvedAnnouncement(inc), nil)
		check("list", a.render.List([]incidents.Incident{inc}, time.Now()), nil)
		ev := incidents.Event{ID: uuid.New(), At: time.Now(), Actor: "U0RITA0001", Text: h,
			Data: map[string]string{"note": h, "level": h, "group": h, "commander": h, "from": h, "to": h, "until": h, "after": h, "interval": h,
				"source": h, "title": h, "text": h, "links": h, "at": h, "target": h, "summary": h, "error": h, "error_code": h,
				"request_id": h, "duration": h, "outcome": "failed", "requested_by": h, "run_id": h, "preview": `{"Current":` + jsonString(h) + `,"Change":` + jsonString(h) + `}`}}
		check("summary", a.render.Summary(inc, time.Now(), []incidents.Event{ev}), nil)
		for _, kind := range []incidents.EventKind{incidents.EventStatusUpdate, incidents.EventMitigated, incidents.EventReopened, incidents.EventResolved,
			incidents.EventSeverityChanged, incidents.EventCommanderChanged, incidents.EventSnoozed, incidents.EventReminder, incidents.EventEscalated,
			incidents.EventAlert, incidents.EventActionPreviewed, incidents.EventActionFinished, "something_else"} {
			ev.Kind = kind
			for _, to := range []string{incidents.ToChannel, incidents.ToAnnounce} {
				text, blocks := a.renderPost(incidents.Effect{Event: ev, Data: map[string]string{"to": to}}, inc)
				check(string(kind)+" to "+to, text, blocks)
			}
		}
		ok := ev
		ok.Data = map[string]string{"outcome": "ok", "target": h, "summary": h, "request_id": h, "duration": h}
		check("action result", a.render.ActionResult(ok), nil)
		al := alerts.Alert{Source: h, Fingerprint: h, Title: h, Text: h, Links: []string{h}, Labels: map[string]string{h: h}, At: time.Now()}
		line := alerting.Line{Title: h, Source: h, At: time.Now()}
		card := alerting.Card{Key: h, First: alerting.Data(al), Since: time.Now(), Count: 3, Total: 2, Firing: 1, Latest: []alerting.Line{line, line}}
		text, blocks = a.render.TriageCard(card)
		check("triage card", text, blocks)
		card.Firing = 0
		text, blocks = a.render.TriageCard(card)
		check("settled triage card", text, blocks)
		check("alert intro", a.render.AlertIntro(alerting.Event(al, h)), nil)
		items := `[{"what":"joined","title":` + jsonString(h) + `,"source":` + jsonString(h) + `},{"what":"resolved","title":` + jsonString(h) + `}]`
		check("notice", a.render.Notice(alerting.ReadNotice(map[string]string{"items": items, "more": "2", "still_firing": "[" + jsonString(h) + "]", "still_firing_count": "3"})), nil)
		check("tell", a.render.Tell(h), nil)
		change := postmortem.Change{At: time.Now(), Who: h, What: h, Agent: h, Failed: h, Link: h}
		check("changes", a.render.Changes([]postmortem.Change{change}, time.Now().Add(-time.Hour), time.Now(), "U0RITA0001", h), nil)
		for _, kind := range []string{"monitor", "dismissed", "declared", "joined", "action_cancelled", "action_running", "action_done", ""} {
			check("settled "+kind, a.render.Settled(incidents.Effect{Data: map[string]string{"settle": kind, "by": h, "target": h,
				"incident": h, "incident_channel": h, "summary": h, "error_code": h, "text": h, "at": h}}), nil)
		}
		ack, _ := slashAck(slack.SlashCommand{Text: "start sev1 " + Escape(h)})
		raw, _ := json.Marshal(ack)
		check("declaring acknowledgement", string(raw), nil)
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// What people type reaches the domain as plain text: Slack's escaping
// and control sequences are undone, so it reads as typed.
func TestPlainText(t *testing.T) {
	for in, want := range map[string]string{
		"p99 &gt; 2s &amp; rising &lt;db&gt;":      "p99 > 2s & rising <db>",
		"ask <@U0BOB00001|bob> and <@U0RITA0001>":  "ask @bob and @U0RITA0001",
		"see <#C0GEN0001|general>":                 "see #general",
		"<!here> <!subteam^S0ON|@oncall>":          "@here @oncall",
		"docs <https://example.org/x|runbook> now": "docs runbook (https://example.org/x) now",
		"<https://example.org>":                    "https://example.org",
		"<mailto:a@example.org|a@example.org>":     "a@example.org",
		"no markup":                                "no markup",
	} {
		if got := PlainText(in); got != want {
			t.Errorf("PlainText(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzPlainText: whatever a person types, the plain text is valid UTF-8
// when the input is, bounded in size, and once escaped for Slack it
// carries no control sequence at all.
func FuzzPlainText(f *testing.F) {
	for _, s := range append(hostile, "<@U1|rita> &amp; <#C1|ops>", "<<|>>", "<!date^1|x>", "&lt;&gt;&amp;") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := PlainText(s)
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("PlainText(%q) = %q is not valid UTF-8", s, got)
		}
		if len(got) > 2*len(s)+8 {
			t.Fatalf("PlainText(%q) grew to %d bytes", s, len(got))
		}
		if strings.ContainsAny(Escape(got), "<>") {
			t.Fatalf("Escape(PlainText(%q)) = %q keeps markup", s, Escape(got))
		}
	})
}
