package bot

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/internal/txt"
	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// ConfirmAction renders a recorded preview with Confirm and Cancel.
func (r Renderer) ConfirmAction(ev incidents.Event, dryRun bool) (string, []slack.Block) {
	var pv actions.Preview
	_ = json.Unmarshal([]byte(ev.Data["preview"]), &pv) // recorded by preview; an unreadable one is refused at Confirm
	head := fmt.Sprintf(":warning: %s wants to run *%s*", mention(ev.Data["requested_by"]), Escape(ev.Data["target"]))
	if dryRun {
		head += " _(dry run: nothing will change)_"
	}
	body := "*Now:* " + Escape(pv.Current) + "\n*Change:* " + Escape(pv.Change)
	if pv.Undo != "" {
		body += "\n*Undo:* " + Escape(pv.Undo)
	}
	runID := ev.Data["run_id"]
	return head + "\n" + body, []slack.Block{
		slack.NewSectionBlock(mrkdwn(txt.Clip(head, 3000)), nil, nil),
		slack.NewSectionBlock(mrkdwn(txt.Clip(body, 3000)), nil, nil),
		slack.NewActionBlock("action_confirm_"+blockSafe(runID),
			slack.NewButtonBlockElement(ActionConfirmRun, runID, plain("Confirm")).WithStyle(slack.StyleDanger),
			slack.NewButtonBlockElement(ActionCancelRun, runID, plain("Cancel"))),
		slack.NewContextBlock("", mrkdwn("Only an approver may confirm. It runs once.")),
	}
}

// ActionResult renders a recorded outcome for the card's thread, the
// action's findings drawn for Slack.
func (r Renderer) ActionResult(ev incidents.Event) string {
	d := ev.Data
	target := Escape(d["target"])
	if d["outcome"] != "ok" {
		text := fmt.Sprintf(":x: *%s* failed: `%s` %s", target, Escape(d["error_code"]), Escape(txt.Clip(d["error"], 1500)))
		if d["changed"] == "true" {
			text += "\n_Something was changed before it failed (" + Escape(d["request_id"]) + "); check the state._"
		}
		return text
	}
	text := fmt.Sprintf(":white_check_mark: *%s*: %s", target, Escape(d["summary"]))
	switch {
	case d["sections"] != "":
		text += "\n" + findings(actions.DecodeSections(d["sections"]), 2500)
	case d["details"] != "":
		// Recorded before findings were plain text: already mrkdwn.
		text += "\n" + txt.Clip(d["details"], 2500)
	}
	if id := d["request_id"]; id != "" {
		text += "\n_" + Escape(id) + " · " + Escape(d["duration"]) + "_"
	}
	return text
}

// Settled is what a settled message (a triage card, an action's
// confirmation) says instead of its buttons.
func (r Renderer) Settled(e incidents.Effect) string {
	d := e.Data
	at := r.clock(d["at"])
	switch d["settle"] {
	case "monitor":
		return fmt.Sprintf(":eyes: Monitoring — %s at %s", mention(d["by"]), at)
	case "dismissed":
		return fmt.Sprintf(":no_entry_sign: Dismissed as a false positive by %s at %s", mention(d["by"]), at)
	case "declared":
		return fmt.Sprintf(":rotating_light: Declared as incident %s by %s", Escape(d["incident"]), mention(d["by"]))
	case "joined":
		return fmt.Sprintf(":link: Already part of incident %s (%s)", Escape(d["incident"]), channelLink(d["incident_channel"]))
	case "action_cancelled":
		return fmt.Sprintf(":heavy_multiplication_x: %s cancelled *%s*. Nothing was changed.", mention(d["by"]), Escape(d["target"]))
	case "action_running":
		return fmt.Sprintf(":hourglass_flowing_sand: %s confirmed *%s* — running…", mention(d["by"]), Escape(d["target"]))
	case "action_done":
		outcome := ":white_check_mark: " + Escape(txt.Clip(d["summary"], 200))
		if d["outcome"] != "ok" {
			outcome = ":x: failed: `" + Escape(d["error_code"]) + "`"
		}
		return fmt.Sprintf("%s confirmed *%s*: %s", mention(d["by"]), Escape(d["target"]), outcome)
	}
	return Escape(d["text"])
}

func (r Renderer) clock(rfc3339 string) string {
	t, err := time.Parse(time.RFC3339, rfc3339)
	if err != nil {
		return ""
	}
	return t.In(r.Location).Format("15:04")
}

// blockSafe keeps the first characters of a run ID fit for a block ID.
func blockSafe(id string) string {
	out := make([]rune, 0, 8)
	for _, r := range id {
		if len(out) == 8 {
			break
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			out = append(out, r)
		}
	}
	return string(out)
}

var channelID = regexp.MustCompile(`^[CG][A-Z0-9]{2,30}$`)

// channelLink links a channel ID; anything else is text.
func channelLink(id string) string {
	if channelID.MatchString(id) {
		return "<#" + id + ">"
	}
	return "no channel"
}

// findings draws an action's findings in mrkdwn, everything escaped: a
// title per line, rows as bullets (an indented row under the one above),
// code as a block; cut at max characters.
func findings(ss []actions.Section, max int) string {
	var b strings.Builder
	for _, s := range ss {
		if s.Title != "" {
			b.WriteString(Escape(s.Title) + "\n")
		}
		for _, r := range s.Rows {
			if t := strings.TrimLeft(r, " "); t != r {
				b.WriteString("    " + Escape(t) + "\n")
			} else {
				b.WriteString("• " + Escape(r) + "\n")
			}
		}
		if len(s.Code) > 0 {
			fence := "```"
			b.WriteString(fence + "\n" + Escape(strings.ReplaceAll(strings.Join(s.Code, "\n"), fence, "'''")) + "\n" + fence + "\n")
		}
	}
	out := strings.TrimRight(b.String(), "\n")
	if len([]rune(out)) > max {
		// A cut inside a code block would leave it open.
		out = txt.Clip(out, max)
		if strings.Count(out, "```")%2 == 1 {
			out += "\n```"
		}
	}
	return out
}
