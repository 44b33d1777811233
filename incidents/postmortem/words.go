package postmortem

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/internal/txt"
)

// How the draft words what it found: events, gaps, figures, the five whys.

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func orUnknown(s string) string {
	if strings.TrimSpace(s) == "" {
		return "???"
	}
	return s
}

func reacted(m Message, emoji string) bool {
	return slices.ContainsFunc(m.Reactions, func(r Reaction) bool { return r.Name == emoji })
}

// keyEvent: the lifecycle turns are key events in the narrative.
func keyEvent(k incidents.EventKind) bool {
	switch k {
	case incidents.EventDeclared, incidents.EventMitigated, incidents.EventResolved, incidents.EventEscalated:
		return true
	}
	return false
}

// eventLine words a recorded event for the timeline; "" leaves it out
// (bookkeeping such as the channel's creation or a card redraw).
func eventLine(e incidents.Event, name func(string) string) string {
	who := name(e.Actor)
	by := ""
	if who != "" {
		by = " (" + who + ")"
	}
	switch e.Kind {
	case incidents.EventChannelCreated, incidents.EventRunbookSwitched, incidents.EventCheckUndone, incidents.EventActionPreviewed, incidents.EventActionStarted,
		incidents.EventActionItem, incidents.EventPostmortem:
		return ""
	case incidents.EventStatusUpdate:
		return "Status update" + by + ": " + readable(e.Text, name)
	case incidents.EventActionFinished:
		return "Action: " + e.Data["target"] + " — " + e.Data["outcome"]
	case incidents.EventCommanderChanged:
		return "Commander changed from " + orID(name, e.Data["from"]) + " to " + orID(name, e.Data["to"]) + by
	}
	return readable(e.Text, name) + by
}

// orID is a person's name, or their user ID when it is unknown.
func orID(name func(string) string, id string) string {
	if n := name(id); n != "" {
		return n
	}
	return id
}

// threaded moves each thread reply right under its parent (they were in
// time order, where a late reply would sit under an unrelated line);
// replies whose parent is not in the timeline stay where they are.
func threaded(es []Entry) []Entry {
	parents := map[string]bool{}
	replies := map[string][]Entry{}
	for _, e := range es {
		if !e.Reply && e.ts != "" {
			parents[e.ts] = true
		}
	}
	out := make([]Entry, 0, len(es))
	for _, e := range es {
		if e.Reply && parents[e.th] {
			replies[e.th] = append(replies[e.th], e)
			continue
		}
		if e.Reply {
			e.Reply = false
			e.Text = "(in a thread) " + e.Text
		}
		out = append(out, e)
	}
	grouped := make([]Entry, 0, len(es))
	for _, e := range out {
		grouped = append(grouped, e)
		if e.ts != "" {
			grouped = append(grouped, replies[e.ts]...)
		}
	}
	return grouped
}

// slackLink matches <https://…|label>, <https://…>, <#C…|name> and <!here>.
var slackLink = regexp.MustCompile(`<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>|<#[CG][A-Z0-9]+\|([^>]*)>|<!(here|channel|everyone)>`)

// readable replaces Slack mentions with names and Slack links with
// Markdown ones. &lt; and &gt; stay escaped (the draft must not carry raw
// HTML from the channel); &amp; becomes &.
func readable(s string, name func(string) string) string {
	s = slackLink.ReplaceAllStringFunc(s, func(m string) string {
		sm := slackLink.FindStringSubmatch(m)
		switch {
		case sm[1] != "" && sm[2] != "":
			return "[" + sm[2] + "](" + sm[1] + ")"
		case sm[1] != "":
			return sm[1]
		case sm[3] != "":
			return "#" + sm[3]
		}
		return "@" + sm[4]
	})
	s = mention.ReplaceAllStringFunc(s, func(m string) string {
		n := name(mention.FindStringSubmatch(m)[1])
		if strings.HasPrefix(n, "<@") { // unknown person: keep the mention
			return n
		}
		return "@" + n
	})
	s = strings.ReplaceAll(s, "&amp;", "&")
	return strings.Join(strings.Fields(s), " ")
}

// withGaps adds "what happened here?" lines for stretches between start
// (the first alert or the declaration) and end (the resolution) in which
// no person wrote and no change was recorded: an alert bot's repeated
// posts (auto) do not fill a silence, and before start or after end
// nothing is a gap.
func withGaps(es []Entry, start, end time.Time, gap time.Duration) []Entry {
	out := make([]Entry, 0, len(es)+8)
	prev := start
	for _, e := range es {
		if !e.auto && !start.IsZero() && !e.At.Before(start) && (end.IsZero() || !e.At.After(end)) && e.At.Sub(prev) > gap {
			out = append(out, Entry{At: prev.Add(time.Second), Gap: true, quiet: e.At.Sub(prev),
				Text: fmt.Sprintf("??:?? - %s with nothing recorded from people: what happened? (manual changes?)", txt.Duration(e.At.Sub(prev)))})
		}
		if e.At.After(prev) && !e.auto {
			prev = e.At
		}
		out = append(out, e)
	}
	return out
}

// firstAlert is the earliest time an alert recorded in the timeline
// fired, and its event.
func firstAlert(events []incidents.Event) (time.Time, incidents.Event, bool) {
	var first time.Time
	var ev incidents.Event
	for _, e := range events {
		if e.Kind != incidents.EventAlert || e.Data["status"] == "resolved" {
			continue
		}
		at, err := time.Parse(time.RFC3339, e.Data["at"])
		if err != nil {
			at = e.At
		}
		if first.IsZero() || at.Before(first) {
			first, ev = at, e
		}
	}
	return first, ev, !first.IsZero()
}

// alertTitle is the alert's title in an alert event's text
// ("Opened from alert: TITLE (SOURCE)").
func alertTitle(text, source string) string {
	if _, t, ok := strings.Cut(text, ": "); ok {
		text = t
	}
	return strings.TrimSuffix(text, " ("+source+")")
}

// whys is a five-whys scaffold, seeded from the runbook's likely cause.
func whys(inc incidents.Incident, opts Options) []string {
	first := "???"
	if len(opts.LikelyCauses) > 0 {
		first = "??? (the runbook " + opts.Runbook + " suggests: " + strings.Join(opts.LikelyCauses, "; ") + ")"
	}
	out := []string{"Why did " + strings.TrimSuffix(inc.Title, ".") + " happen?", "  - " + first}
	if cs := beforeResolution(opts.Changes, inc); len(cs) > 0 {
		// What was changed is where the team's own whys started.
		out = append(out, "  - ??? (changes recorded in the window, a place to start: "+strings.Join(cs, "; ")+")")
	}
	for range 4 {
		out = append(out, "Why?", "  - ???")
	}
	return out
}
func clock(t time.Time, loc *time.Location, withDate bool) string {
	if withDate {
		return t.In(loc).Format("2006-01-02 15:04 MST")
	}
	return t.In(loc).Format("15:04")
}
