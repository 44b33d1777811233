package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
	"go.uber.org/zap"

	"github.com/incident-bot/incident-bot/incidents"
)

// ListenerOptions configures NewListener.
type ListenerOptions struct {
	Client  *slack.Client // built by NewClient with the app-level token
	App     *App
	Inbox   *Inbox
	Logger  *zap.Logger
	Metrics *Metrics
}

// Listener owns the socket-mode connection: it answers what needs no work
// in the acknowledgement itself, and acknowledges an envelope that asks
// for work only once the inbox has stored it.
type Listener struct {
	sm        *socketmode.Client
	app       *App
	inbox     *Inbox
	log       *zap.Logger
	m         *Metrics
	connected atomic.Bool
	restart   chan struct{} // the reconnection backoff grew past its cap
}

// NewListener builds the socket-mode client around an existing Web API client.
func NewListener(opts ListenerOptions) (*Listener, error) {
	if opts.Client == nil || opts.App == nil || opts.Inbox == nil || opts.Metrics == nil || opts.Logger == nil {
		return nil, errors.New("bot: listener needs a client, app, inbox, metrics and logger")
	}
	return &Listener{
		sm:  socketmode.New(opts.Client, socketmode.OptionLog(zap.NewStdLog(opts.Logger.Named("socketmode")))),
		app: opts.App, inbox: opts.Inbox,
		log: opts.Logger, m: opts.Metrics, restart: make(chan struct{}, 1),
	}, nil
}

// Connected reports whether the socket is up (hello received, no
// reconnection under way). /readyz reads it.
func (l *Listener) Connected() bool { return l.connected.Load() }

// maxReconnectWait caps the wait between two connection attempts:
// slack-go's own backoff doubles up to five minutes, which would leave the
// bot deaf for minutes after Slack is back.
const maxReconnectWait = 10 * time.Second

// Run connects and serves until ctx ends (returns nil) or Slack refuses the
// app token for good (returns the error). Disconnects and network loss
// reconnect by themselves, never waiting more than maxReconnectWait
// between attempts (unless Slack asks for longer with a Retry-After).
func (l *Listener) Run(ctx context.Context) error {
	defer l.setConnected(false)
	for {
		rctx, cancel := context.WithCancel(ctx)
		runErr := make(chan error, 1)
		go func() { runErr <- l.sm.RunContext(rctx) }()
		err, restart := l.serve(ctx, runErr)
		cancel()
		if !restart {
			return err
		}
		<-runErr // the old run has stopped before a new one starts
		if sleep(ctx, maxReconnectWait) != nil {
			return nil
		}
	}
}

// serve handles events until the run ends, ctx ends, or the backoff passes
// its cap (restart: start a new run with a fresh backoff).
func (l *Listener) serve(ctx context.Context, runErr chan error) (error, bool) {
	for {
		select {
		case <-ctx.Done():
			return nil, false
		case err := <-runErr:
			if ctx.Err() != nil {
				return nil, false
			}
			return fmt.Errorf("socket mode stopped: %w", err), false
		case <-l.restart:
			l.log.Info("socket mode backoff passed its cap; reconnecting afresh", zap.Duration("in", maxReconnectWait))
			return nil, true
		case evt := <-l.sm.Events:
			l.handle(ctx, evt)
		}
	}
}

func (l *Listener) setConnected(v bool) {
	l.connected.Store(v)
	if v {
		l.m.Connected.Set(1)
	} else {
		l.m.Connected.Set(0)
	}
}

func (l *Listener) handle(ctx context.Context, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		l.setConnected(false)
	case socketmode.EventTypeConnected:
		if c, ok := evt.Data.(*socketmode.ConnectedEvent); ok && c.ConnectionCount > 0 {
			l.m.Reconnects.Inc()
		}
	case socketmode.EventTypeHello:
		l.setConnected(true)
		l.log.Info("socket mode connected")
		l.app.heard(ctx) // events Slack could not deliver meanwhile may be lost
	case socketmode.EventTypeConnectionError:
		l.setConnected(false)
		if e, ok := evt.Data.(*slack.ConnectionErrorEvent); ok {
			l.log.Warn("socket mode connection failed; retrying", zap.Int("attempt", e.Attempt), zap.Duration("backoff", e.Backoff), zap.Error(e.ErrorObj))
			if _, limited := errors.AsType[*slack.RateLimitedError](e.ErrorObj); e.Backoff > maxReconnectWait && !limited {
				select {
				case l.restart <- struct{}{}:
				default:
				}
			}
		}
	case socketmode.EventTypeInvalidAuth:
		l.log.Error("Slack rejected SLACK_APP_TOKEN (invalid auth)")
	case socketmode.EventTypeIncomingError, socketmode.EventTypeErrorWriteFailed:
		l.log.Warn("socket mode error", zap.String("type", string(evt.Type)))
	case socketmode.EventTypeErrorBadMessage:
		l.badMessage(ctx, evt)
	case socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive, socketmode.EventTypeEventsAPI:
		l.envelope(ctx, evt)
	}
}

// envelope answers a request-bearing envelope. What needs no work (help,
// a parse error, a form with mistakes, an event neither an alert nor a
// change to a channel's messages) is answered in the acknowledgement at
// once; what needs work is
// acknowledged once the inbox has stored it. A redelivered envelope is
// stored once and acknowledged again.
func (l *Listener) envelope(ctx context.Context, evt socketmode.Event) {
	start := time.Now()
	req := evt.Request
	if req == nil {
		return
	}
	l.m.Envelopes.WithLabelValues(req.Type).Inc()
	var (
		payload any
		work    bool
		failed  any // the acknowledgement when the work could not be stored
	)
	switch data := evt.Data.(type) {
	case slack.SlashCommand:
		payload, work = slashAck(data)
		failed = ephemeralAck{"ephemeral", notRecordedText}
	case slack.InteractionCallback:
		payload, work = interactionAck(data)
		if data.Type == slack.InteractionTypeViewSubmission {
			failed = slack.NewErrorsViewSubmissionResponse(map[string]string{firstBlock(data.View): notRecordedText})
		}
	case slackevents.EventsAPIEvent:
		work = l.isAlert(data) || l.app.capturing(data)
	}
	if !req.AcceptsResponsePayload {
		payload, failed = nil, nil
	}
	if !work {
		l.ack(ctx, req, payload, start)
		return
	}
	// The acknowledgement is sent beside the intake, not by it: while the
	// socket reconnects an ack waits (up to ackTimeout), and the envelopes
	// behind it must still be stored meanwhile. It is sent even if the bot
	// is stopping: the envelope is stored, and an ack spares the person a
	// timeout error for work that will be done.
	actx := context.WithoutCancel(ctx)
	l.inbox.accept(req, start, func(stored bool) {
		switch {
		case stored:
			go l.ack(actx, req, payload, start)
		case req.Type == socketmode.RequestTypeEventsAPI:
			// Not acknowledged: Slack delivers the event again later.
		default:
			go l.ack(actx, req, failed, start)
			l.tellNotRecorded(evt)
		}
	})
}

// notRecordedText answers a request the store could not take.
const notRecordedText = ":warning: I could not record that (my database is not answering), so nothing was done. Please try again in a minute."

// isAlert says whether an event is a message in an alert channel (the
// other events with work to do change an incident channel: capture.go).
func (l *Listener) isAlert(ev slackevents.EventsAPIEvent) bool {
	msg, ok := ev.InnerEvent.Data.(*slackevents.MessageEvent)
	return ok && l.app.triage.isAlertChannel(msg.Channel)
}

// tellNotRecorded tells the person behind a button click that could not
// be recorded (a click's acknowledgement cannot carry a message).
func (l *Listener) tellNotRecorded(evt socketmode.Event) {
	cb, ok := evt.Data.(slack.InteractionCallback)
	if !ok || cb.Type != slack.InteractionTypeBlockActions {
		return
	}
	o := Origin{User: cb.User.ID, Channel: cb.Channel.ID, ResponseURL: cb.ResponseURL}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		l.app.reply.ephemeral(ctx, o, notRecordedText)
	}()
}

// ackTimeout bounds how long the loop waits to queue an ack. The queue only
// drains while connected; during a reconnect the loop must not block (it
// would stop slack-go from reconnecting), so an ack that cannot be queued
// is dropped and Slack redelivers the envelope, which is then recognised.
const ackTimeout = 2 * time.Second

func (l *Listener) ack(ctx context.Context, req *socketmode.Request, payload any, start time.Time) {
	actx, cancel := context.WithTimeout(ctx, ackTimeout)
	defer cancel()
	if err := l.sm.AckCtx(actx, req.EnvelopeID, payload); err != nil {
		l.log.Warn("ack not sent", zap.String("envelope_id", req.EnvelopeID), zap.Error(err))
		return
	}
	l.m.AckLatency.Observe(time.Since(start).Seconds())
}

// ephemeralAck is the response payload of a slash-command ack: Slack shows
// it to the user at once, with no Web API call.
type ephemeralAck struct {
	ResponseType string `json:"response_type"`
	Text         string `json:"text"`
}

// slashAck is the acknowledgement of a slash command and whether it has
// work to do: help and mistakes are answered here, with no job.
func slashAck(cmd slack.SlashCommand) (any, bool) {
	p := Parse(cmd.Text)
	if p.Reply != "" {
		return ephemeralAck{"ephemeral", p.Reply}, false
	}
	c := p.Command
	if c.Verb == VerbHelp {
		return ephemeralAck{"ephemeral", HelpText()}, false
	}
	if c.Verb == VerbChanges {
		// CloudTrail is read at two calls a second per account and region:
		// say something is happening.
		return ephemeralAck{"ephemeral", fmt.Sprintf(":hourglass_flowing_sand: Reading CloudTrail for the changes of the last %s…", windowText(c.Window))}, true
	}
	if c.Verb == VerbStart && c.Text != "" {
		sev := c.Severity
		if sev == 0 {
			sev = incidents.DefaultSeverity
		}
		return ephemeralAck{"ephemeral", fmt.Sprintf(":rotating_light: Declaring a *%s* incident: %s — you will be invited to its channel.", sev.Label(), Escape(c.Text))}, true
	}
	return nil, true
}

// interactionAck is the acknowledgement of a click or a form: a form with
// mistakes is answered next to its fields, with no job.
func interactionAck(cb slack.InteractionCallback) (any, bool) {
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
		return nil, len(cb.ActionCallback.BlockActions) > 0
	case slack.InteractionTypeViewSubmission:
		if errs := ValidateSubmission(cb.View); errs != nil {
			return slack.NewErrorsViewSubmissionResponse(errs), false
		}
		return nil, true
	}
	return nil, false
}

func firstBlock(v slack.View) string {
	if v.State == nil {
		return blockText
	}
	for id := range v.State.Values {
		return id
	}
	return blockText
}

// badMessage acknowledges an envelope slack-go could not parse, so Slack
// does not redeliver something that will never parse.
func (l *Listener) badMessage(ctx context.Context, evt socketmode.Event) {
	bad, ok := evt.Data.(*socketmode.ErrorBadMessage)
	if !ok {
		return
	}
	var env struct {
		EnvelopeID string `json:"envelope_id"`
		Type       string `json:"type"`
	}
	if json.Unmarshal(bad.Message, &env) != nil || env.EnvelopeID == "" {
		l.log.Warn("unreadable socket mode message", zap.Error(bad.Cause))
		return
	}
	l.log.Warn("acknowledging an envelope that could not be parsed", zap.String("envelope_id", env.EnvelopeID),
		zap.String("type", env.Type), zap.Error(bad.Cause))
	l.m.Envelopes.WithLabelValues("unparseable").Inc()
	l.ack(ctx, &socketmode.Request{EnvelopeID: env.EnvelopeID}, nil, time.Now())
}
