package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// Buttons of a mutating action's confirmation; the value is the run ID.
const (
	ActionConfirmRun = "action_confirm"
	ActionCancelRun  = "action_cancel"
)

// Timeline events of actions. Every run leaves who, what, parameters,
// outcome (AWS request ID or SQL result) and duration.
const (
	EventActionPreviewed incidents.EventKind = "action_previewed"
	EventActionStarted   incidents.EventKind = "action_started"
	EventActionFinished  incidents.EventKind = "action_finished"
	EventActionCancelled incidents.EventKind = "action_cancelled"
)

// runAction answers an action button on a runbook card.
func (a *App) runCardButton(ctx context.Context, o Origin, act slack.BlockAction) error {
	pbID, actionID, _ := strings.Cut(act.Value, "|")
	if a.exec == nil {
		return a.actionUnavailable(ctx, o, act)
	}
	inc, err := a.incidentHere(ctx, o.Channel)
	if err != nil {
		return incidents.Errorf(incidents.EINVALID, "Actions run from cards in incident channels, where they are recorded.")
	}
	if !inc.Status.Open() {
		return incidents.Errorf(incidents.ECONFLICT, "incident %s is resolved; actions are closed too", inc.Ref())
	}
	pb, ok := a.catalog.Get(pbID)
	if !ok {
		return incidents.Errorf(incidents.ENOTFOUND, "That runbook no longer exists.")
	}
	entry, ok := pb.ActionFor(actionID)
	if !ok {
		return incidents.Errorf(incidents.ENOTFOUND, "The runbook no longer offers %s.", actionID)
	}
	p, err := a.exec.Prepare(actionID, entry.Params)
	if err != nil {
		return incidents.Errorf(incidents.EINVALID, "%s cannot run: %s", actionID, err)
	}
	click := key("click:", act.ActionTs+":"+act.ActionID+":"+o.User)
	if !p.Spec.Mutates {
		return a.runNow(ctx, o, inc, p, o.MessageTS, click)
	}
	if err := a.authorise(ctx, o.User, inc); err != nil {
		return err
	}
	return a.preview(ctx, o, inc, p, o.MessageTS, click)
}

// runNow runs a read-only action and posts its findings in the card's thread.
func (a *App) runNow(ctx context.Context, o Origin, inc incidents.Incident, p actions.Prepared, thread, click string) error {
	runID := uuid.NewString()
	data := runData(runID, p, o.User)
	if _, err := a.svc.Record(ctx, inc.ID, incidents.By{User: o.User, Key: click}, EventActionStarted,
		fmt.Sprintf("<@%s> ran %s", o.User, p.Describe()), data); err != nil {
		return ignoreDuplicate(err) // a redelivered click runs nothing
	}
	res, took, err := a.exec.Run(ctx, p, nil)
	a.finish(ctx, o, inc, p, runID, thread, res, took, err)
	return nil
}

// preview shows what a mutating action would change and asks for a
// confirmation in the card's thread.
func (a *App) preview(ctx context.Context, o Origin, inc incidents.Incident, p actions.Prepared, thread, click string) error {
	pv, err := a.exec.Preview(ctx, p)
	if err != nil {
		return incidents.Errorf(incidents.EINVALID, "Could not preview %s: %s", p.Describe(), describeActionError(err))
	}
	runID := uuid.NewString()
	data := runData(runID, p, o.User)
	raw, _ := json.Marshal(pv)
	data["preview"], data["resource"], data["thread"] = string(raw), pv.Resource, thread
	data["dry_run"] = fmt.Sprint(a.exec.DryRun())
	if _, err := a.svc.Record(ctx, inc.ID, incidents.By{User: o.User, Key: click}, EventActionPreviewed,
		fmt.Sprintf("<@%s> asked to run %s: %s", o.User, p.Describe(), pv.Change), data); err != nil {
		return ignoreDuplicate(err)
	}
	text, blocks := a.render.ConfirmAction(p, pv, o.User, runID, a.exec.DryRun())
	if _, _, err := a.api.PostMessageContext(ctx, inc.ChannelID, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...), slack.MsgOptionTS(thread)); err != nil {
		var f failures
		a.stepFailed(ctx, inc, "post the action confirmation", err, &f)
		f.report(a, ctx, o, "Nothing ran.")
	}
	return nil
}

// runData is what every action event records about the run.
func runData(runID string, p actions.Prepared, user string) map[string]string {
	params, _ := json.Marshal(p.Req.Params)
	return map[string]string{"run_id": runID, "action": p.Spec.ID, "params": string(params), "target": p.Describe(), "requested_by": user}
}

// confirmRun runs a previewed mutating action once: the confirmation is
// claimed by run ID in the store, so a second click, a redelivery or
// another replica cannot run it again.
func (a *App) confirmRun(ctx context.Context, o Origin, act slack.BlockAction, cancel bool) error {
	runID := act.Value
	inc, err := a.incidentHere(ctx, o.Channel)
	if err != nil {
		return err
	}
	ev, err := a.previewEvent(ctx, inc, runID)
	if err != nil {
		return err
	}
	if cancel {
		if o.User != ev.Data["requested_by"] {
			if err := a.authorise(ctx, o.User, inc); err != nil {
				return incidents.Errorf(incidents.EFORBIDDEN, "Only the person who asked, the commander or an approver may cancel it.")
			}
		}
		if _, err := a.svc.Record(ctx, inc.ID, incidents.By{User: o.User, Key: "run:" + runID}, EventActionCancelled,
			fmt.Sprintf("<@%s> cancelled %s", o.User, ev.Data["target"]), ev.Data); err != nil {
			return alreadyDecided(err)
		}
		a.settleConfirmation(ctx, inc, o.MessageTS, fmt.Sprintf(":heavy_multiplication_x: <@%s> cancelled *%s*. Nothing was changed.", o.User, ev.Data["target"]))
		return nil
	}
	if err := a.authorise(ctx, o.User, inc); err != nil {
		return err
	}
	params, err := decodeParams(ev.Data["params"])
	if err != nil {
		return fmt.Errorf("read recorded parameters: %w", err)
	}
	p, err := a.exec.Prepare(ev.Data["action"], params)
	if err != nil {
		return incidents.Errorf(incidents.EINVALID, "%s cannot run any more: %s", ev.Data["action"], err)
	}
	if ev.Data["dry_run"] != fmt.Sprint(a.exec.DryRun()) {
		return incidents.Errorf(incidents.ECONFLICT, "The dry-run setting changed since this was previewed; nothing was done. Preview again from the card.")
	}
	var pv actions.Preview
	if err := json.Unmarshal([]byte(ev.Data["preview"]), &pv); err != nil || pv.Resource == "" {
		return incidents.Errorf(incidents.EINVALID, "The recorded preview cannot be read; nothing was done. Preview again from the card.")
	}
	data := map[string]string{}
	for k, v := range ev.Data {
		data[k] = v
	}
	data["confirmed_by"] = o.User
	if _, err := a.svc.Record(ctx, inc.ID, incidents.By{User: o.User, Key: "run:" + runID}, EventActionStarted,
		fmt.Sprintf("<@%s> confirmed %s: %s", o.User, p.Describe(), pv.Change), data); err != nil {
		return alreadyDecided(err)
	}
	a.settleConfirmation(ctx, inc, o.MessageTS, fmt.Sprintf(":hourglass_flowing_sand: <@%s> confirmed *%s* — running…", o.User, p.Describe()))
	res, took, err := a.exec.Run(ctx, p, &pv)
	thread := ev.Data["thread"]
	if thread == "" {
		thread = o.MessageTS
	}
	outcome := a.finish(ctx, o, inc, p, runID, thread, res, took, err)
	a.settleConfirmation(ctx, inc, o.MessageTS, fmt.Sprintf("<@%s> confirmed *%s*: %s", o.User, p.Describe(), outcome))
	return nil
}

// decodeParams reads parameters recorded as JSON back into the types
// YAML gave them: whole numbers as int (JSON alone would make them
// float64, which an action checking "count" rightly refuses).
func decodeParams(raw string) (map[string]any, error) {
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	var params map[string]any
	if err := dec.Decode(&params); err != nil {
		return nil, err
	}
	for k, v := range params {
		if n, ok := v.(json.Number); ok {
			if i, err := n.Int64(); err == nil {
				params[k] = int(i)
			} else if f, err := n.Float64(); err == nil {
				params[k] = f
			}
		}
	}
	return params, nil
}

func alreadyDecided(err error) error {
	if errors.Is(err, incidents.ErrDuplicate) {
		return incidents.Errorf(incidents.ECONFLICT, "That action was already confirmed or cancelled; it runs at most once.")
	}
	return err
}

// previewEvent finds the preview a confirmation button belongs to.
func (a *App) previewEvent(ctx context.Context, inc incidents.Incident, runID string) (incidents.Event, error) {
	evs, err := a.svc.Store().Timeline(ctx, inc.ID)
	if err != nil {
		return incidents.Event{}, err
	}
	i := slices.IndexFunc(evs, func(e incidents.Event) bool { return e.Kind == EventActionPreviewed && e.Data["run_id"] == runID })
	if i < 0 {
		return incidents.Event{}, incidents.Errorf(incidents.ENOTFOUND, "I have no record of that action request.")
	}
	return evs[i], nil
}

// finish records the outcome (even if the incident was resolved
// meanwhile) and posts it in the card's thread. It returns a one-line
// outcome for the confirmation message.
func (a *App) finish(ctx context.Context, o Origin, inc incidents.Incident, p actions.Prepared, runID, thread string, res actions.Result, took time.Duration, runErr error) string {
	data := map[string]string{"run_id": runID, "action": p.Spec.ID, "target": p.Describe(), "duration": took.Round(time.Millisecond).String(),
		"changed": fmt.Sprint(res.Changed)}
	if res.RequestID != "" {
		data["request_id"] = res.RequestID // kept on failure too: the change may have happened
	}
	var text, outcome string
	if runErr != nil {
		code, msg := actionErrorParts(runErr)
		data["outcome"], data["error_code"], data["error"] = "failed", code, msg
		outcome = fmt.Sprintf(":x: failed: `%s`", code)
		text = fmt.Sprintf(":x: *%s* failed: `%s` %s", p.Describe(), code, Escape(clipRunes(msg, 1500)))
		if res.Changed {
			text += "\n_Something was changed before it failed (" + Escape(res.RequestID) + "); check the state._"
		}
	} else {
		data["outcome"], data["summary"] = "ok", res.Summary
		outcome = ":white_check_mark: " + Escape(clipRunes(res.Summary, 200))
		text = fmt.Sprintf(":white_check_mark: *%s*: %s", p.Describe(), Escape(res.Summary))
		if res.Details != "" {
			text += "\n" + clipRunes(res.Details, 2500)
		}
		if res.RequestID != "" {
			text += "\n_" + Escape(res.RequestID) + " · " + took.Round(time.Millisecond).String() + "_"
		}
	}
	rctx, cancel := detached(ctx)
	defer cancel()
	if err := a.svc.Audit(rctx, inc.ID, o.User, EventActionFinished, fmt.Sprintf("%s: %s", p.Describe(), data["outcome"]), data); err != nil {
		a.log.Error("could not record an action result", zap.String("incident_id", inc.ID.String()), zap.String("run_id", runID), zap.Error(err))
	}
	if _, _, err := a.api.PostMessageContext(rctx, inc.ChannelID, slack.MsgOptionText(text, false), slack.MsgOptionTS(thread)); err != nil {
		var f failures
		a.stepFailed(rctx, inc, "post the action result", err, &f)
		f.report(a, rctx, o, "The action result is recorded.")
	}
	return outcome
}

// settleConfirmation replaces the confirmation's buttons with what happened.
func (a *App) settleConfirmation(ctx context.Context, inc incidents.Incident, ts, text string) {
	if ts == "" {
		return
	}
	if _, _, _, err := a.api.UpdateMessageContext(ctx, inc.ChannelID, ts, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(slack.NewSectionBlock(mrkdwn(text), nil, nil))); err != nil {
		a.log.Warn("could not update the confirmation", zap.String("slack_error", SlackErrorCode(err)))
	}
}

// authorise allows the incident commander and members of the approver
// user groups to change production.
func (a *App) authorise(ctx context.Context, user string, inc incidents.Incident) error {
	if user == inc.Commander {
		return nil
	}
	groups := a.exec.Targets().Guardrails.Approvers
	var lookupErr error
	for _, g := range groups {
		members, err := a.api.GetUserGroupMembersContext(ctx, g)
		if err != nil {
			lookupErr = fmt.Errorf("user group %s: %s", g, DescribeSlackError(SlackErrorCode(err)))
			continue // a later group may still include them
		}
		if slices.Contains(members, user) {
			return nil
		}
	}
	if lookupErr != nil {
		return incidents.Errorf(incidents.EFORBIDDEN, "I could not check who may run this (%s).", lookupErr)
	}
	who := "the incident commander"
	for _, g := range groups {
		who += ", <!subteam^" + g + ">"
	}
	return incidents.Errorf(incidents.EFORBIDDEN, "Only %s may run actions that change production.", who)
}

func actionErrorParts(err error) (code, msg string) {
	if ae, ok := errors.AsType[*actions.Error](err); ok {
		return ae.Code, ae.Message
	}
	if errors.Is(err, actions.ErrBusy) {
		return "busy", err.Error()
	}
	return "error", err.Error()
}

func describeActionError(err error) string {
	code, msg := actionErrorParts(err)
	return "`" + code + "` " + Escape(clipRunes(msg, 500))
}

// ConfirmAction renders the preview with Confirm and Cancel buttons.
func (r Renderer) ConfirmAction(p actions.Prepared, pv actions.Preview, user, runID string, dryRun bool) (string, []slack.Block) {
	head := fmt.Sprintf(":warning: <@%s> wants to run *%s*", user, p.Describe())
	if dryRun {
		head += " _(dry run: nothing will change)_"
	}
	body := "*Now:* " + Escape(pv.Current) + "\n*Change:* " + Escape(pv.Change)
	if pv.Undo != "" {
		body += "\n*Undo:* " + Escape(pv.Undo)
	}
	text := head + "\n" + body
	return text, []slack.Block{
		slack.NewSectionBlock(mrkdwn(clipRunes(head, 3000)), nil, nil),
		slack.NewSectionBlock(mrkdwn(clipRunes(body, 3000)), nil, nil),
		slack.NewActionBlock("action_confirm_"+runID[:8],
			slack.NewButtonBlockElement(ActionConfirmRun, runID, plain("Confirm")).WithStyle(slack.StyleDanger),
			slack.NewButtonBlockElement(ActionCancelRun, runID, plain("Cancel"))),
		slack.NewContextBlock("", mrkdwn("Only the incident commander or an approver may confirm. It runs once.")),
	}
}
