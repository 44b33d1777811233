package aws

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// startInstance is ec2.start_instance: start the service's stopped
// instances ("Restart the server" in the retirement postmortem). It
// only ever starts instances the targets file lists for the service, and
// only those that are stopped: a running one is left alone.
type startInstance struct{ c *Clients }

// startPlan is what a start would do now.
type startPlan struct {
	t      ec2Target
	start  []string // stopped: will be started
	states []string // every considered instance and its state, for people
	others []string // not stopped: left alone, with why
}

// resource locks the instances being started, so two people confirming
// at once start them once.
func (p startPlan) resource() string {
	return "ec2:" + p.t.svc.Region + "/" + strings.Join(p.start, ",")
}

func (r startInstance) plan(ctx context.Context, req actions.Request) (startPlan, error) {
	t, err := r.c.ec2Target(ctx, req)
	if err != nil {
		return startPlan{}, err
	}
	want, err := stringParam(req, "instance")
	if err != nil {
		return startPlan{}, err
	}
	ids := t.ids
	if want != "" {
		if !slices.Contains(t.ids, want) {
			return startPlan{}, fmt.Errorf("instance %s is not one of service %s's ec2_instances (%s): only those may be started from here",
				want, t.svc.Name, strings.Join(t.ids, ", "))
		}
		ids = []string{want}
	}
	found, _, err := t.describe(ctx, ids)
	if err != nil {
		return startPlan{}, err
	}
	p := startPlan{t: t}
	for _, id := range ids {
		i, ok := found[id]
		switch {
		case !ok:
			p.states = append(p.states, id+" not found")
			p.others = append(p.others, id+" is not found")
		case i.State != nil && i.State.Name == types.InstanceStateNameStopped:
			p.states = append(p.states, stoppedLine(i))
			p.start = append(p.start, id)
		default:
			p.states = append(p.states, id+" "+stateName(i))
			p.others = append(p.others, id+" is "+stateName(i)+leftAloneWhy(i))
		}
	}
	if len(p.start) == 0 {
		return startPlan{}, fmt.Errorf("nothing to start for %s: %s", t.svc.Name, strings.Join(p.others, "; "))
	}
	return p, nil
}

// stoppedLine is a stopped instance and why it stopped, when EC2 says.
func stoppedLine(i types.Instance) string {
	line := aws.ToString(i.InstanceId) + " stopped"
	if r := i.StateReason; r != nil && aws.ToString(r.Message) != "" {
		line += " (" + aws.ToString(r.Message) + ")"
	}
	return line
}

// leftAloneWhy explains states in which a start would fail or do harm.
func leftAloneWhy(i types.Instance) string {
	if i.State == nil {
		return ""
	}
	switch i.State.Name {
	case types.InstanceStateNameStopping:
		return " (wait until it is stopped, then start it)"
	case types.InstanceStateNameShuttingDown, types.InstanceStateNameTerminated:
		return " (it cannot be started again: recreate it)"
	}
	return " and is left alone"
}

func (r startInstance) Preview(ctx context.Context, req actions.Request) (actions.Preview, error) {
	p, err := r.plan(ctx, req)
	if err != nil {
		return actions.Preview{}, err
	}
	change := "start " + strings.Join(p.start, ", ")
	if len(p.others) > 0 {
		change += "; " + strings.Join(p.others, "; ")
	}
	return actions.Preview{
		Resource: p.resource(),
		Current:  strings.Join(p.states, "; "),
		Change:   change,
		Undo:     "stop " + strings.Join(p.start, ", ") + " again (EC2 console) if it must stay down",
		Data:     map[string]string{"start": strings.Join(p.start, ",")},
	}, nil
}

func (r startInstance) Run(ctx context.Context, req actions.Request) (actions.Result, error) {
	p, err := r.plan(ctx, req)
	if err != nil {
		return actions.Result{}, err
	}
	// The executor re-previews before Run; this keeps the promise for any
	// other caller too: start exactly what the person confirmed.
	if c := req.Confirmed; c != nil && c.Data["start"] != strings.Join(p.start, ",") {
		return actions.Result{}, &actions.Error{Code: "changed", Message: fmt.Sprintf(
			"confirmed starting %s, but now the stopped ones are %s; nothing was done — preview again from the card", c.Data["start"], strings.Join(p.start, ", "))}
	}
	out, err := p.t.api.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: p.start})
	if err != nil {
		return actions.Result{}, apiError("ec2 StartInstances", err)
	}
	var rows []string
	for _, s := range out.StartingInstances {
		rows = append(rows, fmt.Sprintf("%s: %s → %s", aws.ToString(s.InstanceId), stateOf(s.PreviousState), stateOf(s.CurrentState)))
	}
	secs := []actions.Section{{Title: "Started (previous → current state)", Rows: rows}}
	if len(p.others) > 0 {
		secs = append(secs, actions.Section{Title: "Not started", Rows: p.others})
	}
	secs = append(secs, actions.Section{Rows: []string{"ec2.instance_status shows when it is running and its status checks pass."}})
	return actions.Result{
		Summary:   fmt.Sprintf("%s: starting %s", p.t.svc.Name, strings.Join(rows, ", ")),
		Sections:  secs,
		RequestID: requestID(out.ResultMetadata),
		Changed:   true,
	}, nil
}

func stateOf(s *types.InstanceState) string {
	if s == nil {
		return "unknown"
	}
	return string(s.Name)
}
