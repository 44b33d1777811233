package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The team's two incidents, replayed as Slack exports (people, alert bot
// posts, a pin, threads, an edit, a file, action lines), through the
// same command a team runs: each draft is compared with its golden file
// (UPDATE_GOLDEN=1 rewrites them after a check by eye), and the facts a
// postmortem must get right are checked by name.
func TestPostmortemOfTheTeamsIncidents(t *testing.T) {
	for _, tc := range []struct {
		export, channel, tz string
		want                []string
		gaps                int
	}{
		{"tss-site-outage", "inc-tss-site-outage", "Europe/London", []string{
			"Down for 2h34m in 4 outage(s), per Uptime Robot.",
			"Uptime Robot at 2025-08-12 11:45 BST",
			"| Time to detect | 13m (from Andy Dingley's first message at 11:32 to the first alert at 11:45) |",
			"| Time to resolve | 4h20m (from the first alert at 11:45 to Uptime Robot's last UP post at 16:05) |",
			"??:?? - 42m with nothing recorded from people",
			"**Authors:** Andy Dingley, Edward Barclay, John Simmons (deactivated)",
			"_Left out of the timeline: 3 joins and leaves._",
			"| move the S3/CloudFront config fully into Terraform, no more console changes | Andy Dingley |",
		}, 1},
		{"instance-retirement", "inc-prod-green-down", "UTC", []string{
			"Down for 4h52m in 2 outage(s), per AWS CloudWatch.",
			"AWS CloudWatch at 2022-01-05 04:02 UTC",
			"| Time to detect | ??? (the start of impact is not recorded: the first alert at 04:02 came before Liban Hirey's first message at 08:36) |",
			"??:?? - 4h34m with nothing recorded from people",
			"Liban Hirey at 08:50: \"VM restarted in cloud console. Generic Upload available again.\"",
		}, 1},
	} {
		t.Run(tc.export, func(t *testing.T) {
			dir := filepath.Join("..", "..", "incidents", "postmortem", "testdata", "exports", tc.export)
			var out, errb bytes.Buffer
			env := map[string]string{"DISPLAY_TIMEZONE": tc.tz}
			if code := run(context.Background(), []string{"postmortem", "--slack-export", dir, "--channel", tc.channel},
				func(k string) string { return env[k] }, &out, &errb); code != 0 {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			got := out.String()
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("draft lacks %q", w)
				}
			}
			if n := strings.Count(got, "??:?? - "); n != tc.gaps {
				t.Errorf("%d gap lines, want %d (only where people were silent)", n, tc.gaps)
			}
			if n := strings.Count(got[strings.Index(got, "## Action Items"):], "\n| ") - 1; n != 4 {
				t.Errorf("%d action items, want 4", n)
			}
			golden := filepath.Join(dir, "draft.golden.md")
			if os.Getenv("UPDATE_GOLDEN") != "" {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (UPDATE_GOLDEN=1 creates it)", err)
			}
			if got != string(want) {
				t.Errorf("draft differs from %s (UPDATE_GOLDEN=1 after checking):\n%s", golden, got)
			}
		})
	}
}
