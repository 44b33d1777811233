package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/incident-bot/incident-bot/incidents/postmortem"
	"github.com/incident-bot/incident-bot/playbooks/actions"
	awsactions "github.com/incident-bot/incident-bot/playbooks/actions/aws"
)

// cloudTrailChanges reads the changes made in the targets file's accounts
// and regions (postmortem.Changes), for /incident changes and postmortem
// drafts, through the reader cloudtrail.recent_changes uses too.
type cloudTrailChanges struct {
	clients *awsactions.Clients
	targets *actions.Targets
}

// Changes returns what was read, oldest first, even when some of it
// could not be: the error then says what is missing, and the draft or
// the list says so next to what was found.
func (c cloudTrailChanges) Changes(ctx context.Context, from, to time.Time) ([]postmortem.Change, error) {
	rep, err := c.clients.Changes(ctx, c.targets, from, to)
	accounts := map[string]bool{}
	for _, ch := range rep.Changes {
		accounts[ch.Account] = true
	}
	out := make([]postmortem.Change, 0, len(rep.Changes))
	for _, ch := range rep.Changes {
		who := ch.Who
		if len(accounts) > 1 && ch.Account != "" {
			// Several accounts: the same role name may be in each.
			who += " in account " + ch.Account
		}
		out = append(out, postmortem.Change{At: ch.At, Who: who, Console: ch.Console, Agent: ch.Agent, What: ch.What(), Failed: ch.Failed, Link: ch.Link})
	}
	if note := partialNote(rep); note != "" {
		err = errors.Join(err, errors.New(note))
	}
	return out, err
}

// partialNote says what a read left out, or "".
func partialNote(rep awsactions.ChangeReport) string {
	var parts []string
	if len(rep.Partial) > 0 {
		parts = append(parts, "not read to the start of the window (too many events to read in time): "+strings.Join(rep.Partial, ", "))
	}
	if rep.Cut {
		parts = append(parts, fmt.Sprintf("only the newest %d changes are kept", awsactions.MaxWindowChanges))
	}
	if len(parts) == 0 {
		return ""
	}
	return "only part of CloudTrail was read: " + strings.Join(parts, "; ")
}

// unreadChanges stands in for the reader when the targets file cannot
// be loaded: the draft says why its AWS changes are missing.
type unreadChanges struct{ err error }

func (u unreadChanges) Changes(context.Context, time.Time, time.Time) ([]postmortem.Change, error) {
	return nil, u.err
}

// changesFromTargets is the changes reader of the offline postmortem:
// the targets file's accounts and regions (nil without one). A file that
// does not load is reported on stderr and in the draft, which is still
// written.
func changesFromTargets(cfg Config, stderr io.Writer) postmortem.Changes {
	if cfg.TargetsFile == "" {
		return nil
	}
	t, err := actions.LoadTargets(cfg.TargetsFile)
	if err != nil {
		fmt.Fprintf(stderr, "incident-bot postmortem: the draft leaves out AWS changes: %v\n", err)
		return unreadChanges{err}
	}
	return cloudTrailChanges{clients: awsactions.NewClients(awsactions.Options{}), targets: t}
}
