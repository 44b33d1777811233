package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/playbooks"
)

// candidatesShown is how many ranked playbooks a match keeps: the best is
// the card, the others lead the "different runbook" select.
const candidatesShown = 5

// incidentQuery is what an incident is matched on.
func incidentQuery(inc incidents.Incident) playbooks.Query {
	return playbooks.Query{Text: Unescape(inc.Title + "\n" + inc.Description)}
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

// suggestRunbook posts the best confident match for a new incident.
func (a *App) suggestRunbook(ctx context.Context, inc incidents.Incident, f *failures) {
	if a.catalog == nil || inc.ChannelID == "" {
		return
	}
	r := a.catalog.Match(incidentQuery(inc), candidatesShown)
	best, ok := r.Best()
	if !ok {
		a.log.Info("no confident runbook match", zap.String("incident_id", inc.ID.String()))
		return
	}
	by := incidents.By{User: incidents.ActorBot}
	if err := a.postCard(ctx, inc, by, best.Playbook, whyMatched(best), otherIDs(r, best.Playbook.ID)); err != nil {
		a.stepFailed(ctx, inc, "post the runbook card", err, f)
	}
}

// postCard posts a runbook card in the incident channel and records it,
// with what is needed to redraw it later. When the record shows the same
// request already posted a card (a redelivery on another replica), the
// new copy is deleted again; when recording fails, the user is told that
// ticks on this card cannot be recorded.
func (a *App) postCard(ctx context.Context, inc incidents.Incident, by incidents.By, pb *playbooks.Playbook, why string, candidates []string) error {
	text, blocks := a.render.RunbookCard(Card{Playbook: pb, Why: why, Candidates: candidates, All: a.catalog.List(), Now: a.svc.Now()})
	_, ts, err := a.api.PostMessageContext(ctx, inc.ChannelID, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
	if err != nil {
		return err
	}
	_, err = a.svc.Record(ctx, inc.ID, by, incidents.EventRunbookPosted, "Runbook posted: "+pb.Title, map[string]string{
		"playbook": pb.ID, "card_ts": ts, "why": why, "candidates": strings.Join(candidates, ","),
	})
	switch {
	case errors.Is(err, incidents.ErrDuplicate):
		if _, _, derr := a.api.DeleteMessageContext(ctx, inc.ChannelID, ts); derr != nil {
			a.log.Warn("could not delete a duplicate runbook card", zap.String("slack_error", SlackErrorCode(derr)))
		}
		return nil
	case err != nil:
		a.log.Error("could not record the runbook card", zap.String("incident_id", inc.ID.String()), zap.Error(err))
		return fmt.Errorf("the card is posted but not recorded, so its checklist cannot be ticked: %w", err)
	}
	return nil
}

// runRunbook answers /incident runbook [query]: in an incident channel it
// posts a card (the named playbook, or the best match for the query or the
// incident); elsewhere it shows the card only to the asker.
func (a *App) runRunbook(ctx context.Context, o Origin, query string) error {
	if a.catalog == nil {
		return incidents.Errorf(incidents.ENOTFOUND, "No playbooks are loaded.")
	}
	inc, err := a.incidentHere(ctx, o.Channel)
	inChannel := err == nil
	if err != nil && incidents.ErrorCode(err) != incidents.ENOTFOUND {
		return err
	}
	if inChannel {
		defer a.lock(inc.ID)()
	}
	pb, why, candidates, r := a.pickRunbook(o, inc, inChannel, query)
	if pb == nil {
		a.reply.ephemeral(ctx, o, noMatchText(query, r))
		return nil
	}
	if !inChannel {
		text, blocks := a.render.RunbookCard(Card{Playbook: pb, Why: why, All: a.catalog.List(), Now: a.svc.Now(), Static: true})
		a.reply.ephemeralBlocks(ctx, o, text, blocks)
		return nil
	}
	if !inc.Status.Open() {
		return incidents.Errorf(incidents.ECONFLICT, "incident %s is resolved; it can no longer be changed", inc.Ref())
	}
	return a.postCard(ctx, inc, incidents.By{User: o.User, Key: key("trigger:", o.TriggerID)}, pb, why, candidates)
}

// pickRunbook chooses the card for /incident runbook: a playbook named by
// ID, else the best confident match for the query (or, with no query in
// an incident channel, for the incident). With no pick, pb is nil and the
// ranking says what came closest.
func (a *App) pickRunbook(o Origin, inc incidents.Incident, inChannel bool, query string) (pb *playbooks.Playbook, why string, candidates []string, r playbooks.Ranking) {
	query = strings.TrimSpace(query)
	if pb, ok := a.catalog.Get(strings.ToLower(query)); ok {
		return pb, fmt.Sprintf("Asked for by <@%s>", o.User), nil, r
	}
	q := playbooks.Query{Text: Unescape(query)}
	if query == "" && inChannel {
		q = incidentQuery(inc)
	}
	r = a.catalog.Match(q, candidatesShown)
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
		fmt.Fprintf(&b, " for “%s”", clipRunes(query, 81))
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
		case incidents.EventRunbookPosted, incidents.EventRunbookSwitched:
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
func (a *App) runCardAction(ctx context.Context, o Origin, cardTS string, act slack.BlockAction) error {
	if a.catalog == nil {
		return incidents.Errorf(incidents.ENOTFOUND, "No playbooks are loaded.")
	}
	if strings.HasPrefix(act.ActionID, ActionRunPrefix) {
		return a.runCardButton(ctx, o, act)
	}
	inc, err := a.incidentHere(ctx, o.Channel)
	if err != nil {
		return incidents.Errorf(incidents.EINVALID, "Checklists are recorded only on cards in incident channels.")
	}
	defer a.lock(inc.ID)()
	evs, err := a.svc.Store().Timeline(ctx, inc.ID)
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
		next, ok := a.catalog.Get(act.SelectedOption.Value)
		if !ok {
			return incidents.Errorf(incidents.ENOTFOUND, "That runbook no longer exists.")
		}
		why := fmt.Sprintf("Switched by <@%s> (was `%s`)", o.User, st.playbook)
		_, err = a.svc.Record(ctx, inc.ID, by, incidents.EventRunbookSwitched, "Runbook switched to "+next.Title,
			map[string]string{"playbook": next.ID, "from": st.playbook, "card_ts": cardTS, "why": why, "candidates": strings.Join(st.candidates, ",")})
	case strings.HasPrefix(act.ActionID, ActionCheckPrefix):
		pbID, idx, perr := parseCheckAction(act.ActionID)
		if perr != nil {
			return incidents.Errorf(incidents.EINVALID, "That checkbox is not one of mine.")
		}
		if pbID != st.playbook {
			return incidents.Errorf(incidents.ECONFLICT, "That card now shows another runbook; nothing was recorded. Tick the boxes on the card as it is now.")
		}
		pb, _ := a.catalog.Get(pbID)
		if pb == nil || idx >= len(pb.Checks) {
			return incidents.Errorf(incidents.EINVALID, "That check no longer exists in the runbook.")
		}
		done := len(act.SelectedOptions) > 0
		kind, verb := incidents.EventCheckUndone, "Unticked"
		if done {
			kind, verb = incidents.EventCheckDone, "Checked"
		}
		_, err = a.svc.Record(ctx, inc.ID, by, kind, fmt.Sprintf("%s %q (%s, step %d)", verb, clipRunes(pb.Checks[idx].Text, 200), pb.Title, idx+1),
			map[string]string{"playbook": pbID, "check": strconv.Itoa(idx), "card_ts": cardTS})
	default:
		return incidents.Errorf(incidents.EINVALID, "unknown card control %q", act.ActionID)
	}
	if err = ignoreDuplicate(err); err != nil {
		return err
	}
	return a.redrawCard(ctx, o, inc, cardTS)
}

func ignoreDuplicate(err error) error {
	if errors.Is(err, incidents.ErrDuplicate) {
		return nil
	}
	return err
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

// redrawCard draws the card from the timeline. Another replica may record
// a click on the same card meanwhile and redraw from an older read, so
// after each draw the record is read again, and the card drawn again if it
// moved on: whoever finishes last leaves the latest state.
func (a *App) redrawCard(ctx context.Context, o Origin, inc incidents.Incident, ts string) error {
	drawn := -1
	for range 3 {
		evs, err := a.svc.Store().Timeline(ctx, inc.ID)
		if err != nil {
			return err
		}
		st, _ := readCard(evs, ts)
		if st.version == drawn {
			return nil
		}
		pb, ok := a.catalog.Get(st.playbook)
		if !ok {
			return incidents.Errorf(incidents.ENOTFOUND, "The runbook on that card no longer exists.")
		}
		text, blocks := a.render.RunbookCard(Card{Playbook: pb, Why: st.why, Done: st.done, Candidates: st.candidates,
			All: a.catalog.List(), Now: a.svc.Now(), Version: st.version})
		if _, _, _, err := a.api.UpdateMessageContext(ctx, inc.ChannelID, ts, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...)); err != nil {
			var f failures
			a.stepFailed(ctx, inc, "update the runbook card", err, &f)
			f.report(a, ctx, o, "Recorded.")
			return nil
		}
		drawn = st.version
	}
	return nil
}

// actionUnavailable answers an action button while no targets are
// configured: the action cannot know which AWS resources to touch.
func (a *App) actionUnavailable(ctx context.Context, o Origin, act slack.BlockAction) error {
	pbID, actionID, _ := strings.Cut(act.Value, "|")
	a.log.Info("action button clicked without targets configured", zap.String("playbook", pbID), zap.String("action", actionID))
	a.reply.ephemeral(ctx, o, fmt.Sprintf(":no_entry: `%s` cannot run: no targets file is configured, so I do not know which AWS resources or databases it would touch. Follow the checklist by hand for now.", actionID))
	return nil
}
