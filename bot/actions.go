package bot

import (
	"context"
	"strings"

	"github.com/slack-go/slack"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// Buttons of a mutating action's confirmation; the value is the run ID.
const (
	ActionConfirmRun = "action_confirm"
	ActionCancelRun  = "action_cancel"
)

// runCardButton answers an action button on a runbook card: the guard
// runs it, or previews it for confirmation, in the card's thread.
func (d *runbookDesk) runCardButton(ctx context.Context, o Origin, act slack.BlockAction) error {
	pbID, actionID, _ := strings.Cut(act.Value, "|")
	if d.guard == nil {
		return d.actionUnavailable(ctx, o, act)
	}
	inc, err := d.incidentHere(ctx, o.Channel)
	if err != nil {
		return incidents.Errorf(incidents.EINVALID, "Actions run from cards in incident channels, where they are recorded.")
	}
	if !inc.Status.Open() {
		return incidents.Errorf(incidents.ECONFLICT, "incident %s is resolved; actions are closed too", inc.Ref())
	}
	pb, ok := d.catalog.Get(pbID)
	if !ok {
		return incidents.Errorf(incidents.ENOTFOUND, "That runbook no longer exists.")
	}
	entry, ok := pb.ActionFor(actionID)
	if !ok {
		return incidents.Errorf(incidents.ENOTFOUND, "The runbook no longer offers %s.", actionID)
	}
	return d.guard.Request(ctx, actions.Ask{Incident: inc, User: o.User, Action: actionID, Params: entry.Params,
		Thread: o.MessageTS, Click: key("click:", act.ActionTs+":"+act.ActionID+":"+o.User)})
}

// confirmRun hands a Confirm or Cancel click to the guard, which runs a
// previewed action at most once.
func (d *runbookDesk) confirmRun(ctx context.Context, o Origin, act slack.BlockAction) error {
	if d.guard == nil {
		return incidents.Errorf(incidents.EINVALID, "Actions are not configured any more (no targets file).")
	}
	inc, err := d.incidentHere(ctx, o.Channel)
	if err != nil {
		return err
	}
	return d.guard.Answer(ctx, actions.Answer{Incident: inc, User: o.User, RunID: act.Value, Message: o.MessageTS, Cancel: act.ActionID == ActionCancelRun})
}

// approverCheck lets the guard ask Slack's user groups who approves.
type approverCheck struct{ ap *approvers }

func (c approverCheck) Is(ctx context.Context, user string) (bool, error) { return c.ap.is(ctx, user) }
func (c approverCheck) Who() string                                       { return c.ap.who() }
