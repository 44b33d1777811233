package aws

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// targetHealth is elb.target_health: how many targets the load balancer
// sends traffic to, and why the others are out.
type targetHealth struct{ c *Clients }

func (targetHealth) Preview(context.Context, actions.Request) (actions.Preview, error) {
	return actions.Preview{}, nil
}

func (r targetHealth) Run(ctx context.Context, req actions.Request) (actions.Result, error) {
	a, s, err := r.c.service(ctx, req, "target_group_arn")
	if err != nil {
		return actions.Result{}, err
	}
	out, err := a.elb.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(s.TargetGroupARN)})
	if err != nil {
		return actions.Result{}, apiError("elasticloadbalancing DescribeTargetHealth", err)
	}
	id := requestID(out.ResultMetadata)
	if len(out.TargetHealthDescriptions) == 0 {
		return actions.Result{Summary: s.Name + ": no targets registered in the target group", RequestID: id}, nil
	}
	states := map[string]int{}
	var ss sections // the targets not in service
	for _, d := range out.TargetHealthDescriptions {
		state := "unknown"
		var reason, desc string
		if h := d.TargetHealth; h != nil {
			state, reason, desc = string(h.State), string(h.Reason), aws.ToString(h.Description)
		}
		states[state]++
		if state == "healthy" {
			continue
		}
		target := aws.ToString(d.Target.Id)
		if d.Target.Port != nil {
			target += fmt.Sprintf(":%d", *d.Target.Port)
		}
		line := fmt.Sprintf("`%s` %s", target, state)
		if reason != "" {
			line += ": " + reason
		}
		if desc != "" {
			line += " — " + desc
		}
		ss.row(line)
	}
	parts := []string{fmt.Sprintf("%d healthy", states["healthy"])}
	for _, st := range slices.Sorted(maps.Keys(states)) {
		if st != "healthy" {
			parts = append(parts, fmt.Sprintf("%d %s", states[st], st))
		}
	}
	return actions.Result{
		Summary:   fmt.Sprintf("%s: %s of %s", s.Name, strings.Join(parts, ", "), plural(len(out.TargetHealthDescriptions), "target")),
		Sections:  ss,
		RequestID: id,
	}, nil
}
