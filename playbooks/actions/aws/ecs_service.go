package aws

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// ecsTarget is a service's ECS service, resolved from the targets file.
type ecsTarget struct {
	api     ecsAPI
	svc     *actions.Service
	cluster string
	name    string
}

func (t ecsTarget) resource() string { return "ecs:" + t.cluster + "/" + t.name }

func (c *Clients) ecsTarget(ctx context.Context, req actions.Request) (ecsTarget, error) {
	a, s, err := c.service(ctx, req, "cluster", "ecs_service")
	if err != nil {
		return ecsTarget{}, err
	}
	return ecsTarget{api: a.ecs, svc: s, cluster: s.Cluster, name: s.ECSService}, nil
}

// describe returns the ECS service and the request ID. DescribeServices
// reports a missing service as a "failure" in a successful response, not
// as an error; that is turned into one here.
func (t ecsTarget) describe(ctx context.Context) (types.Service, string, error) {
	out, err := t.api.DescribeServices(ctx, &ecs.DescribeServicesInput{
		Cluster:  aws.String(t.cluster),
		Services: []string{t.name},
	})
	if err != nil {
		return types.Service{}, "", apiError("ecs DescribeServices", err)
	}
	id := requestID(out.ResultMetadata)
	if len(out.Failures) > 0 {
		f := out.Failures[0]
		msg := fmt.Sprintf("no ECS service %s in cluster %s", t.name, t.cluster)
		if d := aws.ToString(f.Detail); d != "" {
			msg += ": " + d
		}
		return types.Service{}, id, fmt.Errorf("ecs DescribeServices (request %s): %w", id, &actions.Error{Code: aws.ToString(f.Reason), Message: msg})
	}
	if len(out.Services) == 0 {
		return types.Service{}, id, fmt.Errorf("ecs DescribeServices (request %s): %w", id, &actions.Error{
			Code: "MISSING", Message: fmt.Sprintf("no ECS service %s in cluster %s", t.name, t.cluster)})
	}
	return out.Services[0], id, nil
}

// taskDefName shortens a task definition ARN to "family:revision".
func taskDefName(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

// taskDefRevision splits a task definition ARN or name into its family
// and revision.
func taskDefRevision(arn string) (family string, rev int, ok bool) {
	name := taskDefName(arn)
	i := strings.LastIndex(name, ":")
	if i < 0 {
		return "", 0, false
	}
	rev, err := strconv.Atoi(name[i+1:])
	return name[:i], rev, err == nil
}

// counts is the one-line state of a service.
func counts(s types.Service) string {
	return fmt.Sprintf("desired %d, running %d, pending %d", s.DesiredCount, s.RunningCount, s.PendingCount)
}

// deploymentLines lists a service's deployments, one row each, newest
// first as ECS returns them.
func deploymentLines(s types.Service) []string {
	var lines []string
	for _, d := range s.Deployments {
		line := fmt.Sprintf("%s %s: %d/%d running, %d pending, %d failed",
			aws.ToString(d.Status), taskDefName(aws.ToString(d.TaskDefinition)),
			d.RunningCount, d.DesiredCount, d.PendingCount, d.FailedTasks)
		if d.RolloutState != "" {
			line += ", " + string(d.RolloutState)
		}
		line += " (since " + clock(d.CreatedAt) + ")"
		if r := aws.ToString(d.RolloutStateReason); r != "" && d.RolloutState == types.DeploymentRolloutStateFailed {
			line += " — " + r
		}
		lines = append(lines, line)
	}
	return lines
}

func primaryDeployment(s types.Service) (types.Deployment, bool) {
	for _, d := range s.Deployments {
		if aws.ToString(d.Status) == "PRIMARY" {
			return d, true
		}
	}
	return types.Deployment{}, false
}
