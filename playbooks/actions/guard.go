package actions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/alerts"
)

// Recorder records what happens to a run in the incident's timeline, with
// the effects that show it (incidents.Service).
type Recorder interface {
	Record(ctx context.Context, id uuid.UUID, by incidents.By, kind incidents.EventKind, text string, data map[string]string, effs ...incidents.Effect) (incidents.Incident, error)
	Audit(ctx context.Context, id uuid.UUID, actor string, kind incidents.EventKind, text string, data map[string]string, effs ...incidents.Effect) (incidents.Event, error)
	Timeline(ctx context.Context, id uuid.UUID) ([]incidents.Event, error)
}

// Approvers says whether a person may change production (a member of the
// approver groups) and names them for a refusal. A lookup that fails
// counts against, with its reason: authority fails closed.
type Approvers interface {
	Is(ctx context.Context, user string) (bool, error)
	Who() string
}

// Guard is the way every action runs: a read-only one at once; one that
// changes production previewed, confirmed once by an authorised person,
// run, and every step recorded (who, what, when, the result).
type Guard struct {
	exec      *Executor
	rec       Recorder
	approvers Approvers
}

// NewGuard runs exec's actions, recording through rec.
func NewGuard(exec *Executor, rec Recorder, approvers Approvers) (*Guard, error) {
	if exec == nil || rec == nil || approvers == nil {
		return nil, errors.New("actions: a guard needs an executor, a recorder and the approvers")
	}
	return &Guard{exec: exec, rec: rec, approvers: approvers}, nil
}

// Ask is a person asking for an action from a runbook card.
type Ask struct {
	Incident incidents.Incident
	User     string
	Action   string         // the action's ID
	Params   map[string]any // from the playbook
	Thread   string         // the card's message: results go in its thread
	Click    string         // the click's key: a redelivered click does nothing
}

// Request runs a read-only action at once, or previews a mutating one and
// owes its confirmation in the thread.
func (g *Guard) Request(ctx context.Context, a Ask) error {
	p, err := g.exec.Prepare(a.Action, a.Params)
	if err != nil {
		return incidents.Errorf(incidents.EINVALID, "%s cannot run: %s", a.Action, err)
	}
	if !p.Spec.Mutates {
		return g.runNow(ctx, a, p)
	}
	if err := g.authorise(ctx, a.User, a.Incident); err != nil {
		return err
	}
	return g.preview(ctx, a, p)
}

// runNow runs a read-only action; its findings go in the card's thread.
func (g *Guard) runNow(ctx context.Context, a Ask, p Prepared) error {
	data := runData(uuid.NewString(), p, a.User)
	data["thread"] = a.Thread
	if _, err := g.rec.Record(ctx, a.Incident.ID, incidents.By{User: a.User, Key: a.Click}, incidents.EventActionStarted,
		"Ran "+p.Describe(), data); err != nil {
		return ignoreDuplicate(err) // a redelivered click runs nothing
	}
	res, took, err := g.exec.Run(ctx, p, nil)
	return g.finish(ctx, a.User, a.Incident, p, data, res, took, err)
}

// preview records what a mutating action would change and owes the
// confirmation (with Confirm and Cancel) in the card's thread.
func (g *Guard) preview(ctx context.Context, a Ask, p Prepared) error {
	pv, err := g.exec.Preview(ctx, p)
	if err != nil {
		return incidents.Errorf(incidents.EINVALID, "Could not preview %s: %s", p.Describe(), DescribeError(err))
	}
	data := runData(uuid.NewString(), p, a.User)
	raw, _ := json.Marshal(pv)
	data["preview"], data["resource"], data["thread"] = string(raw), pv.Resource, a.Thread
	data["dry_run"] = fmt.Sprint(g.exec.DryRun())
	_, err = g.rec.Record(ctx, a.Incident.ID, incidents.By{User: a.User, Key: a.Click}, incidents.EventActionPreviewed,
		fmt.Sprintf("Asked to run %s: %s", p.Describe(), pv.Change), data, threadPost(a.Thread, a.User))
	return ignoreDuplicate(err)
}

// authorise allows production-changing actions to approvers, and to the
// incident's commander only where the targets file says so.
func (g *Guard) authorise(ctx context.Context, user string, inc incidents.Incident) error {
	gr := g.exec.Targets().Guardrails
	if gr.CommanderMayRun && user == inc.Commander {
		return nil
	}
	ok, err := g.approvers.Is(ctx, user)
	if ok {
		return nil
	}
	if err != nil {
		return incidents.Errorf(incidents.EFORBIDDEN, "I could not check who may run this (%s), so nothing ran.", err)
	}
	who := g.approvers.Who()
	if gr.CommanderMayRun {
		who += ", and the incident commander"
	}
	return incidents.Errorf(incidents.EFORBIDDEN, "Only %s may run actions that change production; you are not one of them, so nothing ran.", who)
}

// finish records the outcome (even if the incident was resolved
// meanwhile) with the effects that show it: the result in the card's
// thread and, for a confirmed action, the confirmation settled.
func (g *Guard) finish(ctx context.Context, user string, inc incidents.Incident, p Prepared, run map[string]string, res Result, took time.Duration, runErr error) error {
	data := map[string]string{"run_id": run["run_id"], "action": p.Spec.ID, "target": p.Describe(), "duration": took.Round(time.Millisecond).String(),
		"changed": fmt.Sprint(res.Changed), "request_id": res.RequestID}
	if runErr != nil {
		code, msg := ErrorParts(runErr)
		data["outcome"], data["error_code"], data["error"] = "failed", code, msg
	} else {
		data["outcome"], data["summary"], data["sections"] = "ok", res.Summary, EncodeSections(res.Sections)
	}
	effs := []incidents.Effect{threadPost(run["thread"], user)}
	if ts := run["confirmation"]; ts != "" {
		effs = append(effs, settle(inc.ChannelID, ts, merge(data, map[string]string{"settle": "action_done", "by": user})))
	}
	if runErr == nil {
		effs = append(effs, checkGraphs(inc, p.Spec.ID, run["thread"], res.Metrics)...)
	}
	// Recorded even when the request's context ended: the action ran.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, err := g.rec.Audit(rctx, inc.ID, user, incidents.EventActionFinished, fmt.Sprintf("%s: %s", p.Describe(), data["outcome"]), data, effs...); err != nil {
		return fmt.Errorf("the action ran but its result could not be recorded (run %s): %w", run["run_id"], err)
	}
	return nil
}

// maxCheckGraphs bounds the graphs one run posts: a check reads a few
// metrics; more would bury its result.
const maxCheckGraphs = 4

// checkGraphs draws the metrics a check read under its result, each on
// the incident's graph lane, so drawing (a CloudWatch call that may be
// slow or refused) never holds up the result or the incident's messages.
func checkGraphs(inc incidents.Incident, action, thread string, ms []Metric) []incidents.Effect {
	var out []incidents.Effect
	for _, m := range ms[:min(len(ms), maxCheckGraphs)] {
		g := alerts.MetricGraph(m.Region, m.Namespace, m.Metric, m.Dimensions, m.Stat, m.Period)
		g.Label, g.Check, g.Unit, g.Role = m.Label, action, m.Unit, m.Role
		out = append(out, incidents.Effect{Lane: incidents.GraphLane(inc.ID), Kind: incidents.EffectGraph, Data: map[string]string{
			"graph": g.Encode(), "why": "check", "thread_key": incidents.ThreadOfPost, "thread": thread}})
	}
	return out
}
