package postmortem

import (
	"context"
	"fmt"
	"time"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/internal/txt"
)

// Change is a change made to the AWS accounts outside the bot, as
// CloudTrail recorded it: the "??:?? manual changes?" a postmortem could
// not fill in by hand.
type Change struct {
	At      time.Time
	Who     string // IAM user or role session
	Console bool   // made in the AWS console
	Agent   string // otherwise what made it (Terraform, the CLI…)
	What    string // the call and its resource: "PutBucketPolicy on tss-prod-site"
	Failed  string // the error code when the call failed
	Link    string // the event in the CloudTrail console
}

// Changes reads the changes made between from and to.
type Changes interface {
	Changes(ctx context.Context, from, to time.Time) ([]Change, error)
}

// ChangeLookback is how long before an incident began its changes are
// read: what broke it was usually done shortly before.
const ChangeLookback = time.Hour

// changeWindow is the stretch an incident's changes are read for: from
// an hour before it was declared (or before its first alert, if that was
// earlier) to its resolution, or now.
func changeWindow(inc incidents.Incident, events []incidents.Event, now time.Time) (time.Time, time.Time) {
	from := inc.DeclaredAt
	if at, _, ok := firstAlert(events); ok && at.Before(from) {
		from = at
	}
	to := inc.ResolvedAt
	if to.IsZero() {
		to = now
	}
	return from.Add(-ChangeLookback), to
}

// line is how a change reads in the timeline.
func (c Change) line() string {
	how := "from " + c.Agent
	if c.Console {
		how = "in the console"
	} else if c.Agent == "" {
		how = "by an API call"
	}
	s := fmt.Sprintf("AWS change %s: %s by %s", how, c.What, c.Who)
	if c.Failed != "" {
		s += " (failed: " + c.Failed + ")"
	}
	if c.Link != "" {
		s += fmt.Sprintf(" ([CloudTrail](%s))", c.Link)
	}
	return s
}

// changes puts the recorded changes in the timeline: they are work done
// during the incident, so a silence they fill is not a gap.
func (a *assembly) changes(cs []Change, missing string) {
	if missing != "" {
		a.d.Omitted["changes made outside the bot: CloudTrail could not be read ("+txt.Clip(missing, 200)+")"]++
	}
	for _, c := range cs {
		a.d.Timeline = append(a.d.Timeline, Entry{At: c.At, Text: c.line(), Who: "CloudTrail", Key: c.Console, order: 2})
		a.addMark(c.At, "change", c.label())
	}
}

// beforeResolution lists up to five changes made in the console, else by
// anything, before the incident was resolved, as the five whys' stem.
func beforeResolution(cs []Change, inc incidents.Incident) []string {
	var console, other []string
	for _, c := range cs {
		if !inc.ResolvedAt.IsZero() && c.At.After(inc.ResolvedAt) {
			continue
		}
		s := c.What + " by " + c.Who
		if c.Console {
			console = append(console, s+" (console)")
		} else {
			other = append(other, s)
		}
	}
	out := append(console, other...)
	return out[:min(len(out), 5)]
}
