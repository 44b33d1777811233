package aws

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/incident-bot/incident-bot/internal/txt"
	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// stoppedTasks is ecs.stopped_tasks: why the service's tasks stopped.
// ECS keeps stopped tasks for about an hour, so this is recent history.
type stoppedTasks struct{ c *Clients }

// stoppedShown is how many tasks are listed; the summary counts all.
const stoppedShown = 10

// stopCauses are the reasons worth calling out, in the words ECS uses.
// Image pull and secrets failures come first: they are the usual cause of
// a deploy whose tasks never start, and neither is fixed by restarting.
var stopCauses = []struct {
	label string
	match []string
}{
	{"could not pull the image", []string{"cannotpullcontainer", "pull image", "manifest unknown", "image not found"}},
	{"could not fetch secrets", []string{"unable to pull secrets", "secretsmanager", "ssm:getparameters", "retrieve secret", "fetching secret"}},
	{"ran out of memory", []string{"outofmemory", "out of memory", "oomkilled"}},
	{"failed health checks", []string{"health check"}},
}

// stopCause labels a task's stop reasons ("" when nothing stands out).
func stopCause(reasons []string) string {
	text := strings.ToLower(strings.Join(reasons, "\n"))
	for _, c := range stopCauses {
		for _, m := range c.match {
			if strings.Contains(text, m) {
				return c.label
			}
		}
	}
	return ""
}

func (stoppedTasks) Preview(context.Context, actions.Request) (actions.Preview, error) {
	return actions.Preview{}, nil
}

func (r stoppedTasks) Run(ctx context.Context, req actions.Request) (actions.Result, error) {
	t, err := r.c.ecsTarget(ctx, req)
	if err != nil {
		return actions.Result{}, err
	}
	list, err := t.api.ListTasks(ctx, &ecs.ListTasksInput{
		Cluster:       aws.String(t.cluster),
		ServiceName:   aws.String(t.name),
		DesiredStatus: types.DesiredStatusStopped,
		MaxResults:    aws.Int32(100), // DescribeTasks takes at most 100
	})
	if err != nil {
		return actions.Result{}, apiError("ecs ListTasks", err)
	}
	if len(list.TaskArns) == 0 {
		return actions.Result{
			Summary:   t.name + ": no stopped tasks in the last hour or so",
			RequestID: requestID(list.ResultMetadata),
		}, nil
	}
	out, err := t.api.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(t.cluster), Tasks: list.TaskArns})
	if err != nil {
		return actions.Result{}, apiError("ecs DescribeTasks", err)
	}
	tasks := out.Tasks
	sort.SliceStable(tasks, func(i, j int) bool {
		return aws.ToTime(tasks[i].StoppedAt).After(aws.ToTime(tasks[j].StoppedAt))
	})

	causes := map[string]int{}
	var rows []string
	for i, task := range tasks {
		cause, lines := describeStopped(task)
		if cause != "" {
			causes[cause]++
		}
		if i < stoppedShown {
			rows = append(rows, lines...)
		}
	}
	if len(tasks) > stoppedShown {
		rows = append(rows, fmt.Sprintf("…and %d more", len(tasks)-stoppedShown))
	}
	summary := fmt.Sprintf("%s: %s", t.name, plural(len(tasks), "stopped task"))
	var parts []string
	for _, c := range stopCauses {
		if n := causes[c.label]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, c.label))
		}
	}
	if len(parts) > 0 {
		summary += " — " + strings.Join(parts, ", ")
	}
	return actions.Result{Summary: summary, Sections: []actions.Section{{Rows: rows}}, RequestID: requestID(out.ResultMetadata)}, nil
}

// describeStopped is one task's rows: why it stopped, then, indented
// under it, each container that gave a reason or exited non-zero.
func describeStopped(task types.Task) (cause string, rows []string) {
	reasons := []string{aws.ToString(task.StoppedReason)}
	id := aws.ToString(task.TaskArn)
	if i := strings.LastIndex(id, "/"); i >= 0 {
		id = id[i+1:]
	}
	rows = append(rows, fmt.Sprintf("`%s` %s stopped %s: %s", txt.Clip(id, 12), taskDefName(aws.ToString(task.TaskDefinitionArn)),
		clock(task.StoppedAt), txt.Clip(aws.ToString(task.StoppedReason), 300)))
	for _, ct := range task.Containers {
		reason := aws.ToString(ct.Reason)
		exit := ct.ExitCode != nil && *ct.ExitCode != 0
		if reason == "" && !exit {
			continue
		}
		reasons = append(reasons, reason)
		line := "    " + aws.ToString(ct.Name)
		if exit {
			line += fmt.Sprintf(" (exit %d)", *ct.ExitCode)
		}
		if reason != "" {
			line += ": " + txt.Clip(reason, 300)
		}
		rows = append(rows, line)
	}
	cause = stopCause(reasons)
	if cause != "" {
		// Name the entry's cause so it stands out in a long list.
		rows[0] += " ← " + cause
	}
	return cause, rows
}
