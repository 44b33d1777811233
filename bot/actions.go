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
	"github.com/incident-bot/incident-bot/internal/txt"
	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// Buttons of a mutating action's confirmation; the value is the run ID.
const (
	ActionConfirmRun = "action_confirm"
	ActionCancelRun  = "action_cancel"
)

// runCardButton answers an action button on a runbook card.
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
	if err := a.authoriseAction(ctx, o.User, inc); err != nil {
		return err
	}
	return a.preview(ctx, o, inc, p, o.MessageTS, click)
}

// runNow runs a read-only action; its findings are posted in the card's
// thread.
func (a *App) runNow(ctx context.Context, o Origin, inc incidents.Incident, p actions.Prepared, thread, click string) error {
	runID := uuid.NewString()
	data := runData(runID, p, o.User)
	data["thread"] = thread
	if _, err := a.svc.Record(ctx, inc.ID, incidents.By{User: o.User, Key: click}, incidents.EventActionStarted,
		"Ran "+p.Describe(), data); err != nil {
		return ignoreDuplicate(err) // a redelivered click runs nothing
	}
	res, took, err := a.exec.Run(ctx, p, nil)
	return a.finish(ctx, o, inc, p, data, res, took, err)
}

// preview records what a mutating action would change and owes the
// confirmation (with Confirm and Cancel) in the card's thread.
func (a *App) preview(ctx context.Context, o Origin, inc incidents.Incident, p actions.Prepared, thread, click string) error {
	pv, err := a.exec.Preview(ctx, p)
	if err != nil {
		return incidents.Errorf(incidents.EINVALID, "Could not preview %s: %s", p.Describe(), describeActionError(err))
	}
	data := runData(uuid.NewString(), p, o.User)
	raw, _ := json.Marshal(pv)
	data["preview"], data["resource"], data["thread"] = string(raw), pv.Resource, thread
	data["dry_run"] = fmt.Sprint(a.exec.DryRun())
	_, err = a.svc.Record(ctx, inc.ID, incidents.By{User: o.User, Key: click}, incidents.EventActionPreviewed,
		fmt.Sprintf("Asked to run %s: %s", p.Describe(), pv.Change), data, threadPost(thread, o.User))
	return ignoreDuplicate(err)
}

// threadPost is an effect posting the event it comes with in a thread.
func threadPost(thread, notify string) incidents.Effect {
	return incidents.Effect{Kind: incidents.EffectPost, Data: map[string]string{"to": incidents.ToThread, "thread": thread, "notify": notify}}
}

// settle is an effect replacing the buttons of message ts with what
// happened (what the data says).
func settle(channel, ts string, data map[string]string) incidents.Effect {
	d := map[string]string{"channel": channel, "ts": ts}
	for k, v := range data {
		d[k] = v
	}
	return incidents.Effect{Kind: incidents.EffectSettle, Data: d}
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
	inc, err := a.incidentHere(ctx, o.Channel)
	if err != nil {
		return err
	}
	ev, err := a.previewEvent(ctx, inc, act.Value)
	if err != nil {
		return err
	}
	if cancel {
		return a.cancelRun(ctx, o, inc, ev)
	}
	if err := a.authoriseAction(ctx, o.User, inc); err != nil {
		return err
	}
	if a.exec.Targets().Guardrails.TwoPerson && o.User == ev.Data["requested_by"] {
		return incidents.Errorf(incidents.EFORBIDDEN, "Two people are needed here (guardrails.two_person): someone other than you, who asked for it, must confirm. Nothing ran.")
	}
	p, pv, err := a.recorded(ev)
	if err != nil {
		return err
	}
	data := maps(ev.Data, map[string]string{"confirmed_by": o.User})
	if _, err := a.svc.Record(ctx, inc.ID, incidents.By{User: o.User, Key: "run:" + ev.Data["run_id"]}, incidents.EventActionStarted,
		fmt.Sprintf("Confirmed %s: %s", p.Describe(), pv.Change), data,
		settle(inc.ChannelID, o.MessageTS, map[string]string{"settle": "action_running", "by": o.User, "target": p.Describe()})); err != nil {
		return alreadyDecided(err)
	}
	res, took, err := a.exec.Run(ctx, p, &pv)
	data["confirmation"] = o.MessageTS
	return a.finish(ctx, o, inc, p, data, res, took, err)
}

// cancelRun records a cancellation by the person who asked, the
// commander or an approver.
func (a *App) cancelRun(ctx context.Context, o Origin, inc incidents.Incident, ev incidents.Event) error {
	if o.User != ev.Data["requested_by"] && o.User != inc.Commander {
		if ok, _ := a.approvers.is(ctx, o.User); !ok {
			return incidents.Errorf(incidents.EFORBIDDEN, "Only the person who asked, the commander or an approver may cancel it.")
		}
	}
	_, err := a.svc.Record(ctx, inc.ID, incidents.By{User: o.User, Key: "run:" + ev.Data["run_id"]}, incidents.EventActionCancelled,
		"Cancelled "+ev.Data["target"], ev.Data,
		settle(inc.ChannelID, o.MessageTS, map[string]string{"settle": "action_cancelled", "by": o.User, "target": ev.Data["target"]}))
	return alreadyDecided(err)
}

// recorded rebuilds the action and the preview a confirmation is for,
// refusing when the setting it was previewed under changed.
func (a *App) recorded(ev incidents.Event) (actions.Prepared, actions.Preview, error) {
	var pv actions.Preview
	params, err := decodeParams(ev.Data["params"])
	if err != nil {
		return actions.Prepared{}, pv, fmt.Errorf("read recorded parameters: %w", err)
	}
	p, err := a.exec.Prepare(ev.Data["action"], params)
	if err != nil {
		return p, pv, incidents.Errorf(incidents.EINVALID, "%s cannot run any more: %s", ev.Data["action"], err)
	}
	if ev.Data["dry_run"] != fmt.Sprint(a.exec.DryRun()) {
		return p, pv, incidents.Errorf(incidents.ECONFLICT, "The dry-run setting changed since this was previewed; nothing was done. Preview again from the card.")
	}
	if err := json.Unmarshal([]byte(ev.Data["preview"]), &pv); err != nil || pv.Resource == "" {
		return p, pv, incidents.Errorf(incidents.EINVALID, "The recorded preview cannot be read; nothing was done. Preview again from the card.")
	}
	return p, pv, nil
}

// maps merges maps into a new one, later ones winning.
func maps(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
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
	evs, err := a.svc.Timeline(ctx, inc.ID)
	if err != nil {
		return incidents.Event{}, err
	}
	i := slices.IndexFunc(evs, func(e incidents.Event) bool {
		return e.Kind == incidents.EventActionPreviewed && e.Data["run_id"] == runID
	})
	if i < 0 {
		return incidents.Event{}, incidents.Errorf(incidents.ENOTFOUND, "I have no record of that action request.")
	}
	return evs[i], nil
}

// finish records the outcome (even if the incident was resolved
// meanwhile) with the effects that show it: the result in the card's
// thread and, for a confirmed action, the confirmation settled.
func (a *App) finish(ctx context.Context, o Origin, inc incidents.Incident, p actions.Prepared, run map[string]string, res actions.Result, took time.Duration, runErr error) error {
	data := map[string]string{"run_id": run["run_id"], "action": p.Spec.ID, "target": p.Describe(), "duration": took.Round(time.Millisecond).String(),
		"changed": fmt.Sprint(res.Changed), "request_id": res.RequestID}
	if runErr != nil {
		code, msg := actionErrorParts(runErr)
		data["outcome"], data["error_code"], data["error"] = "failed", code, msg
	} else {
		data["outcome"], data["summary"], data["details"] = "ok", res.Summary, txt.Clip(res.Details, 2500)
	}
	effs := []incidents.Effect{threadPost(run["thread"], o.User)}
	if ts := run["confirmation"]; ts != "" {
		effs = append(effs, settle(inc.ChannelID, ts, maps(data, map[string]string{"settle": "action_done", "by": o.User})))
	}
	rctx, cancel := detached(ctx)
	defer cancel()
	if _, err := a.svc.Audit(rctx, inc.ID, o.User, incidents.EventActionFinished, fmt.Sprintf("%s: %s", p.Describe(), data["outcome"]), data, effs...); err != nil {
		a.logFor(ctx).Error("could not record an action result", zap.String("incident_id", inc.ID.String()), zap.String("run_id", run["run_id"]), zap.Error(err))
		return fmt.Errorf("the action ran but its result could not be recorded: %w", err)
	}
	return nil
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
	return "`" + Escape(code) + "` " + Escape(txt.Clip(msg, 500))
}
