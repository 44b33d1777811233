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
	Pool    *Pool
	Logger  *zap.Logger
	Metrics *Metrics
}

// Listener owns the socket-mode connection: it acknowledges every envelope
// at once, drops redeliveries, and hands the work to the pool.
type Listener struct {
	sm        *socketmode.Client
	app       *App
	pool      *Pool
	log       *zap.Logger
	m         *Metrics
	seen      *recent
	connected atomic.Bool
}

// NewListener builds the socket-mode client around an existing Web API client.
func NewListener(opts ListenerOptions) (*Listener, error) {
	if opts.Client == nil || opts.App == nil || opts.Pool == nil || opts.Metrics == nil || opts.Logger == nil {
		return nil, errors.New("bot: listener needs a client, app, pool, metrics and logger")
	}
	return &Listener{
		sm:  socketmode.New(opts.Client, socketmode.OptionLog(zap.NewStdLog(opts.Logger.Named("socketmode")))),
		app: opts.App, pool: opts.Pool,
		log: opts.Logger, m: opts.Metrics, seen: newRecent(8192),
	}, nil
}

// Connected reports whether the socket is up (hello received, no
// reconnection under way). /readyz reads it.
func (l *Listener) Connected() bool { return l.connected.Load() }

// Run connects and serves until ctx ends (returns nil) or Slack refuses the
// app token for good (returns the error). Disconnects and network loss
// reconnect by themselves.
func (l *Listener) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- l.sm.RunContext(ctx) }()
	defer l.setConnected(false)
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-runErr:
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("socket mode stopped: %w", err)
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
	case socketmode.EventTypeConnectionError:
		l.setConnected(false)
		if e, ok := evt.Data.(*slack.ConnectionErrorEvent); ok {
			l.log.Warn("socket mode connection failed; retrying", zap.Int("attempt", e.Attempt), zap.Duration("backoff", e.Backoff), zap.Error(e.ErrorObj))
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

// envelope acknowledges a request-bearing envelope at once and queues its
// work. A redelivered envelope is acknowledged again but not run again.
func (l *Listener) envelope(ctx context.Context, evt socketmode.Event) {
	start := time.Now()
	req := evt.Request
	if req == nil {
		return
	}
	l.m.Envelopes.WithLabelValues(req.Type).Inc()
	if !l.seen.add(req.EnvelopeID) {
		l.m.Duplicates.Inc()
		l.ack(ctx, req, nil, start)
		return
	}
	var payload any
	switch data := evt.Data.(type) {
	case slack.SlashCommand:
		payload = l.slashCommand(data)
	case slack.InteractionCallback:
		payload = l.interaction(data)
	case slackevents.EventsAPIEvent:
		l.event(data)
	}
	if !req.AcceptsResponsePayload {
		payload = nil
	}
	l.ack(ctx, req, payload, start)
}

// event hands a message posted in an alert channel to the alert router.
// Other events are only acknowledged.
func (l *Listener) event(ev slackevents.EventsAPIEvent) {
	msg, ok := ev.InnerEvent.Data.(*slackevents.MessageEvent)
	if !ok || !l.app.isAlertChannel(msg.Channel) {
		return
	}
	if !l.pool.Submit(func(ctx context.Context) { l.app.alertMessage(ctx, msg) }) {
		// The event is acknowledged and will not come again: an alert
		// must not be lost to a full queue. Slack's per-channel rate
		// bounds how many of these can pile up.
		l.log.Warn("queue full: reading an alert channel message outside the pool", zap.String("channel", msg.Channel))
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			l.app.alertMessage(ctx, msg)
		}()
	}
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

const busyText = ":hourglass: The bot is overloaded right now and did not take that; please try again in a few seconds."

func (l *Listener) slashCommand(cmd slack.SlashCommand) any {
	p := Parse(cmd.Text)
	if p.Reply != "" {
		return ephemeralAck{"ephemeral", p.Reply}
	}
	c := p.Command
	if c.Verb == VerbHelp {
		return ephemeralAck{"ephemeral", HelpText()}
	}
	o := Origin{User: cmd.UserID, Channel: cmd.ChannelID, TriggerID: cmd.TriggerID, ResponseURL: cmd.ResponseURL}
	if !l.pool.Submit(func(ctx context.Context) { l.app.RunCommand(ctx, o, c) }) {
		return ephemeralAck{"ephemeral", busyText}
	}
	if c.Verb == VerbStart && c.Text != "" {
		sev := c.Severity
		if sev == 0 {
			sev = incidents.DefaultSeverity
		}
		return ephemeralAck{"ephemeral", fmt.Sprintf(":rotating_light: Declaring a *%s* incident: %s — you will be invited to its channel.", sev.Label(), Quiet(c.Text))}
	}
	return nil
}

func (l *Listener) interaction(cb slack.InteractionCallback) any {
	o := Origin{User: cb.User.ID, Channel: cb.Channel.ID, TriggerID: cb.TriggerID, ResponseURL: cb.ResponseURL, MessageTS: cb.Container.MessageTs}
	if o.Channel == "" {
		o.Channel = cb.Container.ChannelID
	}
	if o.MessageTS == "" {
		o.MessageTS = cb.Message.Timestamp
	}
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
		for _, act := range cb.ActionCallback.BlockActions {
			act := *act
			if !l.pool.Submit(func(ctx context.Context) { l.app.RunAction(ctx, o, act) }) {
				l.log.Warn("dropped a button click: queue full", zap.String("action_id", act.ActionID))
				go l.app.tellBusy(o) // not on the loop: it makes an HTTP call
			}
		}
	case slack.InteractionTypeViewSubmission:
		if errs := ValidateSubmission(cb.View); errs != nil {
			return slack.NewErrorsViewSubmissionResponse(errs)
		}
		view, user := cb.View, cb.User.ID
		if !l.pool.Submit(func(ctx context.Context) { l.app.RunSubmission(ctx, user, view) }) {
			return slack.NewErrorsViewSubmissionResponse(map[string]string{firstBlock(view): "The bot is overloaded; submit again in a few seconds."})
		}
	}
	return nil
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
