// Package bot is the Slack transport of incident-bot: the socket-mode loop,
// parsing of slash commands and interactions, Block Kit rendering and the
// Slack client. It drives the incidents domain in domain terms.
package bot

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/internal/txt"
)

// Verb is an /incident subcommand.
type Verb string

// The subcommands of /incident.
const (
	VerbStart     Verb = "start"
	VerbUpdate    Verb = "update"
	VerbSeverity  Verb = "severity"
	VerbCommander Verb = "commander"
	VerbStatus    Verb = "status"
	VerbMitigate  Verb = "mitigate"
	// VerbInvestigate moves a mitigated incident back to investigating.
	VerbInvestigate Verb = "investigating"
	VerbResolve     Verb = "resolve"
	VerbList        Verb = "list"
	VerbRunbook     Verb = "runbook"
	VerbPostmortem  Verb = "postmortem"
	VerbRepair      Verb = "repair"
	// VerbChanges lists the changes CloudTrail recorded lately.
	VerbChanges Verb = "changes"
	// VerbPage pages the on-call now, or calls a person or user group in.
	VerbPage Verb = "page"
	VerbHelp Verb = "help"
)

// Command is a parsed /incident invocation.
type Command struct {
	Verb     Verb
	Severity incidents.Severity // start (0 = default) and severity
	Text     string             // title, update text, note or summary
	User     string             // commander, page: the Slack user ID (page: or a user group's S…)
	Window   time.Duration      // changes: how far back to look
}

// Parsed is the result of parsing: either a Command to run or, when the
// input was not understood, a Reply to show the user (usage included).
type Parsed struct {
	Command Command
	Reply   string
}

// aliases maps what people type to the canonical verb; on-call engineers
// type fast and from habit, so common synonyms are accepted.
var aliases = map[string]Verb{
	"start": VerbStart, "declare": VerbStart, "open": VerbStart, "new": VerbStart,
	"update": VerbUpdate, "u": VerbUpdate,
	"severity": VerbSeverity, "sev": VerbSeverity,
	"commander": VerbCommander, "ic": VerbCommander, "lead": VerbCommander,
	"status": VerbStatus, "info": VerbStatus,
	"mitigate": VerbMitigate, "mitigated": VerbMitigate,
	"investigating": VerbInvestigate, "investigate": VerbInvestigate, "unmitigate": VerbInvestigate,
	"resolve": VerbResolve, "resolved": VerbResolve, "close": VerbResolve,
	"list": VerbList, "ls": VerbList,
	"runbook": VerbRunbook, "playbook": VerbRunbook, "rb": VerbRunbook,
	"postmortem": VerbPostmortem, "pm": VerbPostmortem, "retro": VerbPostmortem,
	"repair": VerbRepair, "fix": VerbRepair,
	"changes": VerbChanges, "changed": VerbChanges, "cloudtrail": VerbChanges,
	"page": VerbPage, "escalate": VerbPage,
	"help": VerbHelp, "?": VerbHelp,
}

// Usage lines, shown by help and with every parse error.
var usage = map[Verb]string{
	VerbStart:       "`/incident start [sev1|sev2|sev3|sev4] <title>` — declare an incident (no title: opens a form)",
	VerbUpdate:      "`/incident update <text>` — post a status update",
	VerbSeverity:    "`/incident severity <sev1|sev2|sev3|sev4>` — change the severity",
	VerbCommander:   "`/incident commander @someone` — hand over command",
	VerbStatus:      "`/incident status` — show this incident's summary (only to you)",
	VerbMitigate:    "`/incident mitigate [what fixed it]` — mark as mitigated",
	VerbInvestigate: "`/incident investigating [why]` — a mitigated incident is back to investigating",
	VerbResolve:     "`/incident resolve [summary]` — resolve and close the incident",
	VerbList:        "`/incident list` — list open incidents (only to you)",
	VerbRunbook:     "`/incident runbook [symptom or id]` — post the matching runbook card",
	VerbPostmortem:  "`/incident postmortem` — assemble the postmortem draft from this channel and upload it",
	VerbRepair:      "`/incident repair [number]` — finish an incident's set-up (channel, header, announcement…) and retry what failed",
	VerbChanges:     "`/incident changes [2h]` — who changed what in AWS lately (CloudTrail; 30m, 6h… up to 72h), posted in the incident channel",
	VerbPage:        "`/incident page [@someone|@team]` — page the on-call now (ACK_PAGE), or call a person or user group into the channel",
	VerbHelp:        "`/incident help` — this help",
}

var helpOrder = []Verb{VerbStart, VerbUpdate, VerbSeverity, VerbCommander, VerbStatus, VerbMitigate, VerbInvestigate, VerbResolve, VerbRunbook, VerbChanges, VerbPage, VerbPostmortem, VerbList, VerbRepair, VerbHelp}

// HelpText is the full usage, with the default severity spelled out.
func HelpText() string {
	var b strings.Builder
	b.WriteString("*Incident commands*\n")
	for _, v := range helpOrder {
		b.WriteString("• ")
		b.WriteString(usage[v])
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "Without a severity, `start` declares a %s. Every command except `start`, `runbook`, `changes`, `list`, `repair` (with a number) and `help` works inside an incident channel.",
		incidents.DefaultSeverity.Label())
	return b.String()
}

var incidentNumber = regexp.MustCompile(`^[1-9][0-9]{0,17}$`)

// userMention matches Slack's escaped mentions: <@U123> or <@U123|name>.
var userMention = regexp.MustCompile(`^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$`)

// groupMention matches Slack's escaped user group mention: <!subteam^S123|@team>.
var groupMention = regexp.MustCompile(`^<!subteam\^(S[A-Z0-9]+)(?:\|[^>]*)?>$`)

// Parse turns the text after "/incident" into a command. It is pure: no I/O,
// so it is table-tested and fuzzed.
func Parse(text string) Parsed {
	text = strings.TrimSpace(text)
	if text == "" {
		return Parsed{Command: Command{Verb: VerbHelp}}
	}
	word, rest := cut(text)
	verb, ok := aliases[strings.ToLower(word)]
	if !ok {
		return Parsed{Reply: fmt.Sprintf("I don't know the command `%s`.\n\n%s", txt.Clip(word, 41), HelpText())}
	}
	switch verb {
	case VerbStart:
		return parseStart(rest)
	case VerbUpdate:
		if rest == "" {
			return usageError(verb, "An update needs some text.")
		}
		return ok1(Command{Verb: verb, Text: PlainText(rest)})
	case VerbSeverity:
		sev, good := incidents.ParseSeverity(rest)
		if !good {
			return usageError(verb, fmt.Sprintf("`%s` is not a severity.", txt.Clip(rest, 41)))
		}
		return ok1(Command{Verb: verb, Severity: sev})
	case VerbCommander:
		m := userMention.FindStringSubmatch(rest)
		if m == nil {
			return usageError(verb, "Name the new commander by mentioning them, like `@rita`.")
		}
		return ok1(Command{Verb: verb, User: m[1]})
	case VerbPage:
		return parsePage(rest)
	case VerbRepair:
		n := strings.TrimPrefix(rest, "#")
		if n != "" && !incidentNumber.MatchString(n) {
			return usageError(verb, fmt.Sprintf("`%s` is not an incident number.", txt.Clip(rest, 41)))
		}
		return ok1(Command{Verb: verb, Text: n})
	case VerbChanges:
		w, msg := parseWindow(rest)
		if msg != "" {
			return usageError(verb, msg)
		}
		return ok1(Command{Verb: verb, Window: w})
	case VerbStatus, VerbList, VerbHelp, VerbPostmortem:
		if rest != "" {
			return usageError(verb, fmt.Sprintf("`%s` takes no arguments.", verb))
		}
		return ok1(Command{Verb: verb})
	default: // mitigate, investigating, resolve, runbook, repair: optional text
		return ok1(Command{Verb: verb, Text: PlainText(rest)})
	}
}

// parsePage reads whom to page: nobody named is the on-call.
func parsePage(rest string) Parsed {
	if rest == "" {
		return ok1(Command{Verb: VerbPage})
	}
	if m := userMention.FindStringSubmatch(rest); m != nil {
		return ok1(Command{Verb: VerbPage, User: m[1]})
	}
	if m := groupMention.FindStringSubmatch(rest); m != nil {
		return ok1(Command{Verb: VerbPage, User: m[1]})
	}
	return usageError(VerbPage, fmt.Sprintf("`%s` is not a person or a user group: mention them, like `@rita` or `@db-oncall`.", txt.Clip(PlainText(rest), 41)))
}

// parseStart accepts the severity as the first or the last word, because
// people write both "start sev1 db down" and "open api-5xx sev2".
func parseStart(rest string) Parsed {
	c := Command{Verb: VerbStart}
	if first, tail := cut(rest); first != "" {
		if sev, ok := incidents.ParseSeverity(first); ok && looksLikeSeverity(first) {
			c.Severity, rest = sev, tail
		}
	}
	if c.Severity == 0 {
		if i := strings.LastIndexAny(rest, " \t\n"); i > 0 {
			last := rest[i+1:]
			if sev, ok := incidents.ParseSeverity(last); ok && looksLikeSeverity(last) {
				c.Severity, rest = sev, strings.TrimSpace(rest[:i])
			}
		}
	}
	c.Text = PlainText(rest)
	if n := len([]rune(c.Text)); n > incidents.MaxTitleLen {
		return usageError(VerbStart, fmt.Sprintf("The title is %d characters; keep it under %d and put details in updates.", n, incidents.MaxTitleLen))
	}
	return ok1(c)
}

// Windows of /incident changes: CloudTrail keeps 90 days, but the rows of
// more than three days would not be read in a channel.
const (
	DefaultChangesWindow = 2 * time.Hour
	MaxChangesWindow     = 72 * time.Hour
)

// parseWindow reads how far back /incident changes looks: "30m", "6h",
// "1h30m", "3d"; nothing is the default. msg says what is wrong.
func parseWindow(s string) (time.Duration, string) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return DefaultChangesWindow, ""
	}
	var d time.Duration
	var err error
	if n, ok := strings.CutSuffix(s, "d"); ok && !strings.ContainsAny(n, "hms") {
		var days int
		days, err = strconv.Atoi(n)
		// Clamped first, so that a huge count cannot wrap around.
		d = time.Duration(min(max(days, -1), 4)) * 24 * time.Hour
	} else {
		d, err = time.ParseDuration(s)
	}
	switch {
	case err != nil:
		return 0, fmt.Sprintf("`%s` is not a time span: write it like `30m`, `2h` or `1d`.", txt.Clip(s, 41))
	case d < time.Minute:
		return 0, "Look back at least `1m`."
	case d > MaxChangesWindow:
		return 0, fmt.Sprintf("`%s` is further back than I look: at most `72h` (`3d`).", txt.Clip(s, 41))
	}
	return d, ""
}

// windowText writes a window as people typed it: "2h", "30m", "1h30m".
func windowText(d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return strings.TrimSuffix(strings.TrimPrefix(d.Round(time.Minute).String(), "0h"), "0s")
}

// looksLikeSeverity keeps a bare digit in a title ("3 hosts down") from
// being read as a severity: only sevN/SN/PN forms count.
func looksLikeSeverity(w string) bool {
	w = strings.ToLower(w)
	return strings.HasPrefix(w, "sev") || (len(w) == 2 && (w[0] == 's' || w[0] == 'p'))
}

func ok1(c Command) Parsed { return Parsed{Command: c} }

func usageError(v Verb, msg string) Parsed {
	return Parsed{Reply: msg + "\nUsage: " + usage[v]}
}

// cut splits off the first whitespace-separated word.
func cut(s string) (word, rest string) {
	s = strings.TrimSpace(s)
	i := strings.IndexAny(s, " \t\n")
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i+1:])
}
