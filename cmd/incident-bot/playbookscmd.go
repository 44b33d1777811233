package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/incident-bot/incident-bot/playbooks"
)

const playbooksUsage = `Usage:
  incident-bot playbooks check [DIR]              validate the built-in playbooks and DIR (default $PLAYBOOKS_DIR)
  incident-bot playbooks list                      list the playbooks (built-in and $PLAYBOOKS_DIR) with review dates
  incident-bot playbooks match [--label k=v]… TEXT rank the playbooks for an incident or alert text
  incident-bot playbooks match --source SOURCE FILE
                                                   rank them for each alert of a raw payload (FILE or -
                                                   for standard input) read by the bot's own parser;
                                                   SOURCE: alertmanager, sns, uptimerobot, webhook, chat
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
		fmt.Fprintln(w, "ID\tTITLE\tOWNER\tREVIEW BY\tWHY THAT DATE\tFILE")
		now := time.Now()
		for _, pb := range c.List() {
			review := pb.ReviewDue().Format(time.DateOnly)
			if pb.Overdue(now) {
				review += " (overdue)"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", pb.ID, pb.Title, pb.Owner, review, pb.ReviewBasis(), pb.File)
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
