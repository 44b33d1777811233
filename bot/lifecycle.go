package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/incident-bot/incident-bot/incidents"
)

// maxNameAttempts bounds the -2, -3 … retries after name_taken.
const maxNameAttempts = 20

// failures collects the Slack steps that did not happen during one
// request, each already recorded in the timeline, to tell the user once.
type failures []string

func (f failures) report(a *App, ctx context.Context, o Origin, intro string) {
	if len(f) == 0 {
		return
	}
	rctx, cancel := detached(ctx)
	defer cancel()
	a.reply.ephemeral(rctx, o, ":warning: "+intro+" But:\n"+strings.Join(f, "\n"))
}

// stepFailed records in the incident's timeline that a Slack step did not
// happen and returns the line to show the user. It runs on a detached
// context: a job that ran out of time must still leave the record right.
func (a *App) stepFailed(ctx context.Context, inc incidents.Incident, step string, err error, f *failures) {
	code := SlackErrorCode(err)
	a.log.Warn("slack step failed", zap.String("incident_id", inc.ID.String()), zap.String("step", step), zap.String("slack_error", code))
	rctx, cancel := detached(ctx)
	defer cancel()
	if rerr := a.svc.RecordFailure(rctx, inc.ID, step, code); rerr != nil {
		a.log.Error("could not record a failed step", zap.String("incident_id", inc.ID.String()), zap.Error(rerr))
	}
	*f = append(*f, fmt.Sprintf("• could not %s: %s", step, DescribeSlackError(code)))
}

// Declare records the incident first — so nothing is lost whatever Slack
// does next — then creates its channel, sets the topic, invites the
// reporter, posts the header and announces it. Each Slack step that fails
// is recorded in the timeline and reported to the user; later steps that do
// not depend on it still run.
func (a *App) Declare(ctx context.Context, o Origin, d incidents.Declaration) error {
	inc, created, err := a.svc.Declare(ctx, d)
	if err != nil {
		return err
	}
	log := a.log.With(zap.String("incident_id", inc.ID.String()), zap.Int64("incident", inc.Number))
	if !created {
		log.Info("declaration already handled; not repeating it")
		return nil
	}
	a.setup(ctx, o, inc, a.suggestRunbook)
	return nil
}

// setup gives a recorded incident its Slack presence: channel, topic,
// reporter invited, header, runbook card (posted by runbook) and the
// announcement. Failed steps are recorded and reported to o.
func (a *App) setup(ctx context.Context, o Origin, inc incidents.Incident, runbook func(context.Context, incidents.Incident, *failures)) {
	log := a.log.With(zap.String("incident_id", inc.ID.String()), zap.Int64("incident", inc.Number))
	// Commands typed in the new channel wait until the header exists.
	defer a.lock(inc.ID)()
	a.m.Declared.WithLabelValues(inc.Severity.String()).Inc()
	log.Info("incident declared", zap.String("severity", inc.Severity.String()), zap.String("reporter", inc.Reporter))

	var failed failures
	ch, err := a.createChannel(ctx, inc)
	if err != nil {
		a.stepFailed(ctx, inc, "create the incident channel", err, &failed)
	} else if attached, err := a.svc.AttachChannel(ctx, inc.ID, ch.ID, ch.Name); err != nil {
		log.Error("could not link the new channel to the incident", zap.String("channel", ch.ID), zap.Error(err))
		failed = append(failed, fmt.Sprintf("• I created <#%s> but could not record it as this incident's channel (ref `%s`); commands there will not find the incident", ch.ID, inc.ID))
	} else {
		inc = attached
	}
	if inc.ChannelID != "" {
		if _, err := a.api.SetTopicOfConversationContext(ctx, inc.ChannelID, a.render.Topic(inc)); err != nil {
			a.stepFailed(ctx, inc, "set the channel topic", err, &failed)
		}
		if err := a.invite(ctx, inc, inc.Reporter); err != nil {
			a.stepFailed(ctx, inc, "invite <@"+inc.Reporter+"> to the channel", err, &failed)
		}
		text, blocks := a.render.Header(inc)
		_, ts, err := a.api.PostMessageContext(ctx, inc.ChannelID, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
		if err != nil {
			a.stepFailed(ctx, inc, "post the incident header", err, &failed)
		} else if withHeader, err := a.svc.SetHeader(ctx, inc.ID, ts); err != nil {
			log.Error("could not remember the header message; it will not be kept current", zap.Error(err))
		} else {
			inc = withHeader
		}
		runbook(ctx, inc, &failed)
	}
	a.announceMsg(ctx, inc, a.render.Announcement(inc), &failed)
	where := "It has no channel."
	if inc.ChannelID != "" {
		where = "Its channel is <#" + inc.ChannelID + ">."
	}
	failed.report(a, ctx, o, fmt.Sprintf("Incident %s is recorded. %s", inc.Ref(), where))
}

// createChannel tries inc-YYYYMMDD-slug, then -2, -3 … while the name is taken.
func (a *App) createChannel(ctx context.Context, inc incidents.Incident) (*slack.Channel, error) {
	day := inc.DeclaredAt.In(a.render.Location)
	var err error
	for attempt := 1; attempt <= maxNameAttempts; attempt++ {
		name := ChannelName(a.prefix, day, Unescape(inc.Title), attempt)
		var ch *slack.Channel
		ch, err = a.api.CreateConversationContext(ctx, slack.CreateConversationParams{ChannelName: name})
		if err == nil {
			return ch, nil
		}
		if SlackErrorCode(err) != "name_taken" {
			return nil, err
		}
	}
	return nil, err
}

// invite adds user to the incident channel; already being there is fine.
func (a *App) invite(ctx context.Context, inc incidents.Incident, user string) error {
	if user == "" || user == a.botUser || inc.ChannelID == "" {
		return nil
	}
	_, err := a.api.InviteUsersToConversationContext(ctx, inc.ChannelID, user)
	if code := SlackErrorCode(err); code == "already_in_channel" || code == "cant_invite_self" {
		return nil
	}
	return err
}

// announceMsg posts text in INCIDENTS_CHANNEL, when one is configured.
func (a *App) announceMsg(ctx context.Context, inc incidents.Incident, text string, f *failures) {
	if a.announce == "" {
		return
	}
	if _, _, err := a.api.PostMessageContext(ctx, a.announce, slack.MsgOptionText(text, false)); err != nil {
		a.stepFailed(ctx, inc, "announce it in the incidents channel", err, f)
	}
}

// PostUpdate records a status update and posts it in the incident channel.
func (a *App) PostUpdate(ctx context.Context, o Origin, id uuid.UUID, by incidents.By, text string) error {
	return a.change(ctx, o, id, func() (incidents.Incident, error) { return a.svc.PostUpdate(ctx, id, by, text) },
		func(_, inc incidents.Incident) (string, []slack.Block) {
			return a.render.StatusUpdate(inc, by.User, text)
		})
}

// SetStatus moves the incident through its lifecycle and tells the channel;
// a resolution is also announced in the incidents channel.
func (a *App) SetStatus(ctx context.Context, o Origin, id uuid.UUID, by incidents.By, next incidents.Status, note string) error {
	err := a.change(ctx, o, id, func() (incidents.Incident, error) { return a.svc.SetStatus(ctx, id, by, next, note) },
		func(_, inc incidents.Incident) (string, []slack.Block) {
			var s string
			switch next {
			case incidents.StatusMitigated:
				s = fmt.Sprintf(":adhesive_bandage: <@%s> marked the incident *mitigated*", by.User)
			case incidents.StatusResolved:
				s = fmt.Sprintf(":white_check_mark: <@%s> *resolved* the incident after %s", by.User, HumanDuration(inc.Duration(inc.ResolvedAt)))
			default:
				s = fmt.Sprintf(":mag: <@%s> moved the incident back to *investigating*", by.User)
			}
			if note != "" {
				s += ": " + Quiet(note)
			}
			if next != incidents.StatusResolved {
				return s, nil
			}
			// The resolution message leads to the postmortem.
			return s, []slack.Block{
				slack.NewSectionBlock(mrkdwn(s), nil, nil),
				slack.NewActionBlock("incident_resolved_actions",
					slack.NewButtonBlockElement(ActionPostmortem, inc.ID.String(), plain("Postmortem draft")).WithStyle(slack.StylePrimary),
					slack.NewButtonBlockElement(ActionAddItem, inc.ID.String(), plain("Add action item"))),
			}
		})
	if err == nil && next == incidents.StatusResolved && a.autoPostmortem {
		if inc, gerr := a.svc.Store().Get(ctx, id); gerr == nil && inc.ChannelID != "" {
			po := Origin{User: o.User, Channel: inc.ChannelID, ResponseURL: o.ResponseURL}
			if perr := a.Postmortem(ctx, po); perr != nil {
				a.fail(ctx, po, perr)
			}
		}
	}
	return err
}

// SetSeverity changes the severity and tells the channel.
func (a *App) SetSeverity(ctx context.Context, o Origin, id uuid.UUID, by incidents.By, sev incidents.Severity) error {
	return a.change(ctx, o, id, func() (incidents.Incident, error) { return a.svc.SetSeverity(ctx, id, by, sev) },
		func(before, after incidents.Incident) (string, []slack.Block) {
			return fmt.Sprintf(":arrows_counterclockwise: <@%s> changed the severity from %s to *%s*", by.User, before.Severity.Label(), after.Severity.Label()), nil
		})
}

// SetCommander hands over command, inviting the new commander.
func (a *App) SetCommander(ctx context.Context, o Origin, id uuid.UUID, by incidents.By, user string) error {
	return a.change(ctx, o, id, func() (incidents.Incident, error) { return a.svc.SetCommander(ctx, id, by, user) },
		func(before, after incidents.Incident) (string, []slack.Block) {
			return fmt.Sprintf(":saluting_face: <@%s> is now the incident commander (handed over by <@%s>)", user, by.User), nil
		})
}

// change applies a domain change under the incident's lock, then invites a
// new commander, posts the notice in the channel, refreshes the topic and
// header, and announces a resolution. A change Slack delivered twice
// (same key) does nothing the second time. Every Slack step that fails is
// recorded in the timeline and reported to the user.
func (a *App) change(ctx context.Context, o Origin, id uuid.UUID, apply func() (incidents.Incident, error),
	notice func(before, after incidents.Incident) (string, []slack.Block)) error {
	defer a.lock(id)()
	before, err := a.svc.Store().Get(ctx, id)
	if err != nil {
		return err
	}
	after, err := apply()
	if errors.Is(err, incidents.ErrDuplicate) {
		a.log.Info("change already made for this request; not repeating it", zap.String("incident_id", id.String()))
		return nil
	}
	if err != nil {
		return err
	}
	var failed failures
	if after.Commander != before.Commander {
		if err := a.invite(ctx, after, after.Commander); err != nil {
			a.stepFailed(ctx, after, "invite <@"+after.Commander+"> to the channel", err, &failed)
		}
	}
	if after.ChannelID != "" {
		text, blocks := notice(before, after)
		opts := []slack.MsgOption{slack.MsgOptionText(text, false)}
		if len(blocks) > 0 {
			opts = append(opts, slack.MsgOptionBlocks(blocks...))
		}
		if _, _, err := a.api.PostMessageContext(ctx, after.ChannelID, opts...); err != nil {
			a.stepFailed(ctx, after, "post in the incident channel", err, &failed)
		}
		if shownChanged(before, after) {
			a.refresh(ctx, after, &failed)
		}
	}
	if after.Status == incidents.StatusResolved && before.Status != incidents.StatusResolved {
		a.announceMsg(ctx, after, a.render.ResolvedAnnouncement(after), &failed)
	}
	failed.report(a, ctx, o, "Recorded.")
	return nil
}

// shownChanged reports whether anything the topic or header shows changed.
func shownChanged(before, after incidents.Incident) bool {
	return before.Severity != after.Severity || before.Status != after.Status || before.Commander != after.Commander ||
		before.Title != after.Title || before.Summary != after.Summary || !before.ResolvedAt.Equal(after.ResolvedAt)
}

// refresh brings the topic and header message up to date with inc, which
// the caller read under the incident's lock.
func (a *App) refresh(ctx context.Context, inc incidents.Incident, f *failures) {
	if _, err := a.api.SetTopicOfConversationContext(ctx, inc.ChannelID, a.render.Topic(inc)); err != nil {
		a.stepFailed(ctx, inc, "update the channel topic", err, f)
	}
	if inc.HeaderTS == "" {
		return
	}
	text, blocks := a.render.Header(inc)
	if _, _, _, err := a.api.UpdateMessageContext(ctx, inc.ChannelID, inc.HeaderTS, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...)); err != nil {
		a.stepFailed(ctx, inc, "update the header message", err, f)
	}
}

// Snooze puts the update reminder off once and says so in the channel.
func (a *App) Snooze(ctx context.Context, o Origin, id uuid.UUID, by incidents.By, cycle time.Time) error {
	return a.change(ctx, o, id, func() (incidents.Incident, error) { return a.svc.Snooze(ctx, id, by, cycle) },
		func(_, inc incidents.Incident) (string, []slack.Block) {
			return fmt.Sprintf(":zzz: <@%s> snoozed the update reminder until %s", by.User, inc.RemindAt.In(a.render.Location).Format("15:04")), nil
		})
}
