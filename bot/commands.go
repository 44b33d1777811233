package bot

import (
	"context"
	"fmt"

	"github.com/incident-bot/incident-bot/incidents"
)

// A commandHandler does one verb of /incident; an incidentCommand one that
// works on the incident of the channel it was typed in. Each hands the
// verb to the feature that owns it.
type (
	commandHandler  func(f *features, ctx context.Context, o Origin, c Command) error
	incidentCommand func(f *features, ctx context.Context, o Origin, c Command, inc incidents.Incident, by incidents.By) error
)

// commands are the verbs that need no incident channel.
var commands = map[Verb]commandHandler{
	VerbStart: func(f *features, ctx context.Context, o Origin, c Command) error { return f.life.start(ctx, o, c) },
	VerbRunbook: func(f *features, ctx context.Context, o Origin, c Command) error {
		return f.runbooks.runRunbook(ctx, o, c.Text)
	},
	VerbPostmortem: func(f *features, ctx context.Context, o Origin, _ Command) error {
		return f.postmortems.Postmortem(ctx, o)
	},
	VerbChanges: func(f *features, ctx context.Context, o Origin, c Command) error {
		return f.changes.list(ctx, o, c.Window)
	},
	VerbList: func(f *features, ctx context.Context, o Origin, _ Command) error { return f.life.list(ctx, o) },
	VerbRepair: func(f *features, ctx context.Context, o Origin, c Command) error {
		return f.life.repair(ctx, o, c.Text)
	},
}

// incidentCommands are the verbs typed in an incident's channel.
var incidentCommands = map[Verb]incidentCommand{
	VerbStatus: func(f *features, ctx context.Context, o Origin, _ Command, inc incidents.Incident, _ incidents.By) error {
		return f.life.status(ctx, o, inc)
	},
	VerbUpdate: func(f *features, ctx context.Context, _ Origin, c Command, inc incidents.Incident, by incidents.By) error {
		return f.life.postUpdate(ctx, inc.ID, by, c.Text)
	},
	VerbSeverity: func(f *features, ctx context.Context, _ Origin, c Command, inc incidents.Incident, by incidents.By) error {
		return f.life.setSeverity(ctx, inc.ID, by, c.Severity)
	},
	VerbCommander: func(f *features, ctx context.Context, _ Origin, c Command, inc incidents.Incident, by incidents.By) error {
		return f.life.setCommander(ctx, inc.ID, by, c.User)
	},
	VerbPage: func(f *features, ctx context.Context, _ Origin, c Command, inc incidents.Incident, by incidents.By) error {
		return change(f.life.svc.PageNow(ctx, inc.ID, by, c.User))
	},
	VerbMitigate:    statusCommand(incidents.StatusMitigated),
	VerbInvestigate: statusCommand(incidents.StatusInvestigating),
	VerbResolve:     statusCommand(incidents.StatusResolved),
}

func statusCommand(next incidents.Status) incidentCommand {
	return func(f *features, ctx context.Context, o Origin, c Command, inc incidents.Incident, by incidents.By) error {
		return f.life.SetStatus(ctx, o, inc.ID, by, next, c.Text)
	}
}

// runCommand executes a parsed /incident command by its verb's handler.
// Parse errors and help never get here: they are answered in the
// acknowledgement.
func (a *App) runCommand(ctx context.Context, o Origin, c Command) error {
	if h, ok := commands[c.Verb]; ok {
		return h(&a.features, ctx, o, c)
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
	return h(&a.features, ctx, o, c, inc, a.by(ctx, o.User, key("trigger:", o.TriggerID), inc))
}
