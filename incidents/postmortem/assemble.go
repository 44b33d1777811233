package postmortem

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/incident-bot/incident-bot/incidents"
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
	// Changes are what CloudTrail recorded in the incident's window;
	// ChangesMissing says why they could not be read ("" when they were,
	// or were not asked for).
	Changes        []Change
	ChangesMissing string
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
	auto  bool          // written by the bot on its own: does not count as activity for gaps
	quiet time.Duration // a gap's length, for its chart mark
}

// ActionTaken is one action run from a runbook card.
type ActionTaken struct {
	At              time.Time
	Who, Action     string
	Outcome, Detail string
	RequestID, Took string
	ConfirmedBy     string
	Findings        []Findings // what the action reported, in parts
}

// Findings are one part of what an action reported, as the action's
// result records them (the "sections" of an action_finished event).
type Findings struct {
	Title string   `json:"title,omitempty"`
	Rows  []string `json:"rows,omitempty"`
	Code  []string `json:"code,omitempty"`
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
	// Outages are the alert posts' outages in order of their start: the
	// impact the timeline chart shades.
	Outages []Outage
	// Detected is the first alert, recorded or posted: the time the
	// Detection section gives; zero when there was none.
	Detected time.Time
	// ChartLink is where the timeline chart is, shown as an image under
	// the Timeline heading: a URL, or a file name when the chart travels
	// with the draft's file (a link relative to it). ChartNote is said
	// there instead, as text, in a copy that does not sit beside the
	// chart's file (the channel canvas); ChartMissing says why there is
	// no chart. All empty: no chart line.
	ChartLink, ChartNote, ChartMissing string
	chart                              chartData
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
	a := newAssembly(inc, ch, opts)
	counts := a.events(events)
	if ch != nil {
		a.channel(ch)
		a.outages = outages(ch.Messages, a.bots)
	}
	a.changes(opts.Changes, opts.ChangesMissing)
	a.facts = a.read(inc, events, ch)
	a.order()
	a.summary(inc, events, counts)
	a.chartFacts(inc)
	return a.d
}

// assembly is a draft being put together, with how to name people.
type assembly struct {
	d       Draft
	opts    Options
	names   map[string]string
	bots    map[string]bool
	authors map[string]bool
	outages []Outage
	facts   facts
}

func newAssembly(inc incidents.Incident, ch *Channel, opts Options) *assembly {
	a := &assembly{opts: opts, names: map[string]string{}, bots: map[string]bool{}, authors: map[string]bool{},
		d: Draft{Title: inc.Title, Date: inc.DeclaredAt.In(opts.Location).Format("2006-01-02"), Status: "Draft",
			Location: opts.Location, Omitted: map[string]int{}}}
	if ch != nil {
		a.names = ch.Users
		for _, b := range ch.BotUserIDs {
			a.bots[b] = true
		}
	}
	return a
}

// name is a person's name, or their mention when it is unknown; "" for
// the bot.
func (a *assembly) name(id string) string {
	if id == "" || id == incidents.ActorBot {
		return ""
	}
	if n, ok := a.names[id]; ok && n != "" {
		return n
	}
	return "<@" + id + ">"
}

func (a *assembly) addAuthor(id string) {
	if n := a.name(id); n != "" && !a.bots[id] {
		a.authors[n] = true
	}
}

// counts are what the figures count of the stored timeline.
type counts struct {
	reminders, escalations, updates int
	firstUpdate                     time.Time
}

// events puts the stored timeline in the draft: its lines, the action
// items and the actions taken.
func (a *assembly) events(events []incidents.Event) counts {
	var c counts
	actionStart := map[string]incidents.Event{}
	for _, e := range events {
		a.addAuthor(e.Actor)
		switch e.Kind {
		case incidents.EventReminder:
			c.reminders++
		case incidents.EventEscalated:
			c.escalations++
		case incidents.EventStatusUpdate:
			c.updates++
			if c.firstUpdate.IsZero() {
				c.firstUpdate = e.At
			}
		case incidents.EventActionStarted:
			actionStart[e.Data["run_id"]] = e
		case incidents.EventActionItem: // added with the resolution message's button
			a.d.Items = append(a.d.Items, Item{Owner: a.name(firstNonEmpty(e.Data["owner"], e.Actor)), Text: readable(e.Data["text"], a.name)})
		case incidents.EventActionFinished:
			a.d.Actions = append(a.d.Actions, a.actionTaken(actionStart[e.Data["run_id"]], e))
		}
		a.markEvent(e)
		if e.Kind == incidents.EventReminder || e.Kind == incidents.EventSnoozed {
			a.d.Omitted["update reminders and snoozes"]++
			continue
		}
		if text := eventLine(e, a.name); text != "" {
			a.d.Timeline = append(a.d.Timeline, Entry{At: e.At, Text: text, Who: a.name(e.Actor), Key: keyEvent(e.Kind), auto: e.Actor == incidents.ActorBot})
		}
	}
	return c
}

func (a *assembly) actionTaken(start, e incidents.Event) ActionTaken {
	return ActionTaken{
		At: start.At, Who: a.name(firstNonEmpty(start.Data["requested_by"], start.Actor)), Action: e.Data["target"],
		Outcome: e.Data["outcome"], Detail: firstNonEmpty(e.Data["summary"], strings.TrimSpace(e.Data["error_code"]+" "+e.Data["error"])),
		RequestID: e.Data["request_id"], Took: e.Data["duration"], ConfirmedBy: a.name(start.Data["confirmed_by"]),
		Findings: decodeFindings(e.Data["sections"]),
	}
}

// decodeFindings reads an action's recorded findings; bad data reads as
// none (the table still has the summary).
func decodeFindings(raw string) []Findings {
	var fs []Findings
	if raw != "" {
		_ = json.Unmarshal([]byte(raw), &fs)
	}
	return fs
}

// channel puts the channel's messages in the draft, with the action
// items people wrote there.
func (a *assembly) channel(ch *Channel) {
	for _, m := range ch.Messages {
		switch {
		case m.Subtype == "channel_join" || m.Subtype == "channel_leave":
			a.d.Omitted["joins and leaves"]++
			continue
		case a.bots[m.User]: // our own reminders, notices and cards; other bots (alerts) stay
			a.d.Omitted["the incident bot's own messages"]++
			continue
		}
		if m.BotID == "" {
			a.addAuthor(m.User) // other bots (alerts) are narrated, not authors
		}
		text := m.Text
		a.items(m)
		for _, f := range m.Files {
			text += fmt.Sprintf(" [file: %s](%s)", f.Name, f.URL)
		}
		if m.Edited {
			text += " _(edited)_"
		}
		who := a.name(m.User)
		if m.Name != "" && (m.User == "" || strings.HasPrefix(who, "<@")) {
			who = m.Name
		}
		key := m.Pinned || reacted(m, a.opts.KeyEmoji)
		a.d.Timeline = append(a.d.Timeline, Entry{
			At: m.At, Text: readable(text, a.name), Who: who, order: 1,
			Key:   key,
			Reply: m.ThreadTS != "" && m.ThreadTS != m.TS,
			ts:    m.TS, th: m.ThreadTS,
			auto: isAlertPost(m, a.bots), // an alert bot's repeats are not people at work
		})
		if key {
			a.mark(m.At, "key", who, m.Text)
		}
	}
}

// items reads the action items of a message: every line that starts
// "action:" or "todo:", owned by whoever it mentions, else its writer.
func (a *assembly) items(m Message) {
	for _, line := range strings.Split(m.Text, "\n") {
		if !itemPrefix.MatchString(line) {
			continue
		}
		owner := m.User
		if mm := mention.FindStringSubmatch(line); mm != nil {
			owner = mm[1]
		}
		text := itemPrefix.ReplaceAllString(line, "")
		if loc := mention.FindStringIndex(text); loc != nil && loc[0] == 0 { // "action: @ann do x": ann is the owner column
			text = strings.TrimSpace(text[loc[1]:])
		}
		a.d.Items = append(a.d.Items, Item{Owner: a.name(owner), Text: readable(text, a.name)})
	}
}

// order sorts the timeline, marks its silences and puts replies under
// their threads.
func (a *assembly) order() {
	tl := a.d.Timeline
	sort.SliceStable(tl, func(i, j int) bool {
		if !tl[i].At.Equal(tl[j].At) {
			return tl[i].At.Before(tl[j].At)
		}
		return tl[i].order < tl[j].order
	})
	a.d.Timeline = threaded(withGaps(tl, a.facts.start, a.facts.end, a.opts.GapAfter))
	a.markGaps()
	if len(a.d.Timeline) > 0 {
		first, last := a.d.Timeline[0].At.In(a.opts.Location), a.d.Timeline[len(a.d.Timeline)-1].At.In(a.opts.Location)
		a.d.MultiDay = first.Format("2006-01-02") != last.Format("2006-01-02")
	}
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
