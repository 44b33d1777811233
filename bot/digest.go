package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/incident-bot/incident-bot/playbooks"
)

// ReviewDigest posts the playbooks whose review date has passed, so stale
// runbooks get noticed before someone follows them at 3 a.m. It is the
// runbook desk's: its catalog, and its chat.postMessage.
type ReviewDigest struct {
	desk    *runbookDesk
	channel string
}

// NewReviewDigest posts to channel; an empty channel disables it.
func (a *App) NewReviewDigest(channel string) *ReviewDigest {
	return &ReviewDigest{desk: a.runbooks, channel: channel}
}

// Run posts today's digest, once per day across every replica sharing the
// store; with nothing overdue it posts nothing. The day is claimed before
// posting, so a post that fails is not retried that day (at most once:
// two replicas never both post); the failure is logged by the caller.
func (d *ReviewDigest) Run(ctx context.Context, now time.Time) error {
	rb := d.desk
	if d.channel == "" || rb.catalog == nil {
		return nil
	}
	now = now.In(rb.render.Location) // "today" is the team's day, in DISPLAY_TIMEZONE
	overdue := rb.catalog.Overdue(now)
	if len(overdue) == 0 {
		return nil
	}
	day := now.Format(time.DateOnly)
	first, err := rb.svc.Once(ctx, "playbook-review-digest:"+day)
	if err != nil {
		return fmt.Errorf("claim digest for %s: %w", day, err)
	}
	if !first {
		return nil // another replica posted it
	}
	text := DigestText(overdue, now)
	if _, _, err := rb.api.PostMessageContext(ctx, d.channel, slack.MsgOptionText(text, false)); err != nil {
		return fmt.Errorf("post review digest: %s", DescribeSlackError(SlackErrorCode(err)))
	}
	rb.logFor(ctx).Info("posted the playbook review digest", zap.Int("overdue", len(overdue)))
	return nil
}

// DigestText lists overdue playbooks with owner and how late they are.
func DigestText(overdue []*playbooks.Playbook, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, ":hourglass: *%d playbook(s) are past their review date* — please check them against how things work today and set `reviewed` to the day you did:\n", len(overdue))
	for i, pb := range overdue {
		if i == 40 {
			fmt.Fprintf(&b, "…and %d more (`incident-bot playbooks list`)\n", len(overdue)-i)
			break
		}
		days := int(now.Sub(pb.ReviewDue()).Hours() / 24)
		fmt.Fprintf(&b, "• *%s* (`%s`) — due %s (%s), %d days ago · owner %s · %s\n", pb.Title, pb.ID,
			pb.ReviewDue().Format(time.DateOnly), pb.ReviewBasis(), days, pb.Owner, pb.File)
	}
	return b.String()
}
