package bot

import (
	"context"
	"errors"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/postmortem"
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
	// Transcript records what happens in incident channels as Slack
	// reports it, for the postmortem draft; nil records nothing, and
	// drafts read the whole channel from Slack's history.
	Transcript *incidents.Transcript
	// Changes reads the changes CloudTrail recorded in the accounts and
	// regions of the targets file, for /incident changes and the
	// postmortem draft; nil (no targets file) means neither reads them.
	Changes postmortem.Changes
	// Graphs draws alerts' graphs into incident channels; nil draws none.
	Graphs GraphRenderer
}

// App is the Slack transport's core: it turns the inbox's jobs (commands,
// clicks, forms, alert-channel messages) into calls on the feature that
// owns them, says who is asking (approver look-ups: UserGroupsAPI, in
// approvers), and answers what failed. The features do the work; what
// they imply in Slack is owed in the outbox and done by the performer.
type App struct {
	*core
	features
	approvers *approvers // nil without a targets file
	out       *performer
}

// features are what commands, clicks and forms are routed to: the
// handlers in commands.go and interactions.go see these and nothing else
// of the App.
type features struct {
	life        *lifecycle
	runbooks    *runbookDesk
	postmortems *postmortemDesk
	triage      *triageDesk
	changes     *changesDesk
}

// NewApp validates opts and builds the App and its features.
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
	c := &core{
		svc: opts.Service, log: opts.Logger, m: opts.Metrics,
		reply:  replier{api: opts.API, http: opts.HTTP, log: opts.Logger},
		render: Renderer{Location: opts.Location}, transcript: opts.Transcript,
	}
	a := &App{core: c}
	var guard *actions.Guard
	if opts.Executor != nil {
		a.approvers = &approvers{api: opts.API, groups: opts.Executor.Targets().Guardrails.Approvers, cache: map[string]membersAt{}}
		var err error
		if guard, err = actions.NewGuard(opts.Executor, opts.Service, approverCheck{a.approvers}); err != nil {
			return nil, err
		}
	}
	a.features = newFeatures(c, opts, guard)
	a.out = &performer{core: c, api: opts.API, triage: a.triage,
		announce: opts.IncidentsChannel, prefix: opts.ChannelPrefix, botUser: opts.BotUserID, catalog: opts.Catalog,
		dryRun: opts.Executor != nil && opts.Executor.DryRun(), graphs: opts.Graphs, uploads: opts.API}
	return a, nil
}

// newFeatures builds the feature handlers around the shared core, each
// given only its slice of opts.API.
func newFeatures(c *core, opts AppOptions, guard *actions.Guard) features {
	pm := &postmortemDesk{core: c, api: opts.API, botUser: opts.BotUserID, catalog: opts.Catalog, changes: opts.Changes,
		keyEmoji: opts.KeyEmoji, gap: opts.PostmortemGap, auto: opts.AutoPostmortem, names: map[string]string{}}
	return features{
		life:        &lifecycle{core: c, api: opts.API, postmortems: pm, graphs: opts.Graphs},
		runbooks:    &runbookDesk{core: c, api: opts.API, catalog: opts.Catalog, guard: guard},
		postmortems: pm,
		triage:      &triageDesk{core: c, api: opts.API, botUser: opts.BotUserID},
		changes:     &changesDesk{core: c, api: opts.API, changes: opts.Changes},
	}
}

// Perform does one effect of the outbox in Slack (incidents.Performer).
func (a *App) Perform(ctx context.Context, e incidents.Effect) (map[string]string, error) {
	return a.out.Perform(ctx, e)
}
