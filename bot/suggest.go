package bot

import (
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/incident-bot/incident-bot/internal/txt"
	"github.com/incident-bot/incident-bot/playbooks"
)

// Suggestions renders the closest playbooks when none fits confidently:
// why none was chosen, the few that came close with what they matched,
// and a select to open one (they first, then the whole catalog). The
// choice turns this message into the chosen playbook's card.
func (r Renderer) Suggestions(sugg []playbooks.Result, doubt string, all []*playbooks.Playbook) (string, []slack.Block) {
	var b strings.Builder
	b.WriteString(":mag: *No runbook clearly fits this incident*")
	if doubt != "" {
		fmt.Fprintf(&b, " (%s)", Escape(txt.Clip(doubt, 200)))
	}
	b.WriteString(". The closest:")
	ids := make([]string, len(sugg))
	for i, s := range sugg {
		ids[i] = s.Playbook.ID
		fmt.Fprintf(&b, "\n• *%s* (`%s`)", Escape(txt.Clip(s.Playbook.Title, 140)), s.Playbook.ID)
		if len(s.Reasons) > 0 {
			fmt.Fprintf(&b, " — %s", Escape(txt.Clip(strings.Join(s.Reasons, ", "), 300)))
		}
	}
	blocks := []slack.Block{slack.NewSectionBlock(mrkdwn(txt.Clip(b.String(), 3000)), nil, nil)}
	if opts := switchOptions(Card{Candidates: ids, All: all}); len(opts) > 0 {
		sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Open a runbook…"), ActionSwitchRunbook, opts...)
		blocks = append(blocks, slack.NewActionBlock("runbook_suggest", sel))
	}
	return "No runbook clearly fits; the closest: " + strings.Join(ids, ", "), blocks
}
