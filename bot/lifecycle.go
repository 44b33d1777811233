package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/incident-bot/incident-bot/incidents"
)

// Declare records the incident with its set-up (channel, topic, the
// reporter invited, header, runbook card, announcement) owed in the same
// transaction; the outbox does the Slack side, retrying until it is done,
// and tells the reporter about any step that fails for good.
func (a *App) Declare(ctx context.Context, o Origin, d incidents.Declaration) error {
	inc, created, err := a.svc.Declare(ctx, d)
	if err != nil {
		return err
	}
	if !created {
		a.logFor(ctx).Info("declaration already handled; not repeating it", zapIncident(inc))
		return nil
	}
	a.m.Declared.WithLabelValues(inc.Severity.String()).Inc()
	a.logFor(ctx).Info("incident declared", zapIncident(inc), zap.Int64("incident", inc.Number), zap.String("severity", inc.Severity.String()))
	return nil
}

// change reports a change's outcome: a repeat of one already made (a
// redelivery, a job run again) is not an error.
func (a *App) change(_ incidents.Incident, err error) error {
	return ignoreDuplicate(err)
}

// SetStatus moves the incident through its lifecycle; a resolution can
// bring the postmortem draft at once (POSTMORTEM_ON_RESOLVE).
func (a *App) SetStatus(ctx context.Context, o Origin, id uuid.UUID, by incidents.By, next incidents.Status, note string) error {
	inc, err := a.svc.SetStatus(ctx, id, by, next, note)
	if errors.Is(err, incidents.ErrDuplicate) {
		return nil
	}
	if err != nil || next != incidents.StatusResolved || !a.autoPostmortem || inc.ChannelID == "" {
		return err
	}
	po := Origin{User: o.User, Channel: inc.ChannelID, ResponseURL: o.ResponseURL}
	if perr := a.Postmortem(ctx, po); perr != nil {
		a.fail(ctx, po, perr)
	}
	return nil
}

// list answers /incident list, pointing at incidents whose set-up is not
// complete.
func (a *App) list(ctx context.Context, o Origin) error {
	incs, err := a.svc.List(ctx, incidents.ListFilter{OpenOnly: true})
	if err != nil {
		return err
	}
	text := a.render.List(incs, a.svc.Now())
	var broken []string
	for _, inc := range incs {
		if inc.ChannelID == "" || inc.HeaderTS == "" {
			broken = append(broken, fmt.Sprintf("%s (`/incident repair %d`)", inc.Ref(), inc.Number))
		}
	}
	if len(broken) > 0 {
		text += ":construction: Set-up not complete: " + strings.Join(broken, ", ") + "\n"
	}
	a.reply.ephemeral(ctx, o, text)
	return nil
}

// repair finishes the set-up of the incident named (or of this channel's)
// and retries its steps that failed.
func (a *App) repair(ctx context.Context, o Origin, number string) error {
	var inc incidents.Incident
	var err error
	if number == "" {
		inc, err = a.incidentHere(ctx, o.Channel)
		if err != nil {
			return incidents.Errorf(incidents.ENOTFOUND, "Name the incident: `/incident repair 12` (`/incident list` shows the numbers).")
		}
	} else {
		n, _ := strconv.ParseInt(number, 10, 64)
		if inc, err = a.svc.ByNumber(ctx, n); err != nil {
			return err
		}
	}
	rep, err := a.svc.Repair(ctx, inc.ID, true)
	if err != nil {
		return err
	}
	a.reply.ephemeral(ctx, o, rep.Say(inc))
	return nil
}
