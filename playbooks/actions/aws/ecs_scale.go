package aws

import (
	"context"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// scale is ecs.scale: set the desired count, by default to the cap (the
// runbook's "scale to 15"), never above it.
type scale struct{ c *Clients }

type scalePlan struct {
	t         ecsTarget
	service   types.Service
	requestID string // of the DescribeServices call
	from, to  int32
}

func (r scale) plan(ctx context.Context, req actions.Request) (scalePlan, error) {
	limit := capOf(req.Limits.MaxScale)
	count, err := intParam(req, "count", limit)
	if err != nil {
		return scalePlan{}, err
	}
	if count > limit {
		return scalePlan{}, fmt.Errorf("count %d is above the cap of %d tasks (guardrails.max_scale in the targets file)", count, limit)
	}
	if count < 1 {
		return scalePlan{}, fmt.Errorf("count %d: scale to at least 1 task (scaling to zero stops the service)", count)
	}
	t, err := r.c.ecsTarget(ctx, req)
	if err != nil {
		return scalePlan{}, err
	}
	s, id, err := t.describe(ctx)
	if err != nil {
		return scalePlan{}, err
	}
	return scalePlan{t: t, service: s, requestID: id, from: s.DesiredCount, to: int32(count)}, nil
}

func (r scale) Preview(ctx context.Context, req actions.Request) (actions.Preview, error) {
	p, err := r.plan(ctx, req)
	if err != nil {
		return actions.Preview{}, err
	}
	return actions.Preview{
		Resource: p.t.resource(),
		Current:  counts(p.service),
		Change:   fmt.Sprintf("desired %d → %d", p.from, p.to),
		Undo:     fmt.Sprintf("scale back to %d", p.from),
		Data:     map[string]string{"previous": strconv.Itoa(int(p.from)), "count": strconv.Itoa(int(p.to))},
	}, nil
}

func (r scale) Run(ctx context.Context, req actions.Request) (actions.Result, error) {
	p, err := r.plan(ctx, req)
	if err != nil {
		return actions.Result{}, err
	}
	if p.from == p.to {
		return actions.Result{Summary: fmt.Sprintf("%s already has desired %d; nothing changed", p.t.name, p.to), RequestID: p.requestID}, nil
	}
	out, err := p.t.api.UpdateService(ctx, &ecs.UpdateServiceInput{
		Cluster:      aws.String(p.t.cluster),
		Service:      aws.String(p.t.name),
		DesiredCount: aws.Int32(p.to),
	})
	if err != nil {
		return actions.Result{}, apiError("ecs UpdateService", err)
	}
	return actions.Result{
		Summary: fmt.Sprintf("%s: desired %d → %d", p.t.name, p.from, p.to),
		Sections: []actions.Section{{
			Title: fmt.Sprintf("Now %s. New tasks take a minute or two to pass health checks.", counts(*out.Service)),
			Rows:  []string{fmt.Sprintf("Undo: scale back to %d.", p.from)},
		}},
		RequestID: requestID(out.ResultMetadata),
		Changed:   true,
	}, nil
}
