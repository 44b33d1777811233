package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/incident-bot/incident-bot/incidents"
)

// lifecycle owns an incident's life as people drive it: declaring (by
// command or form), status, updates, severity, commander, snoozing the
// reminder, /incident list and repair, and the header's and reminder's
// buttons and forms. Its only Slack call of its own is views.open for
// those forms (ViewsAPI); what a change means in Slack is owed in the
// outbox by the domain and done by the performer.
type lifecycle struct {
	*core
	api ViewsAPI
	// postmortems assembles the draft on resolution when
	// POSTMORTEM_ON_RESOLVE asks for it.
	postmortems *postmortemDesk
	// graphs says which alerts' graphs Refresh graph can draw.
	graphs GraphRenderer
}

// form opens one of the lifecycle's forms for whoever asked.
func (l *lifecycle) form(ctx context.Context, o Origin, v slack.ModalViewRequest) error {
	return openModal(ctx, l.api, o, v)
}

// start answers /incident start: with a title it declares at once,
// without one it opens the form.
func (l *lifecycle) start(ctx context.Context, o Origin, c Command) error {
	if c.Text == "" {
		return l.form(ctx, o, DeclareModal(c.Severity, viewMeta{Channel: o.Channel, ResponseURL: o.ResponseURL}))
	}
	return l.Declare(ctx, o, incidents.Declaration{
		Title: c.Text, Severity: c.Severity, Reporter: o.User, Source: "slash command", Key: key("trigger:", o.TriggerID),
	})
}

// Declare records the incident with its set-up (channel, topic, the
// reporter invited, header, runbook card, announcement) owed in the same
// transaction; the outbox does the Slack side, retrying until it is done,
// and tells the reporter about any step that fails for good.
func (l *lifecycle) Declare(ctx context.Context, o Origin, d incidents.Declaration) error {
	inc, created, err := l.svc.Declare(ctx, d)
	if err != nil {
		return err
	}
	if !created {
		l.logFor(ctx).Info("declaration already handled; not repeating it", zapIncident(inc))
		return nil
	}
	l.m.Declared.WithLabelValues(inc.Severity.String()).Inc()
	l.logFor(ctx).Info("incident declared", zapIncident(inc), zap.Int64("incident", inc.Number), zap.String("severity", inc.Severity.String()))
	return nil
}

// change reports a change's outcome: a repeat of one already made (a
// redelivery, a job run again) is not an error.
func change(_ incidents.Incident, err error) error {
	return ignoreDuplicate(err)
}

// postUpdate posts a status update (command or form).
func (l *lifecycle) postUpdate(ctx context.Context, id uuid.UUID, by incidents.By, text string) error {
	return change(l.svc.PostUpdate(ctx, id, by, text))
}

func (l *lifecycle) setSeverity(ctx context.Context, id uuid.UUID, by incidents.By, sev incidents.Severity) error {
	return change(l.svc.SetSeverity(ctx, id, by, sev))
}

func (l *lifecycle) setCommander(ctx context.Context, id uuid.UUID, by incidents.By, user string) error {
	return change(l.svc.SetCommander(ctx, id, by, user))
}

// snooze answers the reminder's Snooze button; its value carries the
// reminder's cycle, so a Snooze on an outdated reminder is refused.
func (l *lifecycle) snooze(ctx context.Context, b button) error {
	_, extra, _ := strings.Cut(b.act.Value, "|")
	cycle, _ := time.Parse(time.RFC3339Nano, extra)
	return change(l.svc.Snooze(ctx, b.inc.ID, b.by, cycle))
}

// SetStatus moves the incident through its lifecycle; a resolution can
// bring the postmortem draft at once (POSTMORTEM_ON_RESOLVE).
func (l *lifecycle) SetStatus(ctx context.Context, o Origin, id uuid.UUID, by incidents.By, next incidents.Status, note string) error {
	inc, err := l.svc.SetStatus(ctx, id, by, next, note)
	if errors.Is(err, incidents.ErrDuplicate) {
		return nil
	}
	if err != nil || next != incidents.StatusResolved {
		return err
	}
	l.postmortems.onResolved(ctx, o, inc)
	return nil
}

// status answers /incident status with a summary and the latest events.
func (l *lifecycle) status(ctx context.Context, o Origin, inc incidents.Incident) error {
	tl, err := l.svc.Timeline(ctx, inc.ID)
	if err != nil {
		return err
	}
	l.reply.ephemeral(ctx, o, l.render.Summary(inc, l.svc.Now(), lastN(tl, 5)))
	return nil
}

// list answers /incident list, pointing at incidents whose set-up is not
// complete.
func (l *lifecycle) list(ctx context.Context, o Origin) error {
	incs, err := l.svc.List(ctx, incidents.ListFilter{OpenOnly: true})
	if err != nil {
		return err
	}
	text := l.render.List(incs, l.svc.Now())
	var broken []string
	for _, inc := range incs {
		if inc.ChannelID == "" || inc.HeaderTS == "" {
			broken = append(broken, fmt.Sprintf("%s (`/incident repair %d`)", inc.Ref(), inc.Number))
		}
	}
	if len(broken) > 0 {
		text += ":construction: Set-up not complete: " + strings.Join(broken, ", ") + "\n"
	}
	l.reply.ephemeral(ctx, o, text)
	return nil
}

// repair finishes the set-up of the incident named (or of this channel's)
// and retries its steps that failed.
func (l *lifecycle) repair(ctx context.Context, o Origin, number string) error {
	var inc incidents.Incident
	var err error
	if number == "" {
		inc, err = l.incidentHere(ctx, o.Channel)
		if err != nil {
			return incidents.Errorf(incidents.ENOTFOUND, "Name the incident: `/incident repair 12` (`/incident list` shows the numbers).")
		}
	} else {
		n, _ := strconv.ParseInt(number, 10, 64)
		if inc, err = l.svc.ByNumber(ctx, n); err != nil {
			return err
		}
	}
	rep, err := l.svc.Repair(ctx, inc.ID, true)
	if err != nil {
		return err
	}
	l.reply.ephemeral(ctx, o, rep.Say(inc))
	return nil
}
