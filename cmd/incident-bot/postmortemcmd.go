package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/graphs"
	"github.com/incident-bot/incident-bot/incidents/postmortem"
	"github.com/incident-bot/incident-bot/incidents/postmortem/slackexport"
	"github.com/incident-bot/incident-bot/playbooks"
)

const postmortemUsage = `Usage:
  incident-bot postmortem --incident ID                     the draft from the store (DATABASE_URL or SQLITE_PATH)
  incident-bot postmortem --slack-export DIR --channel NAME the draft from a Slack workspace export
  incident-bot postmortem … --chart FILE.png               either, with the timeline chart written there (the draft links it by file name)
`

// postmortemCmd prints a postmortem draft without Slack: from the store,
// or from an export of an incident handled before the bot existed.
func postmortemCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("postmortem", flag.ContinueOnError)
	fs.SetOutput(stderr)
	id := fs.String("incident", "", "incident number (12 or #12) or ID")
	export := fs.String("slack-export", "", "folder of an unzipped Slack workspace export")
	channel := fs.String("channel", "", "channel name in the export")
	chart := fs.String("chart", "", "write the timeline chart to this PNG file; the draft links it by its file name, so keep the two together")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, problems := Load(getenv)
	parts := []Part{PartDisplay, PartPostmortem}
	if *id != "" {
		parts = append(parts, PartStore)
	}
	if err := problems.For(parts...); err != nil {
		fmt.Fprintf(stderr, "incident-bot postmortem: %v\n", err)
		return 2
	}
	opts := postmortem.Options{Location: cfg.Location, GapAfter: cfg.PostmortemGap}
	var p postmortem.Prepared
	var err error
	switch {
	case *id != "" && *export == "":
		p, err = draftFromStore(ctx, *id, cfg, opts, stderr)
	case *export != "" && *channel != "" && *id == "":
		p, err = draftFromExport(ctx, *export, *channel, opts)
	default:
		fmt.Fprint(stderr, postmortemUsage)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "incident-bot postmortem: %v\n", err)
		return 1
	}
	return writeDraft(p.Draft, *chart, stdout, stderr)
}

// writeDraft prints the draft. With a chart file, the timeline chart is
// written there first and the draft links it by its file name: the two
// go together, as the Markdown's image link is relative. A chart that
// cannot be made is said in the draft and on stderr, the draft is printed
// all the same, and the exit code says the file asked for is missing.
func writeDraft(d postmortem.Draft, chartFile string, stdout, stderr io.Writer) int {
	code := 0
	if chartFile != "" {
		png, err := graphs.Render(d.Chart())
		if err == nil {
			err = os.WriteFile(chartFile, png, 0o644)
		}
		if err != nil {
			fmt.Fprintf(stderr, "incident-bot postmortem: timeline chart: %v\n", err)
			d.ChartMissing, code = err.Error(), 1
		} else {
			d.ChartLink = filepath.Base(chartFile)
		}
	}
	fmt.Fprint(stdout, d.Markdown())
	return code
}

// draftFromExport prepares the draft of a channel in a workspace export.
func draftFromExport(ctx context.Context, dir, channel string, opts postmortem.Options) (postmortem.Prepared, error) {
	ch, err := slackexport.Read(os.DirFS(dir), channel)
	if err != nil {
		return postmortem.Prepared{}, err
	}
	// Before the bot existed every bot in the channel was someone
	// else's (alerts, deploys): all of them belong in the narrative.
	ch.BotUserIDs = nil
	src := exportSource{ch: ch, inc: incidentFromChannel(ch)}
	return postmortem.Prepare(ctx, postmortem.Inputs{Record: src, Source: src}, src.inc.ID, opts)
}

func draftFromStore(ctx context.Context, ref string, cfg Config, opts postmortem.Options, stderr io.Writer) (postmortem.Prepared, error) {
	// An offline command never makes a store it was not pointed at: a
	// missing file is a wrong directory or setting, not a new store.
	if cfg.DatabaseURL == "" {
		if _, err := os.Stat(cfg.SQLitePath); errors.Is(err, fs.ErrNotExist) {
			return postmortem.Prepared{}, fmt.Errorf("no incident store at %s (SQLITE_PATH); run it where the bot keeps its store, or set SQLITE_PATH or DATABASE_URL", cfg.SQLitePath)
		}
	}
	store, err := openStore(ctx, cfg)
	if err != nil {
		return postmortem.Prepared{}, fmt.Errorf("open %s: %w", cfg.StoreDescription(), err)
	}
	defer store.Close()
	inc, err := findIncident(ctx, store, ref)
	if err != nil {
		return postmortem.Prepared{}, err
	}
	in := postmortem.Inputs{Record: store, Changes: changesFromTargets(cfg, stderr)}
	// The channel as the bot recorded it; what it did not hear stays
	// unread here (the draft says so), Slack is not called.
	if t, err := incidents.NewTranscript(incidents.TranscriptOptions{Log: store, Incidents: store}); err == nil {
		in.Source = postmortem.Recorded{Transcript: t}
	}
	if cat, err := playbooks.Load(cfg.PlaybooksDir); err == nil {
		in.Runbooks = cat.Causes
	}
	return postmortem.Prepare(ctx, in, inc.ID, opts)
}

// exportSource is a channel read from a workspace export, and the
// incident it stands for (the bot never recorded it): both the record and
// the source of its draft.
type exportSource struct {
	ch  postmortem.Channel
	inc incidents.Incident
}

func (e exportSource) Get(context.Context, uuid.UUID) (incidents.Incident, error) { return e.inc, nil }
func (e exportSource) Timeline(context.Context, uuid.UUID) ([]incidents.Event, error) {
	return nil, nil
}
func (e exportSource) Channel(context.Context, incidents.Incident) (postmortem.Channel, error) {
	return e.ch, nil
}

// incidentFinder is what finding an incident by number or ID reads.
type incidentFinder interface {
	Get(ctx context.Context, id uuid.UUID) (incidents.Incident, error)
	List(ctx context.Context, f incidents.ListFilter) ([]incidents.Incident, error)
}

// findIncident accepts a number ("12", "#12") or an incident ID.
func findIncident(ctx context.Context, store incidentFinder, ref string) (incidents.Incident, error) {
	if id, err := uuid.Parse(ref); err == nil {
		return store.Get(ctx, id)
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(ref, "#"), 10, 64)
	if err != nil {
		return incidents.Incident{}, fmt.Errorf("%q is neither an incident number nor an ID", ref)
	}
	all, err := store.List(ctx, incidents.ListFilter{})
	if err != nil {
		return incidents.Incident{}, err
	}
	for _, inc := range all {
		if inc.Number == n {
			return inc, nil
		}
	}
	return incidents.Incident{}, errors.New("no incident #" + strconv.FormatInt(n, 10))
}

// incidentFromChannel stands in for an incident the bot never recorded:
// the channel's name, and its first and last messages as its span.
func incidentFromChannel(ch postmortem.Channel) incidents.Incident {
	// No record says when it was declared or resolved: the draft reads
	// those from the alert posts and people's messages, never from the
	// channel's first and last message (a join can come hours before).
	inc := incidents.Incident{Title: ch.Name, Status: incidents.StatusResolved, Severity: incidents.DefaultSeverity}
	// The reporter is whoever spoke first: not a join, not an alert bot.
	for _, m := range ch.Messages {
		if m.User != "" && m.BotID == "" && m.Subtype != "channel_join" && m.Subtype != "channel_leave" && m.Subtype != "bot_message" {
			if inc.Reporter == "" || m.At.Before(inc.DeclaredAt) {
				inc.Reporter, inc.DeclaredAt = m.User, m.At
			}
		}
	}
	return inc
}
