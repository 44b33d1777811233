package postmortem

import (
	"fmt"
	"time"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/internal/txt"
)

// facts are the moments a draft's figures are measured between, each
// with what it was read from; a zero time is not known.
type facts struct {
	stated     time.Time // the incident's stated start: its declaration, or the first person's message
	statedFrom string
	change     Change    // the first change recorded before the first alert (or the start)
	alert      time.Time // the first alert: recorded, or an alert bot's first DOWN post
	alertFrom  string    // "Uptime Robot (Monitor is DOWN: …)"
	start, end time.Time // the stretch gaps are looked for in
	resolved   time.Time // resolution: recorded, or the last UP post
	resolvedBy string
}

// read finds the facts in the record, else in the channel: never the
// channel's first and last messages, which may be anything.
func (a *assembly) read(inc incidents.Incident, events []incidents.Event, ch *Channel) facts {
	var f facts
	if inc.Number > 0 {
		f.stated, f.statedFrom = inc.DeclaredAt, "the declaration"
		f.resolved, f.resolvedBy = inc.ResolvedAt, "the resolution"
	} else if m, ok := firstPerson(ch, a.bots); ok {
		f.stated, f.statedFrom = m.At, fmt.Sprintf("%s's first message", firstNonEmpty(a.name(m.User), m.Name))
	}
	if at, ev, ok := firstAlert(events); ok {
		f.alert, f.alertFrom = at, fmt.Sprintf("%s: %s", ev.Data["source"], alertTitle(ev.Text, ev.Data["source"]))
	}
	if len(a.outages) > 0 && (f.alert.IsZero() || a.outages[0].From.Before(f.alert)) {
		o := a.outages[0]
		f.alert, f.alertFrom = o.From, fmt.Sprintf("%s: %s", o.Sender, o.Title)
	}
	if f.resolved.IsZero() && len(a.outages) > 0 {
		last := a.outages[len(a.outages)-1]
		f.resolved, f.resolvedBy = last.To, last.Sender+"'s last UP post"
	}
	f.start = earliest(f.alert, f.stated)
	for _, c := range a.opts.Changes {
		if (f.start.IsZero() || !c.At.After(f.start)) && (f.change.At.IsZero() || c.At.Before(f.change.At)) {
			f.change = c
		}
	}
	f.end = f.resolved
	return f
}

// firstPerson is the first message a person wrote in the channel (not a
// join, not a bot).
func firstPerson(ch *Channel, bots map[string]bool) (Message, bool) {
	if ch == nil {
		return Message{}, false
	}
	var first Message
	for _, m := range ch.Messages {
		if m.User == "" || m.BotID != "" || bots[m.User] || m.Subtype != "" && m.Subtype != "thread_broadcast" {
			continue
		}
		if first.At.IsZero() || m.At.Before(first.At) {
			first = m
		}
	}
	return first, !first.At.IsZero()
}

func earliest(ts ...time.Time) time.Time {
	var e time.Time
	for _, t := range ts {
		if !t.IsZero() && (e.IsZero() || t.Before(e)) {
			e = t
		}
	}
	return e
}

// between is the duration from a to b with what it is measured between,
// or ??? naming what is missing.
func between(a, b time.Time, aFrom, bFrom string, loc *time.Location) string {
	switch {
	case a.IsZero():
		return fmt.Sprintf("??? (%s is not known)", aFrom)
	case b.IsZero():
		return fmt.Sprintf("??? (%s is not known)", bFrom)
	case b.Before(a):
		return fmt.Sprintf("??? (%s at %s came before %s at %s)", bFrom, clock(b, loc, false), aFrom, clock(a, loc, false))
	}
	return fmt.Sprintf("%s (from %s at %s to %s at %s)", txt.Duration(b.Sub(a)), aFrom, clock(a, loc, false), bFrom, clock(b, loc, false))
}
