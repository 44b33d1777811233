package bot

import (
	"context"
	"fmt"

	"github.com/incident-bot/incident-bot/incidents"
)

// A commandHandler does one verb of /incident; an incidentCommand one that
// works on the incident of the channel it was typed in.
type (
	commandHandler  func(a *App, ctx context.Context, o Origin, c Command) error
	incidentCommand func(a *App, ctx context.Context, o Origin, c Command, inc incidents.Incident, by incidents.By) error
)

// commands are the verbs that need no incident channel.
var commands = map[Verb]commandHandler{
	VerbStart: func(a *App, ctx context.Context, o Origin, c Command) error {
		if c.Text == "" {
			return a.openModal(ctx, o, DeclareModal(c.Severity, viewMeta{Channel: o.Channel, ResponseURL: o.ResponseURL}))
		}
		return a.Declare(ctx, o, incidents.Declaration{
			Title: c.Text, Severity: c.Severity, Reporter: o.User, Source: "slash command", Key: key("trigger:", o.TriggerID),
		})
	},
	VerbRunbook:    func(a *App, ctx context.Context, o Origin, c Command) error { return a.runRunbook(ctx, o, c.Text) },
	VerbPostmortem: func(a *App, ctx context.Context, o Origin, _ Command) error { return a.Postmortem(ctx, o) },
	VerbList:       func(a *App, ctx context.Context, o Origin, _ Command) error { return a.list(ctx, o) },
	VerbRepair:     func(a *App, ctx context.Context, o Origin, c Command) error { return a.repair(ctx, o, c.Text) },
}

// incidentCommands are the verbs typed in an incident's channel.
var incidentCommands = map[Verb]incidentCommand{
	VerbStatus: func(a *App, ctx context.Context, o Origin, _ Command, inc incidents.Incident, _ incidents.By) error {
		tl, err := a.svc.Timeline(ctx, inc.ID)
		if err != nil {
			return err
		}
		a.reply.ephemeral(ctx, o, a.render.Summary(inc, a.svc.Now(), lastN(tl, 5)))
		return nil
	},
	VerbUpdate: func(a *App, ctx context.Context, _ Origin, c Command, inc incidents.Incident, by incidents.By) error {
		return a.change(a.svc.PostUpdate(ctx, inc.ID, by, c.Text))
	},
	VerbSeverity: func(a *App, ctx context.Context, _ Origin, c Command, inc incidents.Incident, by incidents.By) error {
		return a.change(a.svc.SetSeverity(ctx, inc.ID, by, c.Severity))
	},
	VerbCommander: func(a *App, ctx context.Context, _ Origin, c Command, inc incidents.Incident, by incidents.By) error {
		return a.change(a.svc.SetCommander(ctx, inc.ID, by, c.User))
	},
	VerbMitigate:    statusCommand(incidents.StatusMitigated),
	VerbInvestigate: statusCommand(incidents.StatusInvestigating),
	VerbResolve:     statusCommand(incidents.StatusResolved),
}

func statusCommand(next incidents.Status) incidentCommand {
	return func(a *App, ctx context.Context, o Origin, c Command, inc incidents.Incident, by incidents.By) error {
		return a.SetStatus(ctx, o, inc.ID, by, next, c.Text)
	}
}

// runCommand executes a parsed /incident command by its verb's handler.
// Parse errors and help never get here: they are answered in the
// acknowledgement.
func (a *App) runCommand(ctx context.Context, o Origin, c Command) error {
	if h, ok := commands[c.Verb]; ok {
		return h(a, ctx, o, c)
	}
	h, ok := incidentCommands[c.Verb]
	if !ok {
		return fmt.Errorf("unhandled verb %q", c.Verb)
	}
	inc, err := a.incidentHere(ctx, o.Channel)
	if err != nil {
		return err
	}
	// A slash command is never redelivered with the same trigger, but the
	// key costs nothing and makes the change safe if it ever is (and a
	// job run again after a crash changes nothing twice).
	return h(a, ctx, o, c, inc, a.by(ctx, o.User, key("trigger:", o.TriggerID), inc))
}
