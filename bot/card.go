package bot

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/incident-bot/incident-bot/internal/txt"
	"github.com/incident-bot/incident-bot/playbooks"
	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// Action IDs on runbook cards. A check's checkbox is
// "runbook_check:<playbook>:<index>" (an unticked box sends no value, so
// the ID must say which playbook it belongs to); an action button carries
// "<playbook>|<action>" as its value.
const (
	ActionCheckPrefix   = "runbook_check:"
	ActionRunPrefix     = "runbook_action:"
	ActionSwitchRunbook = "runbook_switch"
)

// maxSwitchOptions bounds the "different runbook" select (Slack allows 100).
const maxSwitchOptions = 100

// Card is everything a runbook card shows.
type Card struct {
	Playbook   *playbooks.Playbook
	Why        string                // "matched: …" or "chosen by <@U>"
	Done       map[int]bool          // checklist items ticked
	Candidates []string              // other playbook IDs to offer first in the select
	All        []*playbooks.Playbook // the catalog, for the rest of the select
	Now        time.Time
	Static     bool // ephemeral copy: no checkboxes or buttons
	// Version changes with every redraw; it goes into block IDs so Slack
	// clients reset the select and boxes instead of keeping old state.
	Version int
}

// RunbookCard renders a playbook as a Block Kit message: title, likely
// cause, symptoms, cautions, the checklist with a checkbox per step, the
// action buttons (mutating ones red and confirmed), a select for a
// different runbook, and where it came from.
func (r Renderer) RunbookCard(c Card) (string, []slack.Block) {
	pb := c.Playbook
	title := "Runbook: " + pb.Title
	blocks := []slack.Block{slack.NewHeaderBlock(plain(":blue_book: " + txt.Clip(pb.Title, 140)))}
	// Playbook text is the team's, not Slack markup: escape it, so
	// "pg_terminate_backend(<blocking_pid>)" stays text and "<!channel>"
	// pages nobody.
	ctx := []slack.MixedElement{}
	if c.Why != "" {
		ctx = append(ctx, mrkdwn(txt.Clip(c.Why, 1900)))
	}
	if pb.Overdue(c.Now) {
		ctx = append(ctx, mrkdwn(fmt.Sprintf(":warning: *Review overdue* since %s (%s; owner: %s) — steps may be out of date",
			pb.ReviewDue().Format(time.DateOnly), txt.Clip(Escape(pb.ReviewBasis()), 200), txt.Clip(Escape(pb.Owner), 100))))
	}
	if len(ctx) > 0 {
		blocks = append(blocks, slack.NewContextBlock("runbook_why", ctx...))
	}
	if len(pb.Causes) > 0 {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(txt.Clip("*Likely cause*\n"+bullets(pb.Causes), 3000)), nil, nil))
	}
	if sym := symptoms(pb.Symptoms); sym != "" {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(txt.Clip(sym, 3000)), nil, nil))
	}
	if len(pb.Warnings) > 0 {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(txt.Clip(":warning: *Caution*\n"+bullets(pb.Warnings), 3000)), nil, nil))
	}
	blocks = append(blocks, slack.NewDividerBlock(), slack.NewSectionBlock(mrkdwn("*Checklist*"), nil, nil))
	for i, chk := range pb.Checks {
		text := fmt.Sprintf("*%d.* %s", i+1, Escape(chk.Text))
		if spec, ok := actions.Lookup(chk.Action); ok {
			text += fmt.Sprintf("  _(button: %s)_", spec.Title)
		}
		var acc *slack.Accessory
		if !c.Static {
			acc = slack.NewAccessory(r.checkbox(pb.ID, i, c.Done[i]))
		} else if c.Done[i] {
			text = ":white_check_mark: " + text
		}
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(txt.Clip(text, 3000)), nil, acc))
	}
	if !c.Static {
		if els := r.cardControls(c); len(els) > 0 {
			blocks = append(blocks, slack.NewActionBlock(fmt.Sprintf("runbook_actions_v%d", c.Version), els...))
		}
	}
	blocks = append(blocks, slack.NewContextBlock("runbook_source", mrkdwn(txt.Clip(sourceLine(pb, c.All), 1900))))
	return title, blocks
}

func (r Renderer) checkbox(pbID string, i int, done bool) *slack.CheckboxGroupsBlockElement {
	opt := slack.NewOptionBlockObject(pbID+"|"+strconv.Itoa(i), mrkdwn("Done"), nil)
	cb := slack.NewCheckboxGroupsBlockElement(CheckActionID(pbID, i), opt)
	if done {
		cb.InitialOptions = []*slack.OptionBlockObject{opt}
	}
	return cb
}

// cardControls are the action buttons and the "different runbook" select.
func (r Renderer) cardControls(c Card) []slack.BlockElement {
	pb := c.Playbook
	var els []slack.BlockElement
	for i, a := range pb.Actions {
		spec, ok := actions.Lookup(a.Action)
		if !ok || len(els) >= 20 {
			continue
		}
		btn := slack.NewButtonBlockElement(ActionRunPrefix+strconv.Itoa(i), pb.ID+"|"+a.Action, plain(txt.Clip(spec.Title, 75)))
		if spec.Mutates {
			btn = btn.WithStyle(slack.StyleDanger).WithConfirm(slack.NewConfirmationBlockObject(
				plain("Run "+txt.Clip(spec.Title, 60)+"?"),
				plain(txt.Clip(fmt.Sprintf("This changes production (%s on %s). You will see what it would change before anything runs.", spec.ID, describeParams(a.Params)), 300)),
				plain("Continue"), plain("Cancel")))
		}
		els = append(els, btn)
	}
	if opts := switchOptions(c); len(opts) > 0 {
		sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Different runbook…"), ActionSwitchRunbook, opts...)
		els = append(els, sel)
	}
	return els
}

// switchOptions lists the match's other candidates first, then the rest
// of the catalog alphabetically, never the card's own playbook.
func switchOptions(c Card) []*slack.OptionBlockObject {
	seen := map[string]bool{}
	if c.Playbook != nil {
		seen[c.Playbook.ID] = true
	}
	var opts []*slack.OptionBlockObject
	add := func(pb *playbooks.Playbook) {
		if pb == nil || seen[pb.ID] || len(opts) >= maxSwitchOptions {
			return
		}
		seen[pb.ID] = true
		opts = append(opts, slack.NewOptionBlockObject(pb.ID, plain(txt.Clip(pb.Title, 75)), nil))
	}
	byID := map[string]*playbooks.Playbook{}
	for _, pb := range c.All {
		byID[pb.ID] = pb
	}
	for _, id := range c.Candidates {
		add(byID[id])
	}
	rest := append([]*playbooks.Playbook(nil), c.All...)
	sort.Slice(rest, func(i, j int) bool { return rest[i].Title < rest[j].Title })
	for _, pb := range rest {
		add(pb)
	}
	return opts
}

func describeParams(params map[string]any) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%v", k, params[k])
	}
	return strings.Join(parts, ", ")
}

// CheckActionID names checklist item i of playbook pbID.
func CheckActionID(pbID string, i int) string {
	return ActionCheckPrefix + pbID + ":" + strconv.Itoa(i)
}

// bullets lists playbook text, escaped for mrkdwn.
func bullets(items []string) string {
	var b strings.Builder
	for _, it := range items {
		b.WriteString("• ")
		b.WriteString(Escape(it))
		b.WriteByte('\n')
	}
	return strings.TrimRight(b.String(), "\n")
}

func symptoms(s playbooks.Symptoms) string {
	var parts []string
	if len(s.User) > 0 {
		parts = append(parts, "*Users see*\n"+bullets(s.User))
	}
	if len(s.Internal) > 0 {
		parts = append(parts, "*We see*\n"+bullets(s.Internal))
	}
	return strings.Join(parts, "\n")
}

// sourceLine names the documents a playbook came from and related ones.
func sourceLine(pb *playbooks.Playbook, all []*playbooks.Playbook) string {
	var src []string
	for _, s := range pb.Sources {
		if s.Section != "" {
			src = append(src, s.Doc+" — "+s.Section)
		} else {
			src = append(src, s.Doc)
		}
	}
	line := "Source: " + Escape(strings.Join(src, "; ")) + " · owner " + Escape(pb.Owner) + " · `" + pb.ID + "`"
	if len(pb.Related) > 0 {
		titles := map[string]string{}
		for _, p := range all {
			titles[p.ID] = p.Title
		}
		var rel []string
		for _, id := range pb.Related {
			if t, ok := titles[id]; ok {
				rel = append(rel, Escape(t))
			}
		}
		if len(rel) > 0 {
			line += " · Related: " + strings.Join(rel, ", ")
		}
	}
	return line
}
