package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/slack-go/slack"

	"github.com/incident-bot/incident-bot/incidents"
)

// runAction handles a click: header and reminder buttons, triage cards,
// runbook cards and action confirmations. The buttons do what the
// commands do: Update and Resolve open a form, Mitigated acts at once.
func (a *App) runAction(ctx context.Context, o Origin, act slack.BlockAction) error {
	if isTriage(act.ActionID) {
		return a.triage.decide(ctx, o, act)
	}
	if isCardControl(act.ActionID) {
		return a.runbooks.runCardAction(ctx, o, o.MessageTS, act)
	}
	if act.ActionID == ActionConfirmRun || act.ActionID == ActionCancelRun {
		return a.runbooks.confirmRun(ctx, o, act)
	}
	idPart, _, _ := strings.Cut(act.Value, "|")
	id, err := uuid.Parse(idPart)
	if err != nil {
		return incidents.Errorf(incidents.EINVALID, "that button does not belong to an incident")
	}
	inc, err := a.svc.Get(ctx, id)
	if err != nil {
		return err
	}
	b := button{o: o, act: act, inc: inc, meta: viewMeta{IncidentID: inc.ID.String(), Channel: o.Channel, ResponseURL: o.ResponseURL}}
	if h, ok := anyIncidentButtons[act.ActionID]; ok { // these work on resolved incidents too
		return h(&a.features, ctx, b)
	}
	h, ok := openIncidentButtons[act.ActionID]
	if !ok {
		return incidents.Errorf(incidents.EINVALID, "unknown button %q", act.ActionID)
	}
	if !inc.Status.Open() {
		return incidents.Errorf(incidents.ECONFLICT, "incident %s is resolved; it can no longer be changed", inc.Ref())
	}
	// action_ts identifies one click: a redelivered click changes nothing.
	b.by = a.by(ctx, o.User, key("click:", act.ActionTs+":"+act.ActionID+":"+o.User), inc)
	return h(&a.features, ctx, b)
}

// button is a click on an incident's button, with what it acts on.
type button struct {
	o    Origin
	act  slack.BlockAction
	inc  incidents.Incident
	meta viewMeta
	by   incidents.By
}

// buttonHandler does what one button of an incident's messages does, by
// the feature that owns it.
type buttonHandler func(f *features, ctx context.Context, b button) error

// anyIncidentButtons work on resolved incidents too.
var anyIncidentButtons = map[string]buttonHandler{
	ActionPostmortem: func(f *features, ctx context.Context, b button) error {
		return f.postmortems.Postmortem(ctx, Origin{User: b.o.User, Channel: b.inc.ChannelID, ResponseURL: b.o.ResponseURL})
	},
	ActionAddItem: func(f *features, ctx context.Context, b button) error { return f.postmortems.itemForm(ctx, b) },
}

// openIncidentButtons change an open incident.
var openIncidentButtons = map[string]buttonHandler{
	ActionUpdate: func(f *features, ctx context.Context, b button) error {
		return f.life.form(ctx, b.o, UpdateModal(b.inc, b.meta))
	},
	ActionResolve: func(f *features, ctx context.Context, b button) error {
		return f.life.form(ctx, b.o, ResolveModal(b.inc, b.meta))
	},
	ActionMitigate: func(f *features, ctx context.Context, b button) error {
		return f.life.SetStatus(ctx, b.o, b.inc.ID, b.by, incidents.StatusMitigated, "")
	},
	ActionSnooze:       func(f *features, ctx context.Context, b button) error { return f.life.snooze(ctx, b) },
	ActionRefreshGraph: func(f *features, ctx context.Context, b button) error { return f.life.refreshGraph(ctx, b) },
	ActionTakeCommand: func(f *features, ctx context.Context, b button) error {
		return f.life.setCommander(ctx, b.inc.ID, b.by, b.o.User)
	},
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
		case runeLen(title) > incidents.MaxTitleLen:
			return map[string]string{blockTitle: fmt.Sprintf("Keep the title under %d characters.", incidents.MaxTitleLen)}
		}
		if runeLen(inputValue(v.State, blockDescription)) > incidents.MaxDescriptionLen {
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
		if runeLen(text) > incidents.MaxUpdateLen {
			return map[string]string{blockText: fmt.Sprintf("Keep it under %d characters.", incidents.MaxUpdateLen)}
		}
	}
	return nil
}

// runeLen is the length the domain checks: it keeps text as typed.
func runeLen(text string) int { return len([]rune(text)) }

// runSubmission acts on a submitted (and validated) form. Form input is
// plain text already: Slack does not escape it.

func (a *App) runSubmission(ctx context.Context, o Origin, v slack.View, meta viewMeta) error {
	if v.CallbackID == ViewDeclare {
		sev, _ := incidents.ParseSeverity(inputValue(v.State, blockSeverity))
		return a.life.Declare(ctx, o, incidents.Declaration{
			Title:       inputValue(v.State, blockTitle),
			Description: inputValue(v.State, blockDescription),
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
	text := inputValue(v.State, blockText)
	inc, err := a.svc.Get(ctx, id)
	if err != nil {
		return err
	}
	by := a.by(ctx, o.User, key("view:", v.ID), inc)
	switch v.CallbackID {
	case ViewUpdate:
		return a.life.postUpdate(ctx, id, by, text)
	case ViewActionItem:
		return a.postmortems.addItem(ctx, o, id, text, inputValue(v.State, blockOwner))
	case ViewResolve:
		return a.life.SetStatus(ctx, o, id, by, incidents.StatusResolved, text)
	}
	return incidents.Errorf(incidents.EINVALID, "unknown form %q", v.CallbackID)
}

func isCardControl(actionID string) bool {
	return actionID == ActionSwitchRunbook || strings.HasPrefix(actionID, ActionCheckPrefix) || strings.HasPrefix(actionID, ActionRunPrefix)
}
