package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/internal/txt"
	"github.com/incident-bot/incident-bot/playbooks"
	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// candidatesShown is how many ranked playbooks a match keeps: the best is
// the card, the others lead the "different runbook" select.
const candidatesShown = 5

// incidentQuery is what an incident is matched on.
func incidentQuery(inc incidents.Incident) playbooks.Query {
	return playbooks.Query{Text: inc.Title + "\n" + inc.Description}
}

// whyMatched explains a match on the card, e.g. `Matched: strong phrase
// "redis down" (+6.1), term "redis" (+2.3) · score 8.4`.
func whyMatched(res playbooks.Result) string {
	return fmt.Sprintf("Matched: %s · score %.1f", strings.Join(res.Reasons, ", "), res.Score)
}

func otherIDs(r playbooks.Ranking, except string) []string {
	var ids []string
	for _, res := range r.Results {
		if res.Playbook.ID != except {
			ids = append(ids, res.Playbook.ID)
		}
	}
	return ids
}

// runbookDesk owns the runbooks in Slack: /incident runbook, the ticks,
// the "different runbook" select and the action buttons on a card, the
// confirmation of a mutating action (through the playbooks/actions Guard,
// which records, previews and runs it), and the playbook review digest.
// Cards are posted and redrawn by the performer from what this desk
// records; its own Slack call is the digest's chat.postMessage
// (MessagesAPI), besides the shared private replies.
type runbookDesk struct {
	*core
	api     MessagesAPI
	catalog *playbooks.Catalog // nil: no playbooks loaded
	guard   *actions.Guard     // nil without a targets file
}

// runRunbook answers /incident runbook [query]: in an incident channel it
// posts a card (the named playbook, or the best match for the query or the
// incident); elsewhere it shows the card only to the asker.
func (d *runbookDesk) runRunbook(ctx context.Context, o Origin, query string) error {
	if d.catalog == nil {
		return incidents.Errorf(incidents.ENOTFOUND, "No playbooks are loaded.")
	}
	inc, err := d.incidentHere(ctx, o.Channel)
	inChannel := err == nil
	if err != nil && incidents.ErrorCode(err) != incidents.ENOTFOUND {
		return err
	}
	pb, why, candidates, r := d.pickRunbook(o, inc, inChannel, query)
	if pb == nil {
		d.reply.ephemeral(ctx, o, noMatchText(query, r))
		return nil
	}
	if !inChannel {
		text, blocks := d.render.RunbookCard(Card{Playbook: pb, Why: why, All: d.catalog.List(), Now: d.svc.Now(), Static: true})
		d.reply.ephemeralBlocks(ctx, o, text, blocks)
		return nil
	}
	if !inc.Status.Open() {
		return incidents.Errorf(incidents.ECONFLICT, "incident %s is resolved; it can no longer be changed", inc.Ref())
	}
	err = d.svc.Owe(ctx, inc.ID, key("trigger:", o.TriggerID), incidents.Effect{
		Key: "runbook:" + uuid.NewString(), Kind: incidents.EffectRunbook,
		Data: map[string]string{"playbook": pb.ID, "why": why, "candidates": strings.Join(candidates, ","), "by": o.User, "notify": o.User},
	})
	return ignoreDuplicate(err)
}

// pickRunbook chooses the card for /incident runbook: a playbook named by
// ID, else the best confident match for the query (or, with no query in
// an incident channel, for the incident). With no pick, pb is nil and the
// ranking says what came closest.
func (d *runbookDesk) pickRunbook(o Origin, inc incidents.Incident, inChannel bool, query string) (pb *playbooks.Playbook, why string, candidates []string, r playbooks.Ranking) {
	query = strings.TrimSpace(query)
	if pb, ok := d.catalog.Get(strings.ToLower(query)); ok {
		return pb, "Asked for by " + mention(o.User), nil, r
	}
	q := playbooks.Query{Text: query}
	if query == "" && inChannel {
		q = incidentQuery(inc)
	}
	r = d.catalog.Match(q, candidatesShown)
	best, ok := r.Best()
	if !ok {
		return nil, "", nil, r
	}
	return best.Playbook, whyMatched(best), otherIDs(r, best.Playbook.ID), r
}

func noMatchText(query string, r playbooks.Ranking) string {
	var b strings.Builder
	b.WriteString("No confident runbook match")
	if query != "" {
		fmt.Fprintf(&b, " for “%s”", txt.Clip(query, 81))
	}
	if r.Doubt != "" {
		fmt.Fprintf(&b, " (%s)", r.Doubt)
	}
	b.WriteString(".")
	if len(r.Results) > 0 {
		b.WriteString(" Closest:\n")
		for _, res := range r.Results {
			fmt.Fprintf(&b, "• `%s` %s (score %.1f)\n", res.Playbook.ID, res.Playbook.Title, res.Score)
		}
	}
	b.WriteString("\nPost one with `/incident runbook <id>`, or describe the symptom: `/incident runbook users see 403`.")
	return b.String()
}

// cardState is what a card in the channel shows, rebuilt from the
// timeline: the playbook, why, candidates, which checks are done, and how
// many events shaped it (its version).
type cardState struct {
	playbook, why string
	candidates    []string
	done          map[int]bool
	version       int
}

func readCard(evs []incidents.Event, ts string) (cardState, bool) {
	var st cardState
	found := false
	for _, e := range evs {
		if e.Data["card_ts"] != ts {
			continue
		}
		switch e.Kind {
		case incidents.EventRunbookPosted, incidents.EventRunbookSwitched, incidents.EventRunbookSuggested:
			found = true
			st.playbook, st.why, st.done = e.Data["playbook"], e.Data["why"], map[int]bool{}
			st.candidates = nil
			if c := e.Data["candidates"]; c != "" {
				st.candidates = strings.Split(c, ",")
			}
		case incidents.EventCheckDone, incidents.EventCheckUndone:
			if e.Data["playbook"] == st.playbook {
				i, _ := strconv.Atoi(e.Data["check"])
				st.done[i] = e.Kind == incidents.EventCheckDone
			}
		default:
			continue
		}
		st.version++
	}
	return st, found
}

// runCardAction handles a tick, a "different runbook" choice or an action
// button on a card in an incident channel: it records the change, then
// redraws the card from the record.
func (d *runbookDesk) runCardAction(ctx context.Context, o Origin, cardTS string, act slack.BlockAction) error {
	if d.catalog == nil {
		return incidents.Errorf(incidents.ENOTFOUND, "No playbooks are loaded.")
	}
	if strings.HasPrefix(act.ActionID, ActionRunPrefix) {
		return d.runCardButton(ctx, o, act)
	}
	inc, err := d.incidentHere(ctx, o.Channel)
	if err != nil {
		return incidents.Errorf(incidents.EINVALID, "Checklists are recorded only on cards in incident channels.")
	}
	evs, err := d.svc.Timeline(ctx, inc.ID)
	if err != nil {
		return err
	}
	st, ok := readCard(evs, cardTS)
	if !ok {
		return incidents.Errorf(incidents.ENOTFOUND, "I have no record of that card; post a fresh one with `/incident runbook`.")
	}
	by := incidents.By{User: o.User, Key: key("click:", act.ActionTs+":"+act.ActionID+":"+o.User)}
	switch {
	case act.ActionID == ActionSwitchRunbook:
		next, ok := d.catalog.Get(act.SelectedOption.Value)
		if !ok {
			return incidents.Errorf(incidents.ENOTFOUND, "That runbook no longer exists.")
		}
		why, text := fmt.Sprintf("Switched by %s (was `%s`)", mention(o.User), st.playbook), "Runbook switched to "+next.Title
		if st.playbook == "" {
			why, text = "Chosen by "+mention(o.User)+" from the suggestions", "Runbook chosen: "+next.Title
		}
		_, err = d.svc.Record(ctx, inc.ID, by, incidents.EventRunbookSwitched, text,
			map[string]string{"playbook": next.ID, "from": st.playbook, "card_ts": cardTS, "why": why, "candidates": strings.Join(st.candidates, ",")},
			redraw(cardTS, o.User))
	case strings.HasPrefix(act.ActionID, ActionCheckPrefix):
		pbID, idx, perr := parseCheckAction(act.ActionID)
		if perr != nil {
			return incidents.Errorf(incidents.EINVALID, "That checkbox is not one of mine.")
		}
		if pbID != st.playbook {
			return incidents.Errorf(incidents.ECONFLICT, "That card now shows another runbook; nothing was recorded. Tick the boxes on the card as it is now.")
		}
		pb, _ := d.catalog.Get(pbID)
		if pb == nil || idx >= len(pb.Checks) {
			return incidents.Errorf(incidents.EINVALID, "That check no longer exists in the runbook.")
		}
		done := len(act.SelectedOptions) > 0
		kind, verb := incidents.EventCheckUndone, "Unticked"
		if done {
			kind, verb = incidents.EventCheckDone, "Checked"
		}
		_, err = d.svc.Record(ctx, inc.ID, by, kind, fmt.Sprintf("%s %q (%s, step %d)", verb, txt.Clip(pb.Checks[idx].Text, 200), pb.Title, idx+1),
			map[string]string{"playbook": pbID, "check": strconv.Itoa(idx), "card_ts": cardTS}, redraw(cardTS, o.User))
	default:
		return incidents.Errorf(incidents.EINVALID, "unknown card control %q", act.ActionID)
	}
	return ignoreDuplicate(err)
}

// redraw is the effect redrawing card cardTS from the record once the
// change it comes with is recorded.
func redraw(cardTS, notify string) incidents.Effect {
	return incidents.Effect{Kind: incidents.EffectRedraw, Data: map[string]string{"card_ts": cardTS, "notify": notify}}
}

// parseCheckAction reads "runbook_check:<playbook>:<index>".
func parseCheckAction(actionID string) (string, int, error) {
	rest := strings.TrimPrefix(actionID, ActionCheckPrefix)
	i := strings.LastIndexByte(rest, ':')
	if i <= 0 {
		return "", 0, fmt.Errorf("bad checkbox action %q", actionID)
	}
	idx, err := strconv.Atoi(rest[i+1:])
	if err != nil || idx < 0 {
		return "", 0, fmt.Errorf("bad checkbox action %q", actionID)
	}
	return rest[:i], idx, nil
}

// actionUnavailable answers an action button while no targets are
// configured: the action cannot know which AWS resources to touch.
func (d *runbookDesk) actionUnavailable(ctx context.Context, o Origin, act slack.BlockAction) error {
	pbID, actionID, _ := strings.Cut(act.Value, "|")
	d.logFor(ctx).Info("action button clicked without targets configured", zap.String("playbook", pbID), zap.String("action", actionID))
	d.reply.ephemeral(ctx, o, fmt.Sprintf(":no_entry: `%s` cannot run: no targets file is configured, so I do not know which AWS resources or databases it would touch. Follow the checklist by hand for now.", actionID))
	return nil
}
