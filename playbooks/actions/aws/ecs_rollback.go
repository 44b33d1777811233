package aws

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// rollback is ecs.rollback: point the service at the previous ACTIVE
// revision of its task definition family (deregistered revisions are
// skipped: they cannot start new tasks).
type rollback struct{ c *Clients }

// rollbackPlan is what a rollback would do, from the current state.
type rollbackPlan struct {
	t        ecsTarget
	service  types.Service
	from, to string // task definition ARNs
	images   string // the target revision's images, for the preview
}

func (r rollback) plan(ctx context.Context, req actions.Request) (rollbackPlan, error) {
	t, err := r.c.ecsTarget(ctx, req)
	if err != nil {
		return rollbackPlan{}, err
	}
	s, _, err := t.describe(ctx)
	if err != nil {
		return rollbackPlan{}, err
	}
	from := aws.ToString(s.TaskDefinition)
	family, rev, ok := taskDefRevision(from)
	if !ok {
		return rollbackPlan{}, fmt.Errorf("cannot read the revision of task definition %q", from)
	}
	to, err := previousRevision(ctx, t.api, family, rev)
	if err != nil {
		return rollbackPlan{}, err
	}
	if to == "" {
		return rollbackPlan{}, fmt.Errorf("%s: %s has no earlier ACTIVE revision to roll back to", t.name, taskDefName(from))
	}
	td, err := t.api.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(to)})
	if err != nil {
		return rollbackPlan{}, apiError("ecs DescribeTaskDefinition", err)
	}
	var images []string
	if td.TaskDefinition != nil {
		for _, c := range td.TaskDefinition.ContainerDefinitions {
			images = append(images, aws.ToString(c.Name)+"="+aws.ToString(c.Image))
		}
	}
	return rollbackPlan{t: t, service: s, from: from, to: to, images: strings.Join(images, ", ")}, nil
}

// previousRevision finds the highest ACTIVE revision of family below rev
// ("" when there is none). It sorts itself rather than trusting the list
// order, and checks the family exactly: a prefix could match "web-worker".
func previousRevision(ctx context.Context, api ecsAPI, family string, rev int) (string, error) {
	best, bestRev := "", 0
	in := &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(family), Status: types.TaskDefinitionStatusActive, Sort: types.SortOrderDesc}
	for page := 0; page < 20; page++ {
		out, err := api.ListTaskDefinitions(ctx, in)
		if err != nil {
			return "", apiError("ecs ListTaskDefinitions", err)
		}
		for _, arn := range out.TaskDefinitionArns {
			f, r, ok := taskDefRevision(arn)
			if ok && f == family && r < rev && r > bestRev {
				best, bestRev = arn, r
			}
		}
		if out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
	}
	return best, nil
}

func revLabel(arn string) string {
	_, rev, _ := taskDefRevision(arn)
	return fmt.Sprintf("rev %d", rev)
}

func (r rollback) Preview(ctx context.Context, req actions.Request) (actions.Preview, error) {
	p, err := r.plan(ctx, req)
	if err != nil {
		return actions.Preview{}, err
	}
	return actions.Preview{
		Resource: p.t.resource(),
		Current:  fmt.Sprintf("%s on %s", counts(p.service), taskDefName(p.from)),
		Change:   fmt.Sprintf("%s → %s (%s)", revLabel(p.from), revLabel(p.to), p.images),
		Undo:     fmt.Sprintf("roll forward: update the service to %s", taskDefName(p.from)),
		Data:     map[string]string{"from": p.from, "to": p.to},
	}, nil
}

func (r rollback) Run(ctx context.Context, req actions.Request) (actions.Result, error) {
	p, err := r.plan(ctx, req)
	if err != nil {
		return actions.Result{}, err
	}
	// Someone may have deployed since the preview; rolling back from a
	// revision nobody saw would be a surprise.
	if c := req.Confirmed; c != nil && c.Data["from"] != "" && (c.Data["from"] != p.from || c.Data["to"] != p.to) {
		return actions.Result{}, fmt.Errorf("%s changed since the preview (it showed %s → %s, now it would be %s → %s): preview again",
			p.t.name, taskDefName(c.Data["from"]), taskDefName(c.Data["to"]), taskDefName(p.from), taskDefName(p.to))
	}
	out, err := p.t.api.UpdateService(ctx, &ecs.UpdateServiceInput{
		Cluster:        aws.String(p.t.cluster),
		Service:        aws.String(p.t.name),
		TaskDefinition: aws.String(p.to),
	})
	if err != nil {
		return actions.Result{}, apiError("ecs UpdateService", err)
	}
	return actions.Result{
		Summary: fmt.Sprintf("%s rolled back: %s → %s", p.t.name, taskDefName(p.from), taskDefName(p.to)),
		Sections: []actions.Section{
			{Title: "Images now: " + p.images},
			{Title: "Deployments", Rows: deploymentLines(*out.Service)},
		},
		RequestID: requestID(out.ResultMetadata),
		Changed:   true,
	}, nil
}
