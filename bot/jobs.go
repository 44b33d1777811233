package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
	"go.uber.org/zap"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/internal/txt"
)

// jobFailure is a job's work that failed: the person to tell, and whether
// trying again could help.
type jobFailure struct {
	err   error
	tell  func(ctx context.Context, err error)
	retry bool
}

// unfinishedAttempts is how many attempts beyond MaxAttempts a job may
// have been claimed for without an outcome (the process died during each,
// or its long run was rechecked) before it is not run again: a request
// that kills the bot must not kill it at every start.
const unfinishedAttempts = 3

// runJob does one attempt at a job and records what became of it.
func (ib *Inbox) runJob(ctx context.Context, j incidents.Job) {
	jctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ib.opts.Timeout)
	defer cancel()
	log := ib.opts.Logger.With(zap.String("job", j.Key), zap.String("kind", j.Kind), zap.Int("attempt", j.Attempts))
	var f *jobFailure
	if j.Attempts > ib.opts.MaxAttempts+unfinishedAttempts {
		f = &jobFailure{err: fmt.Errorf("not run again after %d attempts that never finished", j.Attempts-1), tell: ib.opts.App.tellJob(j)}
	} else {
		f = ib.do(withLog(jctx, log), j)
	}
	s := incidents.Settlement{ID: j.ID, Outcome: incidents.Done}
	switch {
	case f == nil:
	case f.retry && j.Attempts < ib.opts.MaxAttempts:
		// The store away, a bug: back off and try again; after the last
		// attempt the person who asked is told, never left in silence.
		wait := min(ib.opts.RetryBase<<(j.Attempts-1), time.Minute)
		log.Warn("job failed; retrying", zap.Duration("in", wait), zap.Error(f.err))
		s.Outcome, s.NotBefore, s.Error = incidents.Retry, ib.opts.Now().Add(wait), f.err.Error()
	default:
		// Retries ran out, or the job cannot be done at all (a payload
		// that does not decode): recorded as failed, for the backlog's
		// failed count and whoever looks into it.
		log.Error("job failed for good", zap.Error(f.err))
		s.Outcome, s.Error = incidents.Failed, f.err.Error()
		if f.tell != nil {
			f.tell(jctx, f.err)
		}
	}
	ib.opts.Metrics.Jobs.WithLabelValues(j.Kind, string(s.Outcome)).Inc()
	ib.settled <- s
}

// settle records jobs' outcomes in batches: whatever finished while the
// last batch was written goes in the next, one transaction for many jobs
// instead of one each. A crash before a batch is written runs those jobs
// again; their keys keep the repeat harmless.
func (ib *Inbox) settle(ctx context.Context) {
	for s := range ib.settled {
		batch := []incidents.Settlement{s}
	more:
		for len(batch) < 256 {
			select {
			case s, ok := <-ib.settled:
				if !ok {
					break more
				}
				batch = append(batch, s)
			default:
				break more
			}
		}
		ib.record(ctx, batch)
	}
}

// record writes a batch of outcomes, trying a few times over a few
// seconds; after that the jobs stay claimed by this process, which claims
// them again within a minute and runs them again (their keys keep the
// repeat harmless).
func (ib *Inbox) record(ctx context.Context, batch []incidents.Settlement) {
	defer ib.forget(batch)
	wait := 100 * time.Millisecond
	for try := 1; ; try++ {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := ib.opts.Store.SettleJobs(sctx, batch)
		cancel()
		if err == nil {
			return
		}
		if try == 5 {
			ib.opts.Logger.Error("could not record jobs' outcomes; they will run again", zap.Int("jobs", len(batch)), zap.Error(err))
			return
		}
		time.Sleep(wait)
		wait *= 2
	}
}

// do decodes a job and runs its work; a panic is a failure to retry.
func (ib *Inbox) do(ctx context.Context, j incidents.Job) (f *jobFailure) {
	defer func() {
		if r := recover(); r != nil {
			ib.opts.Metrics.JobPanics.Inc()
			ib.opts.Logger.Error("job panicked", zap.String("job", j.Key), zap.Any("panic", r), zap.Stack("stack"))
			f = &jobFailure{err: fmt.Errorf("panic: %v", r), retry: true}
		}
	}()
	a := ib.opts.App
	switch j.Kind {
	case socketmode.RequestTypeSlashCommands:
		var cmd slack.SlashCommand
		if err := json.Unmarshal(j.Payload, &cmd); err != nil {
			return &jobFailure{err: fmt.Errorf("decode slash command: %w", err)}
		}
		return a.slashJob(withLog(ctx, a.logFor(ctx).With(zap.String("user", cmd.UserID), zap.String("channel", cmd.ChannelID),
			zap.String("command", commandWord(cmd.Text)))), cmd)
	case socketmode.RequestTypeInteractive:
		var cb slack.InteractionCallback
		if err := json.Unmarshal(j.Payload, &cb); err != nil {
			return &jobFailure{err: fmt.Errorf("decode interaction: %w", err)}
		}
		return a.interactionJob(withLog(ctx, a.logFor(ctx).With(zap.String("user", cb.User.ID), zap.String("channel", cb.Channel.ID),
			zap.String("action", interactionName(cb)))), cb)
	case socketmode.RequestTypeEventsAPI:
		ev, err := slackevents.ParseEvent(j.Payload, slackevents.OptionNoVerifyToken())
		if err != nil {
			return &jobFailure{err: fmt.Errorf("decode event: %w", err)}
		}
		if msg, ok := ev.InnerEvent.Data.(*slackevents.MessageEvent); ok && a.triage.isAlertChannel(msg.Channel) {
			if err := a.triage.alertMessage(ctx, msg); err != nil {
				return &jobFailure{err: err, retry: true}
			}
		}
		// Retried as a whole: the alert's delivery ID and the log's keys
		// keep the part done already from counting twice.
		if err := a.capture(ctx, ev); err != nil {
			return &jobFailure{err: err, retry: true}
		}
		return nil
	}
	return &jobFailure{err: fmt.Errorf("unknown job kind %q", j.Kind)}
}

// tellJob is how to tell the person who asked for a job that it failed,
// or nil when the job came from nobody (an alert message).
func (a *App) tellJob(j incidents.Job) func(context.Context, error) {
	var o Origin
	switch j.Kind {
	case socketmode.RequestTypeSlashCommands:
		var cmd slack.SlashCommand
		if json.Unmarshal(j.Payload, &cmd) != nil {
			return nil
		}
		o = Origin{User: cmd.UserID, Channel: cmd.ChannelID, ResponseURL: cmd.ResponseURL}
	case socketmode.RequestTypeInteractive:
		var cb slack.InteractionCallback
		if json.Unmarshal(j.Payload, &cb) != nil {
			return nil
		}
		o = Origin{User: cb.User.ID, Channel: cb.Channel.ID, ResponseURL: cb.ResponseURL}
	default:
		return nil
	}
	return func(ctx context.Context, err error) { a.fail(ctx, o, err) }
}

// outcome turns a handler's error into a job failure: a domain error is
// answered at once (trying again would give the same answer); an internal
// one is retried, and answered only when retries run out.
func (a *App) outcome(err error, o Origin) *jobFailure {
	if err == nil {
		return nil
	}
	tell := func(ctx context.Context, err error) { a.fail(ctx, o, err) }
	if incidents.ErrorCode(err) != incidents.EINTERNAL {
		tell(context.Background(), err)
		return nil
	}
	return &jobFailure{err: err, tell: tell, retry: true}
}

func (a *App) slashJob(ctx context.Context, cmd slack.SlashCommand) *jobFailure {
	p := Parse(cmd.Text)
	if p.Reply != "" || p.Command.Verb == VerbHelp {
		return nil // answered in the acknowledgement
	}
	o := Origin{User: cmd.UserID, Channel: cmd.ChannelID, TriggerID: cmd.TriggerID, ResponseURL: cmd.ResponseURL}
	return a.outcome(a.runCommand(ctx, o, p.Command), o)
}

func (a *App) interactionJob(ctx context.Context, cb slack.InteractionCallback) *jobFailure {
	o := Origin{User: cb.User.ID, Channel: cb.Channel.ID, TriggerID: cb.TriggerID, ResponseURL: cb.ResponseURL, MessageTS: cb.Container.MessageTs}
	if o.Channel == "" {
		o.Channel = cb.Container.ChannelID
	}
	if o.MessageTS == "" {
		o.MessageTS = cb.Message.Timestamp
	}
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
		var first *jobFailure
		for _, act := range cb.ActionCallback.BlockActions {
			if f := a.outcome(a.runAction(ctx, o, *act), o); f != nil && first == nil {
				first = f
			}
		}
		return first
	case slack.InteractionTypeViewSubmission:
		meta := decodeViewMeta(cb.View.PrivateMetadata)
		vo := Origin{User: cb.User.ID, Channel: meta.Channel, ResponseURL: meta.ResponseURL}
		return a.outcome(a.runSubmission(ctx, vo, cb.View, meta), vo)
	}
	return nil
}

// commandWord is the verb of an /incident command, for the log (never
// the rest: it is what people typed).
func commandWord(text string) string {
	if f := strings.Fields(text); len(f) > 0 {
		return txt.Clip(f[0], 20)
	}
	return "help"
}

// interactionName is the action ID of a click or the callback ID of a
// form, for the log.
func interactionName(cb slack.InteractionCallback) string {
	if len(cb.ActionCallback.BlockActions) > 0 {
		return cb.ActionCallback.BlockActions[0].ActionID
	}
	return cb.View.CallbackID
}
