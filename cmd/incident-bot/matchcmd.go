package main

import (
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/incident-bot/incident-bot/incidents/alerts"
	"github.com/incident-bot/incident-bot/playbooks"
)

// stdin is where `playbooks match --source S -` reads; tests replace it.
var stdin io.Reader = os.Stdin

// maxPayload is as much as the HTTP receivers accept.
const maxPayload = 1 << 20

// labelFlags collects repeated --label key=value flags.
type labelFlags map[string]string

func (l labelFlags) String() string { return fmt.Sprint(map[string]string(l)) }

func (l labelFlags) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || strings.TrimSpace(k) == "" {
		return fmt.Errorf("want key=value, got %q", v)
	}
	l[strings.TrimSpace(k)] = strings.TrimSpace(val)
	return nil
}

func matchCmd(args []string, dir string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("playbooks match", flag.ContinueOnError)
	fs.SetOutput(stderr)
	labels := labelFlags{}
	fs.Var(labels, "label", "an alert label key=value (repeatable), e.g. --label metric=CPUUtilization")
	source := fs.String("source", "", "read FILE as a raw payload of this source: "+strings.Join(alerts.Sources, ", "))
	k := fs.Int("n", 5, "how many playbooks to show")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *k < 1 {
		fmt.Fprintln(stderr, "incident-bot playbooks match: -n must be at least 1")
		return 2
	}
	if *source != "" {
		return matchPayload(*source, fs.Args(), labels, dir, *k, stdout, stderr)
	}
	text := strings.Join(fs.Args(), " ")
	if strings.TrimSpace(text) == "" && len(labels) == 0 {
		fmt.Fprint(stderr, playbooksUsage)
		return 2
	}
	c, err := playbooks.Load(dir)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	printRanking(stdout, c.Match(playbooks.Query{Text: text, Labels: labels}, *k), "")
	return 0
}

// matchPayload runs a raw payload through the source's parser, then ranks
// the playbooks for each alert it holds, as the bot would on receiving it.
func matchPayload(source string, args []string, labels labelFlags, dir string, k int, stdout, stderr io.Writer) int {
	if !slices.Contains(alerts.Sources, source) {
		fmt.Fprintf(stderr, "incident-bot playbooks match: unknown --source %q; use one of %s\n", source, strings.Join(alerts.Sources, ", "))
		return 2
	}
	if len(args) != 1 || len(labels) > 0 {
		fmt.Fprintln(stderr, "incident-bot playbooks match: --source takes exactly one FILE (or - for standard input) and no --label")
		return 2
	}
	body, err := readPayload(args[0])
	if err != nil {
		fmt.Fprintf(stderr, "incident-bot playbooks match: %v\n", err)
		return 1
	}
	als, err := alerts.ParseSource(source, body, time.Now())
	if err != nil {
		fmt.Fprintf(stderr, "incident-bot playbooks match: %s: the %s parser refuses it: %v\n", args[0], source, err)
		return 1
	}
	if len(als) == 0 {
		fmt.Fprintln(stdout, "no alert: the bot would ignore this message (people talking, the bot itself, an edit or a thread reply)")
		return 0
	}
	c, err := playbooks.Load(dir)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	for i, al := range als {
		fmt.Fprintf(stdout, "alert %d of %d: %s %s  %q\n", i+1, len(als), al.Status, al.Severity, al.Title)
		fmt.Fprintf(stdout, "   labels: %s\n", formatLabels(al.Labels))
		if al.Status != alerts.Firing {
			fmt.Fprintln(stdout, "   resolved: it closes what it opened and never brings a card")
			continue
		}
		printRanking(stdout, c.Match(playbooks.Query{Text: al.MatchText(), Labels: al.Labels}, k), "   ")
	}
	return 0
}

func readPayload(name string) ([]byte, error) {
	var r io.Reader = stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	body, err := io.ReadAll(io.LimitReader(r, maxPayload+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxPayload {
		return nil, fmt.Errorf("%s is larger than %d bytes, the most the bot accepts", name, maxPayload)
	}
	return body, nil
}

func formatLabels(l map[string]string) string {
	if len(l) == 0 {
		return "(none)"
	}
	var parts []string
	for _, key := range slices.Sorted(maps.Keys(l)) {
		parts = append(parts, key+"="+l[key])
	}
	return strings.Join(parts, " ")
}

func printRanking(w io.Writer, r playbooks.Ranking, indent string) {
	if !r.Confident {
		fmt.Fprintf(w, "%sno confident match: %s\n", indent, r.Doubt)
	}
	for i, res := range r.Results {
		fmt.Fprintf(w, "%s%d. %s — %s  score %.2f\n", indent, i+1, res.Playbook.ID, res.Playbook.Title, res.Score)
		for _, why := range res.Reasons {
			fmt.Fprintf(w, "%s     %s\n", indent, why)
		}
	}
}
