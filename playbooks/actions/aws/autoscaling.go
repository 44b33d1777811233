package aws

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"

	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// scaleIn is autoscaling.suspend_scale_in (suspend true) and
// autoscaling.resume_scale_in (false). Suspending scale-in keeps the
// tasks added during an incident from being removed as soon as the load
// dips; scale-out keeps working.
type scaleIn struct {
	c       *Clients
	suspend bool
}

type scaleInPlan struct {
	t         ecsTarget
	api       autoscalingAPI
	id        string // service/<cluster>/<service>
	target    types.ScalableTarget
	suspends  bool   // scale-in is suspended now
	requestID string // of the DescribeScalableTargets call
}

func (r scaleIn) plan(ctx context.Context, req actions.Request) (scaleInPlan, error) {
	a, s, err := r.c.service(ctx, req, "cluster", "ecs_service")
	if err != nil {
		return scaleInPlan{}, err
	}
	p := scaleInPlan{
		t:   ecsTarget{api: a.ecs, svc: s, cluster: s.Cluster, name: s.ECSService},
		api: a.autoscaling,
		id:  fmt.Sprintf("service/%s/%s", s.Cluster, s.ECSService),
	}
	out, err := p.api.DescribeScalableTargets(ctx, &aas.DescribeScalableTargetsInput{
		ServiceNamespace:  types.ServiceNamespaceEcs,
		ResourceIds:       []string{p.id},
		ScalableDimension: types.ScalableDimensionECSServiceDesiredCount,
	})
	if err != nil {
		return scaleInPlan{}, apiError("application-autoscaling DescribeScalableTargets", err)
	}
	if len(out.ScalableTargets) == 0 {
		return scaleInPlan{}, fmt.Errorf("service %s (%s) has no Application Auto Scaling target, so nothing scales it in", s.Name, p.id)
	}
	p.target, p.requestID = out.ScalableTargets[0], requestID(out.ResultMetadata)
	p.suspends = p.target.SuspendedState != nil && aws.ToBool(p.target.SuspendedState.DynamicScalingInSuspended)
	return p, nil
}

func (p scaleInPlan) current() string {
	state := "on"
	if p.suspends {
		state = "suspended"
	}
	return fmt.Sprintf("scale-in %s (min %d, max %d)", state, aws.ToInt32(p.target.MinCapacity), aws.ToInt32(p.target.MaxCapacity))
}

func (r scaleIn) Preview(ctx context.Context, req actions.Request) (actions.Preview, error) {
	p, err := r.plan(ctx, req)
	if err != nil {
		return actions.Preview{}, err
	}
	// The ECS service's resource, not the scalable target's: a scale and
	// an autoscaling change to one service should not run at once.
	pv := actions.Preview{Resource: p.t.resource(), Current: p.current()}
	switch {
	case p.suspends == r.suspend:
		pv.Change = "nothing: it is already so"
	case r.suspend:
		pv.Change = "suspend scale-in: autoscaling may add tasks but will not remove any"
		pv.Undo = "turn scaling down back on (autoscaling.resume_scale_in)"
	default:
		pv.Change = "resume scale-in: autoscaling may remove tasks again as load falls"
		pv.Undo = "turn scaling down off (autoscaling.suspend_scale_in)"
	}
	return pv, nil
}

func (r scaleIn) Run(ctx context.Context, req actions.Request) (actions.Result, error) {
	p, err := r.plan(ctx, req)
	if err != nil {
		return actions.Result{}, err
	}
	if p.suspends == r.suspend {
		return actions.Result{Summary: fmt.Sprintf("%s: %s already; nothing changed", p.t.name, p.current()), RequestID: p.requestID}, nil
	}
	// Send all three flags, copying the other two: the API documents no
	// "leave unchanged" for a flag left out.
	state := &types.SuspendedState{DynamicScalingInSuspended: aws.Bool(r.suspend)}
	if old := p.target.SuspendedState; old != nil {
		state.DynamicScalingOutSuspended = aws.Bool(aws.ToBool(old.DynamicScalingOutSuspended))
		state.ScheduledScalingSuspended = aws.Bool(aws.ToBool(old.ScheduledScalingSuspended))
	}
	out, err := p.api.RegisterScalableTarget(ctx, &aas.RegisterScalableTargetInput{
		ServiceNamespace:  types.ServiceNamespaceEcs,
		ResourceId:        aws.String(p.id),
		ScalableDimension: types.ScalableDimensionECSServiceDesiredCount,
		SuspendedState:    state,
	})
	if err != nil {
		return actions.Result{}, apiError("application-autoscaling RegisterScalableTarget", err)
	}
	verb := "resumed: autoscaling may remove tasks again"
	if r.suspend {
		verb = "suspended: autoscaling will not remove tasks until it is turned back on"
	}
	return actions.Result{
		Summary: fmt.Sprintf("%s: scale-in %s", p.t.name, verb),
		Sections: []actions.Section{{
			Title: fmt.Sprintf("Scalable target %s (min %d, max %d).", p.id, aws.ToInt32(p.target.MinCapacity), aws.ToInt32(p.target.MaxCapacity)),
		}},
		RequestID: requestID(out.ResultMetadata),
		Changed:   true,
	}, nil
}
