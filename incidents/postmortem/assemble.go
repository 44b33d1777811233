package postmortem

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/internal/txt"
)

// Options shape a draft.
type Options struct {
	Location *time.Location // times are shown here; default UTC
	// GapAfter marks stretches longer than this during the incident with
	// nothing recorded, so they get filled in (default 20m).
	GapAfter time.Duration
	// KeyEmoji marks a message as a key event when someone reacts with
	// it (pinned messages always are). Default "key".
	KeyEmoji string
	// LikelyCauses seed the five-whys scaffold (from the matched runbook).
	LikelyCauses []string
	Runbook      string // the runbook's title, if one was used
}

// Entry is one line of the timeline.
type Entry struct {
	At    time.Time
	Text  string
	Who   string // display name, or "" for the bot
	Key   bool   // pinned or marked: shown in bold
	Gap   bool   // nothing recorded for a while
	Reply bool   // a thread reply, shown under its parent
	order int    // tie-break: events before messages at the same instant
	ts    string // the message's ts, and its thread's, to group replies
	th    string
	auto  bool // written by the bot on its own: does not count as activity for gaps
}

// ActionTaken is one action run from a runbook card.
type ActionTaken struct {
	At              time.Time
	Who, Action     string
	Outcome, Detail string
	RequestID, Took string
	ConfirmedBy     string
}

// Item is an action item: "action: …" or "todo: …" in the channel.
type Item struct {
	Owner, Text string
}

// Draft is the assembled postmortem, rendered by Markdown.
type Draft struct {
	Title, Date, Status string
	Authors             []string
	Summary, Impact     string
	NonTechnical        string
	Trigger, Detection  string
	Resolution          string
	Figures             [][2]string // label, value
	Timeline            []Entry
	MultiDay            bool
	Location            *time.Location
	Actions             []ActionTaken
	Whys                []string
	Items               []Item
	Omitted             map[string]int // what was left out of the narrative, counted
}

var itemPrefix = regexp.MustCompile(`(?i)^\s*(action|todo)\s*:\s*`)
var mention = regexp.MustCompile(`<@([UW][A-Z0-9]+)(?:\|[^>]*)?>`)

// Assemble builds the draft from the incident, its recorded timeline and
// (when there is one) its channel.
func Assemble(inc incidents.Incident, events []incidents.Event, ch *Channel, opts Options) Draft {
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.GapAfter <= 0 {
		opts.GapAfter = 20 * time.Minute
	}
	if opts.KeyEmoji == "" {
		opts.KeyEmoji = "key"
	}
	names := map[string]string{}
	bots := map[string]bool{}
	if ch != nil {
		names = ch.Users
		for _, b := range ch.BotUserIDs {
			bots[b] = true
		}
	}
	name := func(id string) string {
		if id == "" || id == incidents.ActorBot {
			return ""
		}
		if n, ok := names[id]; ok && n != "" {
			return n
		}
		return "<@" + id + ">"
	}
	d := Draft{
		Title:    inc.Title,
		Date:     inc.DeclaredAt.In(opts.Location).Format("2006-01-02"),
		Status:   "Draft",
		Location: opts.Location,
		Omitted:  map[string]int{},
	}
	authors := map[string]bool{}
	addAuthor := func(id string) {
		if n := name(id); n != "" && !bots[id] {
			authors[n] = true
		}
	}

	// The stored timeline.
	var reminders, escalations, updates int
	var firstUpdate time.Time
	actionStart := map[string]incidents.Event{}
	for _, e := range events {
		addAuthor(e.Actor)
		switch e.Kind {
		case incidents.EventReminder:
			reminders++
		case incidents.EventEscalated:
			escalations++
		case incidents.EventStatusUpdate:
			updates++
			if firstUpdate.IsZero() {
				firstUpdate = e.At
			}
		case incidents.EventActionStarted:
			actionStart[e.Data["run_id"]] = e
		case incidents.EventActionItem: // added with the resolution message's button
			d.Items = append(d.Items, Item{Owner: name(firstNonEmpty(e.Data["owner"], e.Actor)), Text: readable(e.Data["text"], name)})
		case incidents.EventActionFinished:
			start := actionStart[e.Data["run_id"]]
			d.Actions = append(d.Actions, ActionTaken{
				At: start.At, Who: name(firstNonEmpty(start.Data["requested_by"], start.Actor)), Action: e.Data["target"],
				Outcome: e.Data["outcome"], Detail: firstNonEmpty(e.Data["summary"], strings.TrimSpace(e.Data["error_code"]+" "+e.Data["error"])),
				RequestID: e.Data["request_id"], Took: e.Data["duration"], ConfirmedBy: name(start.Data["confirmed_by"]),
			})
		}
		if e.Kind == incidents.EventReminder || e.Kind == incidents.EventSnoozed {
			d.Omitted["update reminders and snoozes"]++
			continue
		}
		if text := eventLine(e, name); text != "" {
			d.Timeline = append(d.Timeline, Entry{At: e.At, Text: text, Who: name(e.Actor), Key: keyEvent(e.Kind), auto: e.Actor == incidents.ActorBot})
		}
	}

	// The channel.
	if ch != nil {
		for _, m := range ch.Messages {
			switch {
			case m.Subtype == "channel_join" || m.Subtype == "channel_leave":
				d.Omitted["joins and leaves"]++
				continue
			case bots[m.User]: // our own reminders, notices and cards; other bots (alerts) stay
				d.Omitted["the incident bot's own messages"]++
				continue
			}
			if m.BotID == "" {
				addAuthor(m.User) // other bots (alerts) are narrated, not authors
			}
			text := m.Text
			if itemPrefix.MatchString(text) {
				owner := m.User
				if mm := mention.FindStringSubmatch(text); mm != nil {
					owner = mm[1]
				}
				d.Items = append(d.Items, Item{Owner: name(owner), Text: readable(itemPrefix.ReplaceAllString(text, ""), name)})
			}
			for _, f := range m.Files {
				text += fmt.Sprintf(" [file: %s](%s)", f.Name, f.URL)
			}
			if m.Edited {
				text += " _(edited)_"
			}
			who := name(m.User)
			if m.Name != "" && (m.User == "" || strings.HasPrefix(who, "<@")) {
				who = m.Name
			}
			d.Timeline = append(d.Timeline, Entry{
				At: m.At, Text: readable(text, name), Who: who, order: 1,
				Key:   m.Pinned || reacted(m, opts.KeyEmoji),
				Reply: m.ThreadTS != "" && m.ThreadTS != m.TS,
				ts:    m.TS, th: m.ThreadTS,
			})
		}
	}
	sort.SliceStable(d.Timeline, func(i, j int) bool {
		a, b := d.Timeline[i], d.Timeline[j]
		if !a.At.Equal(b.At) {
			return a.At.Before(b.At)
		}
		return a.order < b.order
	})
	d.Timeline = threaded(withGaps(d.Timeline, inc, opts.GapAfter))
	if len(d.Timeline) > 0 {
		first, last := d.Timeline[0].At.In(opts.Location), d.Timeline[len(d.Timeline)-1].At.In(opts.Location)
		d.MultiDay = first.Format("2006-01-02") != last.Format("2006-01-02")
	}

	for a := range authors {
		d.Authors = append(d.Authors, a)
	}
	sort.Strings(d.Authors)
	d.Summary = inc.Title + "."
	if inc.Number > 0 { // an incident the bot recorded (not one rebuilt from an export)
		d.Summary = fmt.Sprintf("%s incident %s: %s.", inc.Severity.Label(), inc.Ref(), inc.Title)
	}
	if !inc.ResolvedAt.IsZero() {
		d.Summary += fmt.Sprintf(" Resolved after %s.", txt.Duration(inc.ResolvedAt.Sub(inc.DeclaredAt)))
	} else {
		d.Summary += " Not resolved yet."
	}
	d.Impact = orUnknown(inc.Description)
	d.NonTechnical = "???"
	d.Trigger = "???"
	d.Detection = fmt.Sprintf("Declared by %s at %s.", name(inc.Reporter), clock(inc.DeclaredAt, opts.Location, true))
	if inc.Number == 0 {
		d.Detection = fmt.Sprintf("??? (the channel starts at %s with %s)", clock(inc.DeclaredAt, opts.Location, true), name(inc.Reporter))
	}
	detect := "??? (from the start of impact to the declaration)"
	if first, ev, ok := firstAlert(events); ok {
		d.Detection = fmt.Sprintf("Monitoring alerted at %s (%s: %s); the incident was declared at %s.",
			clock(first, opts.Location, true), ev.Data["source"], alertTitle(ev.Text, ev.Data["source"]), clock(inc.DeclaredAt, opts.Location, true))
		if lag := inc.DeclaredAt.Sub(first); lag >= 0 {
			detect = fmt.Sprintf("??? from the start of impact; %s from the first alert to the declaration", txt.Duration(lag))
		}
	}
	d.Resolution = orUnknown(inc.Summary)
	d.Figures = figures(inc, detect, firstUpdate, updates, reminders, escalations)
	d.Whys = whys(inc, opts)
	return d
}

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

// withGaps adds "what happened here?" lines for silent stretches while the
// incident was open.
func withGaps(es []Entry, inc incidents.Incident, gap time.Duration) []Entry {
	end := inc.ResolvedAt
	if end.IsZero() && len(es) > 0 {
		end = es[len(es)-1].At
	}
	out := make([]Entry, 0, len(es)+8)
	prev := inc.DeclaredAt
	for _, e := range es {
		if !e.auto && !e.At.Before(inc.DeclaredAt) && !e.At.After(end) && e.At.Sub(prev) > gap {
			out = append(out, Entry{At: prev.Add(time.Second), Gap: true,
				Text: fmt.Sprintf("??:?? - %s with nothing recorded: what happened? (manual changes?)", txt.Duration(e.At.Sub(prev)))})
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

func figures(inc incidents.Incident, detect string, firstUpdate time.Time, updates, reminders, escalations int) [][2]string {
	since := func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return txt.Duration(t.Sub(inc.DeclaredAt))
	}
	return [][2]string{
		{"Time to detect", detect},
		{"Time to acknowledge (first status update)", since(firstUpdate)},
		{"Time to mitigate", since(inc.MitigatedAt)},
		{"Time to resolve", since(inc.ResolvedAt)},
		{"Status updates", strconv.Itoa(updates)},
		{"Update reminders", strconv.Itoa(reminders)},
		{"Escalations", strconv.Itoa(escalations)},
	}
}

// whys is a five-whys scaffold, seeded from the runbook's likely cause.
func whys(inc incidents.Incident, opts Options) []string {
	first := "???"
	if len(opts.LikelyCauses) > 0 {
		first = "??? (the runbook " + opts.Runbook + " suggests: " + strings.Join(opts.LikelyCauses, "; ") + ")"
	}
	out := []string{"Why did " + strings.TrimSuffix(inc.Title, ".") + " happen?", "  - " + first}
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

// People lists every user the draft may name: authors, event actors and
// the people their data and texts mention, so the caller can look up all
// the names at once.
func People(inc incidents.Incident, events []incidents.Event, msgs []Message) []string {
	seen := map[string]bool{}
	add := func(id string) {
		if id != "" && id != incidents.ActorBot {
			seen[id] = true
		}
	}
	scan := func(text string) {
		for _, m := range mention.FindAllStringSubmatch(text, -1) {
			add(m[1])
		}
	}
	add(inc.Reporter)
	add(inc.Commander)
	for _, e := range events {
		add(e.Actor)
		scan(e.Text)
		for _, k := range []string{"requested_by", "confirmed_by", "owner", "from", "to", "commander"} {
			if v := e.Data[k]; strings.HasPrefix(v, "U") || strings.HasPrefix(v, "W") {
				add(v)
			}
		}
	}
	for _, m := range msgs {
		add(m.User)
		scan(m.Text)
	}
	out := make([]string, 0, len(seen))
	for id := range seen {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}
