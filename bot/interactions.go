package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/slack-go/slack"

	"github.com/incident-bot/incident-bot/incidents"
)

// RunAction handles a click on a header button. The buttons do what the
// commands do: Update and Resolve open a form, Mitigated acts at once.
func (a *App) RunAction(ctx context.Context, o Origin, act slack.BlockAction) {
	if err := a.runAction(ctx, o, act); err != nil {
		a.fail(ctx, o, err)
	}
}

func (a *App) runAction(ctx context.Context, o Origin, act slack.BlockAction) error {
	if isTriage(act.ActionID) {
		return a.triage(ctx, o, act)
	}
	if isCardControl(act.ActionID) {
		return a.runCardAction(ctx, o, o.MessageTS, act)
	}
	if act.ActionID == ActionConfirmRun || act.ActionID == ActionCancelRun {
		if a.exec == nil {
			return incidents.Errorf(incidents.EINVALID, "Actions are not configured any more (no targets file).")
		}
		return a.confirmRun(ctx, o, act, act.ActionID == ActionCancelRun)
	}
	idPart, extra, _ := strings.Cut(act.Value, "|")
	id, err := uuid.Parse(idPart)
	if err != nil {
		return incidents.Errorf(incidents.EINVALID, "that button does not belong to an incident")
	}
	inc, err := a.svc.Store().Get(ctx, id)
	if err != nil {
		return err
	}
	meta := viewMeta{IncidentID: inc.ID.String(), Channel: o.Channel, ResponseURL: o.ResponseURL}
	switch act.ActionID { // these work on resolved incidents too
	case ActionPostmortem:
		return a.Postmortem(ctx, Origin{User: o.User, Channel: inc.ChannelID, ResponseURL: o.ResponseURL})
	case ActionAddItem:
		return a.openModal(ctx, o, ActionItemModal(inc, meta))
	}
	if !inc.Status.Open() {
		return incidents.Errorf(incidents.ECONFLICT, "incident %s is resolved; it can no longer be changed", inc.Ref())
	}
	switch act.ActionID {
	case ActionUpdate:
		return a.openModal(ctx, o, UpdateModal(inc, meta))
	case ActionResolve:
		return a.openModal(ctx, o, ResolveModal(inc, meta))
	case ActionMitigate:
		// action_ts identifies one click: a redelivered click changes nothing.
		by := incidents.By{User: o.User, Key: key("click:", act.ActionTs+":"+act.ActionID+":"+o.User)}
		return a.SetStatus(ctx, o, inc.ID, by, incidents.StatusMitigated, "")
	case ActionSnooze:
		by := incidents.By{User: o.User, Key: key("click:", act.ActionTs+":"+act.ActionID+":"+o.User)}
		cycle, _ := time.Parse(time.RFC3339Nano, extra)
		return a.Snooze(ctx, o, inc.ID, by, cycle)
	}
	return incidents.Errorf(incidents.EINVALID, "unknown button %q", act.ActionID)
}

// ValidateSubmission checks a submitted form before it is acknowledged, so
// problems show next to the field (Slack's response_action "errors") and the
// form stays open with what the user typed. It returns nil when valid.
func ValidateSubmission(v slack.View) map[string]string {
	switch v.CallbackID {
	case ViewDeclare:
		title := inputValue(v.State, blockTitle)
		switch {
		case title == "":
			return map[string]string{blockTitle: "An incident needs a title."}
		case escapedLen(title) > incidents.MaxTitleLen: // stored escaped
			return map[string]string{blockTitle: fmt.Sprintf("Keep the title under %d characters (& < > count as several).", incidents.MaxTitleLen)}
		}
		if escapedLen(inputValue(v.State, blockDescription)) > incidents.MaxDescriptionLen {
			return map[string]string{blockDescription: fmt.Sprintf("Keep the details under %d characters.", incidents.MaxDescriptionLen)}
		}
		if s := inputValue(v.State, blockSeverity); s != "" {
			if _, ok := incidents.ParseSeverity(s); !ok {
				return map[string]string{blockSeverity: "Pick a severity."}
			}
		}
	case ViewActionItem:
		if inputValue(v.State, blockText) == "" {
			return map[string]string{blockText: "Say what should be done."}
		}
	case ViewUpdate, ViewResolve:
		text := inputValue(v.State, blockText)
		if text == "" && v.CallbackID == ViewUpdate {
			return map[string]string{blockText: "An update needs some text."}
		}
		if escapedLen(text) > incidents.MaxUpdateLen {
			return map[string]string{blockText: fmt.Sprintf("Keep it under %d characters (& < > count as several).", incidents.MaxUpdateLen)}
		}
	}
	return nil
}

// escapedLen is the length text will have once escaped for Slack, which
// is how the domain stores and checks it.
func escapedLen(text string) int { return len([]rune(Escape(text))) }

// RunSubmission acts on a submitted (and validated) form.
func (a *App) RunSubmission(ctx context.Context, user string, v slack.View) {
	meta := decodeViewMeta(v.PrivateMetadata)
	o := Origin{User: user, Channel: meta.Channel, ResponseURL: meta.ResponseURL}
	if err := a.runSubmission(ctx, o, v, meta); err != nil {
		a.fail(ctx, o, err)
	}
}

func (a *App) runSubmission(ctx context.Context, o Origin, v slack.View, meta viewMeta) error {
	if v.CallbackID == ViewDeclare {
		sev, _ := incidents.ParseSeverity(inputValue(v.State, blockSeverity))
		return a.Declare(ctx, o, incidents.Declaration{
			Title:       Escape(inputValue(v.State, blockTitle)),
			Description: Escape(inputValue(v.State, blockDescription)),
			Severity:    sev,
			Reporter:    o.User,
			Source:      "form",
			Key:         key("view:", v.ID),
		})
	}
	id, err := uuid.Parse(meta.IncidentID)
	if err != nil {
		return incidents.Errorf(incidents.EINVALID, "that form does not belong to an incident")
	}
	text := Escape(inputValue(v.State, blockText))
	by := incidents.By{User: o.User, Key: key("view:", v.ID)}
	switch v.CallbackID {
	case ViewUpdate:
		return a.PostUpdate(ctx, o, id, by, text)
	case ViewActionItem:
		owner := inputValue(v.State, blockOwner)
		data := map[string]string{"text": text, "owner": owner}
		if err := a.svc.Audit(ctx, id, o.User, EventActionItem, "Action item: "+text, data); err != nil {
			return err
		}
		a.reply.ephemeral(ctx, o, ":memo: Action item recorded; it will be in the postmortem draft.")
		return nil
	case ViewResolve:
		return a.SetStatus(ctx, o, id, by, incidents.StatusResolved, text)
	}
	return incidents.Errorf(incidents.EINVALID, "unknown form %q", v.CallbackID)
}

func isCardControl(actionID string) bool {
	return actionID == ActionSwitchRunbook || strings.HasPrefix(actionID, ActionCheckPrefix) || strings.HasPrefix(actionID, ActionRunPrefix)
}
