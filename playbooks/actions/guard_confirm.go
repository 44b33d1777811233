package actions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/internal/txt"
)

// Answer is a click on a confirmation's Confirm or Cancel.
type Answer struct {
	Incident incidents.Incident
	User     string
	RunID    string // the button's value
	Message  string // the confirmation's message, settled with the outcome
	Cancel   bool
}

// Answer runs a previewed mutating action once, or cancels it: the
// decision is claimed by run ID in the store, so a second click, a
// redelivery or another replica cannot run it again.
func (g *Guard) Answer(ctx context.Context, a Answer) error {
	ev, err := g.previewEvent(ctx, a.Incident, a.RunID)
	if err != nil {
		return err
	}
	if a.Cancel {
		return g.cancel(ctx, a, ev)
	}
	if err := g.authorise(ctx, a.User, a.Incident); err != nil {
		return err
	}
	if g.exec.Targets().Guardrails.TwoPerson && a.User == ev.Data["requested_by"] {
		return incidents.Errorf(incidents.EFORBIDDEN, "Two people are needed here (guardrails.two_person): someone other than you, who asked for it, must confirm. Nothing ran.")
	}
	p, pv, err := g.recorded(ev)
	if err != nil {
		return err
	}
	data := merge(ev.Data, map[string]string{"confirmed_by": a.User})
	if _, err := g.rec.Record(ctx, a.Incident.ID, incidents.By{User: a.User, Key: "run:" + ev.Data["run_id"]}, incidents.EventActionStarted,
		fmt.Sprintf("Confirmed %s: %s", p.Describe(), pv.Change), data,
		settle(a.Incident.ChannelID, a.Message, map[string]string{"settle": "action_running", "by": a.User, "target": p.Describe()})); err != nil {
		return alreadyDecided(err)
	}
	res, took, err := g.exec.Run(ctx, p, &pv)
	data["confirmation"] = a.Message
	return g.finish(ctx, a.User, a.Incident, p, data, res, took, err)
}

// cancel records a cancellation by the person who asked, the commander
// or an approver.
func (g *Guard) cancel(ctx context.Context, a Answer, ev incidents.Event) error {
	if a.User != ev.Data["requested_by"] && a.User != a.Incident.Commander {
		if ok, _ := g.approvers.Is(ctx, a.User); !ok {
			return incidents.Errorf(incidents.EFORBIDDEN, "Only the person who asked, the commander or an approver may cancel it.")
		}
	}
	_, err := g.rec.Record(ctx, a.Incident.ID, incidents.By{User: a.User, Key: "run:" + ev.Data["run_id"]}, incidents.EventActionCancelled,
		"Cancelled "+ev.Data["target"], ev.Data,
		settle(a.Incident.ChannelID, a.Message, map[string]string{"settle": "action_cancelled", "by": a.User, "target": ev.Data["target"]}))
	return alreadyDecided(err)
}

// previewEvent finds the preview a confirmation button belongs to.
func (g *Guard) previewEvent(ctx context.Context, inc incidents.Incident, runID string) (incidents.Event, error) {
	evs, err := g.rec.Timeline(ctx, inc.ID)
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

// recorded rebuilds the action and the preview a confirmation is for,
// refusing when the setting it was previewed under changed.
func (g *Guard) recorded(ev incidents.Event) (Prepared, Preview, error) {
	var pv Preview
	params, err := decodeParams(ev.Data["params"])
	if err != nil {
		return Prepared{}, pv, fmt.Errorf("read recorded parameters: %w", err)
	}
	p, err := g.exec.Prepare(ev.Data["action"], params)
	if err != nil {
		return p, pv, incidents.Errorf(incidents.EINVALID, "%s cannot run any more: %s", ev.Data["action"], err)
	}
	if ev.Data["dry_run"] != fmt.Sprint(g.exec.DryRun()) {
		return p, pv, incidents.Errorf(incidents.ECONFLICT, "The dry-run setting changed since this was previewed; nothing was done. Preview again from the card.")
	}
	if err := json.Unmarshal([]byte(ev.Data["preview"]), &pv); err != nil || pv.Resource == "" {
		return p, pv, incidents.Errorf(incidents.EINVALID, "The recorded preview cannot be read; nothing was done. Preview again from the card.")
	}
	return p, pv, nil
}

// runData is what every action event records about the run.
func runData(runID string, p Prepared, user string) map[string]string {
	params, _ := json.Marshal(p.Req.Params)
	return map[string]string{"run_id": runID, "action": p.Spec.ID, "params": string(params), "target": p.Describe(), "requested_by": user}
}

// threadPost is an effect posting the event it comes with in a thread.
func threadPost(thread, notify string) incidents.Effect {
	return incidents.Effect{Kind: incidents.EffectPost, Data: map[string]string{"to": incidents.ToThread, "thread": thread, "notify": notify}}
}

// settle is an effect replacing the buttons of message ts with what
// happened (what the data says).
func settle(channel, ts string, data map[string]string) incidents.Effect {
	return incidents.Effect{Kind: incidents.EffectSettle, Data: merge(map[string]string{"channel": channel, "ts": ts}, data)}
}

// merge merges maps into a new one, later ones winning.
func merge(ms ...map[string]string) map[string]string {
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

func ignoreDuplicate(err error) error {
	if errors.Is(err, incidents.ErrDuplicate) {
		return nil
	}
	return err
}

// ErrorParts splits an action's failure into a code and a message.
func ErrorParts(err error) (code, msg string) {
	if ae, ok := errors.AsType[*Error](err); ok {
		return ae.Code, ae.Message
	}
	if errors.Is(err, ErrBusy) {
		return "busy", err.Error()
	}
	return "error", err.Error()
}

// DescribeError is an action's failure for a person, in Slack mrkdwn.
func DescribeError(err error) string {
	code, msg := ErrorParts(err)
	return "`" + txt.SlackEscape(code) + "` " + txt.SlackEscape(txt.Clip(msg, 500))
}
