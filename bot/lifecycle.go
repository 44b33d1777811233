package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/incident-bot/incident-bot/incidents"
)

// maxNameAttempts bounds the -2, -3 … retries after name_taken.
const maxNameAttempts = 20

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
		log.Info("declaration already handled; not repeating it", zap.String("key", d.Key))
		return nil
	}
	a.m.Declared.WithLabelValues(inc.Severity.String()).Inc()
	log.Info("incident declared", zap.String("severity", inc.Severity.String()), zap.String("reporter", inc.Reporter))

	var failed []string
	note := func(step string, err error) {
		code := SlackErrorCode(err)
		log.Warn("slack step failed", zap.String("step", step), zap.String("slack_error", code))
		if rerr := a.svc.RecordFailure(ctx, inc.ID, step, code); rerr != nil {
			log.Error("could not record failed step", zap.Error(rerr))
		}
		failed = append(failed, fmt.Sprintf("• could not %s: %s", step, DescribeSlackError(code)))
	}

	ch, err := a.createChannel(ctx, inc)
	if err != nil {
		note("create the incident channel", err)
	} else if inc, err = a.svc.AttachChannel(ctx, inc.ID, ch.ID, ch.Name); err != nil {
		return fmt.Errorf("attach channel: %w", err)
	}
	if inc.ChannelID != "" {
		if _, err := a.api.SetTopicOfConversationContext(ctx, inc.ChannelID, a.render.Topic(inc)); err != nil {
			note("set the channel topic", err)
		}
		if err := a.inviteErr(ctx, inc, inc.Reporter); err != nil {
			note("invite you to the channel", err)
		}
		text, blocks := a.render.Header(inc)
		_, ts, err := a.api.PostMessageContext(ctx, inc.ChannelID, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
		if err != nil {
			note("post the incident header", err)
		} else if inc, err = a.svc.SetHeader(ctx, inc.ID, ts); err != nil {
			return fmt.Errorf("remember header: %w", err)
		}
	}
	if a.announce != "" {
		if _, _, err := a.api.PostMessageContext(ctx, a.announce, slack.MsgOptionText(a.render.Announcement(inc), false)); err != nil {
			note("announce it in the incidents channel", err)
		}
	}
	if len(failed) > 0 {
		where := "It has no channel."
		if inc.ChannelID != "" {
			where = "Its channel is <#" + inc.ChannelID + ">."
		}
		a.reply.ephemeral(ctx, o, fmt.Sprintf(":warning: Incident %s is recorded. %s But:\n%s", inc.Ref(), where, strings.Join(failed, "\n")))
	}
	return nil
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

func (a *App) inviteErr(ctx context.Context, inc incidents.Incident, user string) error {
	if user == "" || user == a.botUser || inc.ChannelID == "" {
		return nil
	}
	_, err := a.api.InviteUsersToConversationContext(ctx, inc.ChannelID, user)
	if code := SlackErrorCode(err); code == "already_in_channel" || code == "cant_invite_self" {
		return nil
	}
	return err
}

func (a *App) invite(ctx context.Context, inc incidents.Incident, user string) {
	if err := a.inviteErr(ctx, inc, user); err != nil {
		a.log.Warn("invite failed", zap.String("incident_id", inc.ID.String()), zap.String("slack_error", SlackErrorCode(err)))
		_ = a.svc.RecordFailure(ctx, inc.ID, "invite <@"+user+">", SlackErrorCode(err))
	}
}

// PostUpdate records a status update and posts it in the incident channel.
func (a *App) PostUpdate(ctx context.Context, o Origin, id uuid.UUID, text string) error {
	inc, err := a.svc.PostUpdate(ctx, id, o.User, text)
	if err != nil {
		return err
	}
	fallback, blocks := a.render.StatusUpdate(inc, o.User, text)
	a.post(ctx, o, inc, fallback, blocks...)
	return nil
}

// SetStatus moves the incident through its lifecycle and tells the channel;
// a resolution is also announced in the incidents channel.
func (a *App) SetStatus(ctx context.Context, o Origin, id uuid.UUID, next incidents.Status, note string) error {
	inc, err := a.change(ctx, o, func() (incidents.Incident, error) { return a.svc.SetStatus(ctx, id, o.User, next, note) },
		func(inc incidents.Incident) string {
			var s string
			switch next {
			case incidents.StatusMitigated:
				s = fmt.Sprintf(":adhesive_bandage: <@%s> marked the incident *mitigated*", o.User)
			case incidents.StatusResolved:
				s = fmt.Sprintf(":white_check_mark: <@%s> *resolved* the incident after %s", o.User, HumanDuration(inc.Duration(inc.ResolvedAt)))
			default:
				s = fmt.Sprintf(":mag: <@%s> moved the incident back to *investigating*", o.User)
			}
			if note != "" {
				s += ": " + Quiet(note)
			}
			return s
		})
	if err == nil && next == incidents.StatusResolved && a.announce != "" {
		if _, _, perr := a.api.PostMessageContext(ctx, a.announce, slack.MsgOptionText(a.render.ResolvedAnnouncement(inc), false)); perr != nil {
			a.log.Warn("resolution announcement failed", zap.String("slack_error", SlackErrorCode(perr)))
		}
	}
	return err
}

// change applies a domain change, then posts notice(inc) in the channel and
// refreshes the topic and header so they never show stale state.
func (a *App) change(ctx context.Context, o Origin, apply func() (incidents.Incident, error), notice func(incidents.Incident) string) (incidents.Incident, error) {
	inc, err := apply()
	if err != nil {
		return inc, err
	}
	a.post(ctx, o, inc, notice(inc))
	a.refresh(ctx, inc)
	return inc, nil
}

// post writes a message in the incident channel; if Slack refuses, the
// user is told (the change itself is already recorded).
func (a *App) post(ctx context.Context, o Origin, inc incidents.Incident, text string, blocks ...slack.Block) {
	if inc.ChannelID == "" {
		return
	}
	opts := []slack.MsgOption{slack.MsgOptionText(text, false)}
	if len(blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(blocks...))
	}
	if _, _, err := a.api.PostMessageContext(ctx, inc.ChannelID, opts...); err != nil {
		code := SlackErrorCode(err)
		a.log.Warn("post to incident channel failed", zap.String("incident_id", inc.ID.String()), zap.String("slack_error", code))
		a.reply.ephemeral(ctx, o, fmt.Sprintf(":warning: Recorded, but I could not post in the channel: %s", DescribeSlackError(code)))
	}
}

// refresh brings the topic and header message up to date.
func (a *App) refresh(ctx context.Context, inc incidents.Incident) {
	if inc.ChannelID == "" {
		return
	}
	if _, err := a.api.SetTopicOfConversationContext(ctx, inc.ChannelID, a.render.Topic(inc)); err != nil {
		a.log.Warn("topic update failed", zap.String("incident_id", inc.ID.String()), zap.String("slack_error", SlackErrorCode(err)))
	}
	if inc.HeaderTS == "" {
		return
	}
	text, blocks := a.render.Header(inc)
	if _, _, _, err := a.api.UpdateMessageContext(ctx, inc.ChannelID, inc.HeaderTS, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...)); err != nil {
		a.log.Warn("header update failed", zap.String("incident_id", inc.ID.String()), zap.String("slack_error", SlackErrorCode(err)))
	}
}
