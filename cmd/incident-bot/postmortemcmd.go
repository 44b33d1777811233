package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/postmortem"
	"github.com/incident-bot/incident-bot/incidents/postmortem/slackexport"
	"github.com/incident-bot/incident-bot/playbooks"
)

const postmortemUsage = `Usage:
  incident-bot postmortem --incident ID                     the draft from the store (DATABASE_URL or SQLITE_PATH)
  incident-bot postmortem --slack-export DIR --channel NAME the draft from a Slack workspace export
`

// postmortemCmd prints a postmortem draft without Slack: from the store,
// or from an export of an incident handled before the bot existed.
func postmortemCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("postmortem", flag.ContinueOnError)
	fs.SetOutput(stderr)
	id := fs.String("incident", "", "incident number (12 or #12) or ID")
	export := fs.String("slack-export", "", "folder of an unzipped Slack workspace export")
	channel := fs.String("channel", "", "channel name in the export")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	loc := time.UTC
	if tz := strings.TrimSpace(getenv("DISPLAY_TIMEZONE")); tz != "" {
		l, err := time.LoadLocation(tz)
		if err != nil {
			fmt.Fprintf(stderr, "DISPLAY_TIMEZONE %q: %v\n", tz, err)
			return 2
		}
		loc = l
	}
	opts := postmortem.Options{Location: loc}
	if v := strings.TrimSpace(getenv("POSTMORTEM_GAP")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Minute {
			fmt.Fprintf(stderr, "POSTMORTEM_GAP must be a duration of at least 1m such as 20m, got %q\n", v)
			return 2
		}
		opts.GapAfter = d
	}
	switch {
	case *id != "" && *export == "":
		return draftFromStore(ctx, *id, getenv, opts, stdout, stderr)
	case *export != "" && *channel != "" && *id == "":
		ch, err := slackexport.Read(os.DirFS(*export), *channel)
		if err != nil {
			fmt.Fprintf(stderr, "incident-bot postmortem: %v\n", err)
			return 1
		}
		// Before the bot existed every bot in the channel was someone
		// else's (alerts, deploys): all of them belong in the narrative.
		ch.BotUserIDs = nil
		fmt.Fprint(stdout, postmortem.Assemble(incidentFromChannel(ch), nil, &ch, opts).Markdown())
		return 0
	default:
		fmt.Fprint(stderr, postmortemUsage)
		return 2
	}
}

func draftFromStore(ctx context.Context, ref string, getenv func(string) string, opts postmortem.Options, stdout, stderr io.Writer) int {
	cfg := Config{DatabaseURL: strings.TrimSpace(getenv("DATABASE_URL")), SQLitePath: strings.TrimSpace(getenv("SQLITE_PATH"))}
	if cfg.SQLitePath == "" {
		cfg.SQLitePath = defaultSQLitePath
	}
	store, err := openStore(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "incident-bot postmortem: open %s: %v\n", cfg.StoreDescription(), err)
		return 1
	}
	defer store.Close()
	inc, err := findIncident(ctx, store, ref)
	if err != nil {
		fmt.Fprintf(stderr, "incident-bot postmortem: %v\n", err)
		return 1
	}
	evs, err := store.Timeline(ctx, inc.ID)
	if err != nil {
		fmt.Fprintf(stderr, "incident-bot postmortem: %v\n", err)
		return 1
	}
	if cat, err := playbooks.Load(strings.TrimSpace(getenv("PLAYBOOKS_DIR"))); err == nil {
		opts.Runbook, opts.LikelyCauses = runbookOf(cat, evs)
	}
	fmt.Fprint(stdout, postmortem.Assemble(inc, evs, nil, opts).Markdown())
	return 0
}

// findIncident accepts a number ("12", "#12") or an incident ID.
func findIncident(ctx context.Context, store incidents.Store, ref string) (incidents.Incident, error) {
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

// runbookOf is the last runbook posted for the incident, for the five whys.
func runbookOf(cat *playbooks.Catalog, evs []incidents.Event) (string, []string) {
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Kind == incidents.EventRunbookPosted || evs[i].Kind == incidents.EventRunbookSwitched {
			if pb, ok := cat.Get(evs[i].Data["playbook"]); ok {
				return pb.Title, pb.Causes
			}
		}
	}
	return "", nil
}

// incidentFromChannel stands in for an incident the bot never recorded:
// the channel's name, and its first and last messages as its span.
func incidentFromChannel(ch postmortem.Channel) incidents.Incident {
	inc := incidents.Incident{Title: ch.Name, Status: incidents.StatusResolved, Severity: incidents.DefaultSeverity}
	if n := len(ch.Messages); n > 0 {
		inc.DeclaredAt, inc.ResolvedAt = ch.Messages[0].At, ch.Messages[n-1].At
	}
	// The reporter is whoever spoke first: not a join, not an alert bot.
	for _, m := range ch.Messages {
		if m.User != "" && m.BotID == "" && m.Subtype != "channel_join" && m.Subtype != "channel_leave" && m.Subtype != "bot_message" {
			inc.Reporter = m.User
			break
		}
	}
	return inc
}
