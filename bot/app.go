package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/playbooks"
	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// AppOptions configures NewApp.
type AppOptions struct {
	Service *incidents.Service
	API     API
	HTTP    *http.Client // for response_url posts
	Logger  *zap.Logger
	Metrics *Metrics
	// IncidentsChannel is where every new incident is announced; empty
	// disables announcements.
	IncidentsChannel string
	ChannelPrefix    string         // default "inc"
	Location         *time.Location // display time zone; default UTC
	BotUserID        string         // never invited to its own channels
	// Catalog holds the playbooks; nil means no runbook cards.
	Catalog *playbooks.Catalog
	// Executor runs the cards' actions; nil (no targets file) means the
	// buttons explain that they cannot run.
	Executor *actions.Executor
	// KeyEmoji marks a message as a key event for the postmortem
	// (default "key"; pinned messages always are).
	KeyEmoji string
	// PostmortemGap marks silences longer than this in the draft's
	// timeline (default 20m).
	PostmortemGap time.Duration
	// AutoPostmortem assembles the draft as soon as an incident is resolved.
	AutoPostmortem bool
}

// App runs /incident commands, clicks and forms against the incidents
// domain; what they imply in Slack is owed in the outbox and done by
// Perform (the outbox's performer).

type App struct {
	svc           *incidents.Service
	api           API
	reply         replier
	log           *zap.Logger
	m             *Metrics
	render        Renderer
	announce      string
	prefix        string
	botUser       string
	catalog       *playbooks.Catalog
	exec          *actions.Executor
	guard         *actions.Guard // nil without a targets file
	keyEmoji      string
	postmortemGap time.Duration
	// alerts decides what alerts and triage clicks mean; alertChannels'
	// integration messages are alerts; triageChannel receives triage
	// cards (all set by UseAlerts).
	alerts         AlertDesk
	alertChannels  map[string]bool
	triageChannel  string
	autoPostmortem bool
	locks          [64]sync.Mutex
	approvers      *approvers

	namesMu sync.Mutex
	names   map[string]string // user ID → display name, for drafts
}

// NewApp validates opts and builds the App.
func NewApp(opts AppOptions) (*App, error) {
	if opts.Service == nil || opts.API == nil {
		return nil, errors.New("bot: a service and a Slack API client are required")
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	if opts.HTTP == nil {
		opts.HTTP = http.DefaultClient
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.ChannelPrefix == "" {
		opts.ChannelPrefix = "inc"
	}
	if opts.Metrics == nil {
		return nil, errors.New("bot: metrics are required")
	}
	var ap *approvers
	if opts.Executor != nil {
		ap = &approvers{api: opts.API, groups: opts.Executor.Targets().Guardrails.Approvers, cache: map[string]membersAt{}}
	}
	a := &App{
		svc: opts.Service, api: opts.API, log: opts.Logger, m: opts.Metrics, approvers: ap,
		reply:    replier{api: opts.API, http: opts.HTTP, log: opts.Logger},
		render:   Renderer{Location: opts.Location},
		announce: opts.IncidentsChannel, prefix: opts.ChannelPrefix, botUser: opts.BotUserID,
		catalog: opts.Catalog, exec: opts.Executor, keyEmoji: opts.KeyEmoji, postmortemGap: opts.PostmortemGap, autoPostmortem: opts.AutoPostmortem, names: map[string]string{},
	}
	if opts.Executor != nil {
		var err error
		if a.guard, err = actions.NewGuard(opts.Executor, opts.Service, approverCheck{ap}); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// fail tells the user why their request did not work. Domain errors are
// shown as they are; internal errors are logged once with a reference the
// user can quote.
func (a *App) fail(ctx context.Context, o Origin, err error) {
	code := incidents.ErrorCode(err)
	a.m.CommandErrors.WithLabelValues(code).Inc()
	msg := incidents.ErrorMessage(err)
	if code == incidents.EINTERNAL {
		ref := uuid.NewString()[:8]
		a.logFor(ctx).Error("command failed", zap.String("ref", ref), zap.String("user", o.User), zap.Error(err))
		msg = fmt.Sprintf("Something went wrong on my side (ref `%s`), and I may not have recorded it. Check `/incident status` before trying again.", ref)
	}
	rctx, cancel := detached(ctx)
	defer cancel()
	a.reply.ephemeral(rctx, o, ":warning: "+msg)
}

// key builds an idempotency key; an empty id gives no key rather than one
// shared by every request that lacks an id.
func key(prefix, id string) string {
	if id == "" {
		return ""
	}
	return prefix + id
}

// detached returns a context that outlives ctx's cancellation for a short
// while: recording what failed and telling the user must happen even when
// the job itself ran out of time or the bot is shutting down.
func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
}

// lock serialises work on one incident within this process, so the topic
// and header are rendered from the latest state, never an older copy that
// finished its Slack calls late. It returns the unlock function.
func (a *App) lock(id uuid.UUID) func() {
	mu := &a.locks[id[0]%byte(len(a.locks))]
	mu.Lock()
	return mu.Unlock
}

// incidentHere finds the incident of the channel the command came from.
func (a *App) incidentHere(ctx context.Context, channel string) (incidents.Incident, error) {
	inc, err := a.svc.ByChannel(ctx, channel)
	if errors.Is(err, incidents.ErrNotFound) {
		return inc, incidents.Errorf(incidents.ENOTFOUND,
			"This channel is not an incident channel. Run the command inside the incident's channel, or `/incident list` to find it.")
	}
	return inc, err
}

func lastN(evs []incidents.Event, n int) []incidents.Event {
	if len(evs) > n {
		return evs[len(evs)-n:]
	}
	return evs
}

func zapIncident(inc incidents.Incident) zap.Field { return zap.String("incident_id", inc.ID.String()) }

func (a *App) openModal(ctx context.Context, o Origin, v slack.ModalViewRequest) error {
	if _, err := a.api.OpenViewContext(ctx, o.TriggerID, v); err != nil {
		return incidents.Errorf(incidents.EINVALID, "I could not open the form: %s", DescribeSlackError(SlackErrorCode(err)))
	}
	return nil
}

// execDryRun says whether actions only say what they would do.
func (a *App) execDryRun() bool { return a.exec != nil && a.exec.DryRun() }
