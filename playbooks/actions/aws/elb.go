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
		return actions.Result{Summary: s.Name + ": no targets registered in the target group", RequestID: id, Metrics: albMetrics(s)}, nil
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
		Metrics:   albMetrics(s),
	}, nil
}

// albMetrics are what unhealthy targets cost the service's users, from
// its load balancer (load_balancer_arn in the targets file): the errors
// the load balancer answered itself (502, 503, 504: no healthy target,
// or one that failed it) and the time targets take to answer. None
// without an Application Load Balancer: a Network Load Balancer has no
// HTTP metrics.
func albMetrics(s *actions.Service) []actions.Metric {
	lb, ok := albDimension(s.LoadBalancerARN)
	if !ok {
		return nil
	}
	m := func(label, name, stat, unit string) actions.Metric {
		return actions.Metric{Label: label + " of " + s.Name, Region: s.Region, Role: s.RoleARN, Namespace: "AWS/ApplicationELB", Metric: name,
			Dimensions: [][2]string{{"LoadBalancer", lb}}, Stat: stat, Period: 60, Unit: unit}
	}
	return []actions.Metric{m("Load balancer 5xx", "HTTPCode_ELB_5XX_Count", "Sum", "Count"),
		m("Target response time", "TargetResponseTime", "Average", "Seconds")}
}

// albDimension is the LoadBalancer dimension of an ALB's metrics,
// "app/NAME/ID", from its ARN
// (arn:aws:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/app/NAME/ID).
func albDimension(arn string) (string, bool) {
	_, dim, ok := strings.Cut(arn, ":loadbalancer/")
	return dim, ok && strings.HasPrefix(dim, "app/") && strings.Count(dim, "/") == 2
}
