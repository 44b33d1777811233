package aws

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/incident-bot/incident-bot/internal/txt"
	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// serviceStatus is ecs.service_status: counts, deployments and the
// latest events, which is where ECS says why tasks do not start.
type serviceStatus struct{ c *Clients }

func (serviceStatus) Preview(context.Context, actions.Request) (actions.Preview, error) {
	return actions.Preview{}, nil
}

func (r serviceStatus) Run(ctx context.Context, req actions.Request) (actions.Result, error) {
	t, err := r.c.ecsTarget(ctx, req)
	if err != nil {
		return actions.Result{}, err
	}
	s, id, err := t.describe(ctx)
	if err != nil {
		return actions.Result{}, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "*%s* (cluster %s): %s, %s\n", txt.SlackEscape(t.name), txt.SlackEscape(t.cluster), txt.SlackEscape(aws.ToString(s.Status)), counts(s))
	if lines := deploymentLines(s); len(lines) > 0 {
		b.WriteString("*Deployments*\n" + strings.Join(lines, "\n") + "\n")
	}
	if len(s.Events) > 0 {
		b.WriteString("*Latest events*\n")
		for i, e := range s.Events { // newest first
			if i == 5 {
				break
			}
			fmt.Fprintf(&b, "• %s %s\n", clock(e.CreatedAt), txt.SlackEscape(txt.Clip(aws.ToString(e.Message), 300)))
		}
	}
	summary := fmt.Sprintf("%s: running %d of %d desired, %d pending, %s",
		t.name, s.RunningCount, s.DesiredCount, s.PendingCount, plural(len(s.Deployments), "deployment"))
	return actions.Result{Summary: summary, Details: strings.TrimSpace(b.String()), RequestID: id}, nil
}
