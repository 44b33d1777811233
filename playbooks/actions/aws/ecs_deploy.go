package aws

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// forceDeploy is ecs.force_deploy: replace every task with a fresh one
// of the same task definition (new image pull, new secrets, new hosts).
type forceDeploy struct{ c *Clients }

func (r forceDeploy) Preview(ctx context.Context, req actions.Request) (actions.Preview, error) {
	t, err := r.c.ecsTarget(ctx, req)
	if err != nil {
		return actions.Preview{}, err
	}
	s, _, err := t.describe(ctx)
	if err != nil {
		return actions.Preview{}, err
	}
	current := counts(s)
	for _, l := range deploymentLines(s) {
		current += "\n• " + l
	}
	return actions.Preview{
		Resource: t.resource(),
		Current:  current,
		Change: fmt.Sprintf("start a new deployment of %s: all %d tasks are replaced, as the deployment settings allow",
			taskDefName(aws.ToString(s.TaskDefinition)), s.DesiredCount),
	}, nil
}

func (r forceDeploy) Run(ctx context.Context, req actions.Request) (actions.Result, error) {
	t, err := r.c.ecsTarget(ctx, req)
	if err != nil {
		return actions.Result{}, err
	}
	out, err := t.api.UpdateService(ctx, &ecs.UpdateServiceInput{
		Cluster:            aws.String(t.cluster),
		Service:            aws.String(t.name),
		ForceNewDeployment: true,
	})
	if err != nil {
		return actions.Result{}, apiError("ecs UpdateService", err)
	}
	s := *out.Service
	summary := t.name + ": new deployment started"
	if d, ok := primaryDeployment(s); ok {
		summary = fmt.Sprintf("%s: new deployment %s started (%s)", t.name, aws.ToString(d.Id), taskDefName(aws.ToString(d.TaskDefinition)))
	}
	return actions.Result{
		Summary:   summary,
		Sections:  []actions.Section{{Title: "Deployments", Rows: deploymentLines(s)}},
		RequestID: requestID(out.ResultMetadata),
		Changed:   true,
	}, nil
}
