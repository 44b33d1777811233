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
	ss := []actions.Section{{Title: fmt.Sprintf("%s (cluster %s): %s, %s", t.name, t.cluster, aws.ToString(s.Status), counts(s))}}
	if lines := deploymentLines(s); len(lines) > 0 {
		ss = append(ss, actions.Section{Title: "Deployments", Rows: lines})
	}
	if len(s.Events) > 0 {
		events := actions.Section{Title: "Latest events"}
		for i, e := range s.Events { // newest first
			if i == 5 {
				break
			}
			events.Rows = append(events.Rows, clock(e.CreatedAt)+" "+txt.Clip(aws.ToString(e.Message), 300))
		}
		ss = append(ss, events)
	}
	summary := fmt.Sprintf("%s: running %d of %d desired, %d pending, %s",
		t.name, s.RunningCount, s.DesiredCount, s.PendingCount, plural(len(s.Deployments), "deployment"))
	return actions.Result{Summary: summary, Sections: ss, RequestID: id, Metrics: t.metrics()}, nil
}

// metrics are the service's CPU and memory, which its counts alone do not
// show: tasks running but saturated, or climbing towards an OOM kill.
func (t ecsTarget) metrics() []actions.Metric {
	m := func(label, name string) actions.Metric {
		return actions.Metric{Label: label + " of " + t.name, Region: t.svc.Region, Role: t.svc.RoleARN, Namespace: "AWS/ECS", Metric: name,
			Dimensions: [][2]string{{"ClusterName", clusterName(t.cluster)}, {"ServiceName", t.name}}, Stat: "Average", Period: 60, Unit: "Percent"}
	}
	return []actions.Metric{m("CPU", "CPUUtilization"), m("Memory", "MemoryUtilization")}
}

// clusterName is a cluster's name as CloudWatch's dimension wants it: a
// targets file may give the cluster's ARN (…:cluster/prod).
func clusterName(cluster string) string {
	if i := strings.LastIndex(cluster, "/"); strings.HasPrefix(cluster, "arn:") && i >= 0 {
		return cluster[i+1:]
	}
	return cluster
}
