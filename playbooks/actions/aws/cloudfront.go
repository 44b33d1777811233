package aws

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"

	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// invalidate is cloudfront.invalidate: drop cached copies so the next
// requests go to the origin (after a bad asset or a fixed deploy).
type invalidate struct{ c *Clients }

type invalidatePlan struct {
	api   cloudfrontAPI
	id    string
	dist  types.Distribution
	paths []string
}

func (r invalidate) plan(ctx context.Context, req actions.Request) (invalidatePlan, error) {
	a, s, err := r.c.service(ctx, req, "distribution_id")
	if err != nil {
		return invalidatePlan{}, err
	}
	paths, err := stringsParam(req, "paths")
	if err != nil {
		return invalidatePlan{}, err
	}
	if len(paths) == 0 {
		paths = []string{"/*"}
	}
	for _, p := range paths {
		if !strings.HasPrefix(p, "/") {
			return invalidatePlan{}, fmt.Errorf("path %q must start with / (e.g. /* or /assets/*)", p)
		}
	}
	out, err := a.cloudfront.GetDistribution(ctx, &cloudfront.GetDistributionInput{Id: aws.String(s.DistributionID)})
	if err != nil {
		return invalidatePlan{}, apiError("cloudfront GetDistribution", err)
	}
	return invalidatePlan{api: a.cloudfront, id: s.DistributionID, dist: *out.Distribution, paths: paths}, nil
}

// domains is the distribution's CloudFront domain and its aliases.
func (p invalidatePlan) domains() string {
	d := aws.ToString(p.dist.DomainName)
	if cfg := p.dist.DistributionConfig; cfg != nil && cfg.Aliases != nil && len(cfg.Aliases.Items) > 0 {
		d += " (" + strings.Join(cfg.Aliases.Items, ", ") + ")"
	}
	return d
}

func (r invalidate) Preview(ctx context.Context, req actions.Request) (actions.Preview, error) {
	p, err := r.plan(ctx, req)
	if err != nil {
		return actions.Preview{}, err
	}
	return actions.Preview{
		Resource: "cloudfront:" + p.id,
		Current:  fmt.Sprintf("distribution %s, %s, %d invalidations in progress", p.domains(), aws.ToString(p.dist.Status), aws.ToInt32(p.dist.InProgressInvalidationBatches)),
		Change:   fmt.Sprintf("invalidate %s on %s: the next requests for them go to the origin", strings.Join(p.paths, " "), p.domains()),
	}, nil
}

func (r invalidate) Run(ctx context.Context, req actions.Request) (actions.Result, error) {
	p, err := r.plan(ctx, req)
	if err != nil {
		return actions.Result{}, err
	}
	// CloudFront treats a repeated CallerReference as the same request,
	// so each run needs its own.
	ref := fmt.Sprintf("incident-bot-%s-%s", r.c.now().UTC().Format("20060102T150405Z"), rand.Text()[:10])
	out, err := p.api.CreateInvalidation(ctx, &cloudfront.CreateInvalidationInput{
		DistributionId: aws.String(p.id),
		InvalidationBatch: &types.InvalidationBatch{
			CallerReference: aws.String(ref),
			Paths:           &types.Paths{Quantity: aws.Int32(int32(len(p.paths))), Items: p.paths},
		},
	})
	if err != nil {
		return actions.Result{}, apiError("cloudfront CreateInvalidation", err)
	}
	inv := out.Invalidation
	return actions.Result{
		Summary: fmt.Sprintf("invalidation %s of %s on %s: %s", aws.ToString(inv.Id), strings.Join(p.paths, " "),
			aws.ToString(p.dist.DomainName), aws.ToString(inv.Status)),
		Sections: []actions.Section{{
			Title: fmt.Sprintf("Invalidation `%s` on %s (%s), paths %s. It usually completes within a few minutes.",
				aws.ToString(inv.Id), p.domains(), p.id, strings.Join(p.paths, " ")),
		}},
		RequestID: requestID(out.ResultMetadata),
		Changed:   true,
	}, nil
}
