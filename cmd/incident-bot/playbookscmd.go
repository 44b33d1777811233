package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/incident-bot/incident-bot/playbooks"
)

const playbooksUsage = `Usage:
  incident-bot playbooks check [DIR]              validate the built-in playbooks and DIR (default $PLAYBOOKS_DIR)
  incident-bot playbooks list                      list the playbooks (built-in and $PLAYBOOKS_DIR)
  incident-bot playbooks match [--label k=v]… TEXT rank the playbooks for an incident or alert text
`

// playbooksCmd runs the offline playbook tools; it needs no Slack tokens
// and no database.
func playbooksCmd(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, playbooksUsage)
		return 2
	}
	cfg, _ := Load(getenv) // only PLAYBOOKS_DIR, which any value passes
	dir := cfg.PlaybooksDir
	switch args[0] {
	case "check":
		if len(args) > 2 {
			fmt.Fprint(stderr, playbooksUsage)
			return 2
		}
		if len(args) == 2 {
			dir = args[1]
		}
		c, err := playbooks.Load(dir)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		fmt.Fprintf(stdout, "%d playbooks OK", len(c.List()))
		if dir != "" {
			fmt.Fprintf(stdout, " (built-in and %s", dir)
			if len(c.Overrides) > 0 {
				fmt.Fprintf(stdout, "; %s overrides %s", dir, strings.Join(c.Overrides, ", "))
			}
			fmt.Fprint(stdout, ")")
		}
		fmt.Fprintln(stdout)
		return 0
	case "list":
		c, err := playbooks.Load(dir)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tTITLE\tOWNER\tREVIEW BY\tFILE")
		now := time.Now()
		for _, pb := range c.List() {
			review := pb.ReviewBy.Format(time.DateOnly)
			if pb.Overdue(now) {
				review += " (overdue)"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", pb.ID, pb.Title, pb.Owner, review, pb.File)
		}
		_ = w.Flush()
		return 0
	case "match":
		return matchCmd(args[1:], dir, stdout, stderr)
	default:
		fmt.Fprintf(stderr, "incident-bot playbooks: unknown command %q\n\n%s", args[0], playbooksUsage)
		return 2
	}
}

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
	k := fs.Int("n", 5, "how many playbooks to show")
	if err := fs.Parse(args); err != nil {
		return 2
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
	if *k < 1 {
		fmt.Fprintln(stderr, "incident-bot playbooks match: -n must be at least 1")
		return 2
	}
	r := c.Match(playbooks.Query{Text: text, Labels: labels}, *k)
	if !r.Confident {
		fmt.Fprintf(stdout, "no confident match: %s\n", r.Doubt)
	}
	for i, res := range r.Results {
		fmt.Fprintf(stdout, "%d. %s — %s  score %.2f\n", i+1, res.Playbook.ID, res.Playbook.Title, res.Score)
		for _, why := range res.Reasons {
			fmt.Fprintf(stdout, "     %s\n", why)
		}
	}
	return 0
}
